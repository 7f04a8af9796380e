#include "http/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace parley::http {
namespace {

TEST(HttpMetricsTest, ShardsOfEveryThreadAddUpAtTheScrape) {
  prometheus::Registry registry;
  HttpMetrics metrics(registry);
  constexpr int kThreads = 4;
  constexpr int kRequests = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRequests; ++i) metrics.observe(1, "GET", "/api/v1/things", 200, 0.002);
      metrics.observe(2, "POST", "/api/v1/things", 201, 20.0);
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = render_metrics(metrics);
  EXPECT_NE(text.find(R"(parley_http_requests_total{method="GET",route="/api/v1/things",status="200"} 4000)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(parley_http_request_duration_seconds_bucket{method="GET",route="/api/v1/things",status="200",le="0.001"} 0)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(parley_http_request_duration_seconds_bucket{method="GET",route="/api/v1/things",status="200",le="0.0025"} 4000)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(parley_http_request_duration_seconds_bucket{method="POST",route="/api/v1/things",status="201",le="10"} 0)"),
            std::string::npos)
      << "a 20 s request is only in +Inf";
  EXPECT_NE(text.find(R"(parley_http_request_duration_seconds_count{method="POST",route="/api/v1/things",status="201"} 4)"),
            std::string::npos);

  // A second scrape adds only what happened since the first.
  metrics.observe(1, "GET", "/api/v1/things", 200, 0.002);
  EXPECT_NE(render_metrics(metrics).find(
                R"(parley_http_requests_total{method="GET",route="/api/v1/things",status="200"} 4001)"),
            std::string::npos);
}

TEST(HttpMetricsTest, TwoInstancesOnOneThreadKeepTheirOwnCounts) {
  prometheus::Registry first_registry, second_registry;
  HttpMetrics first(first_registry), second(second_registry);
  first.observe(1, "GET", "/a", 200, 0.001);
  second.observe(1, "GET", "/a", 200, 0.001);
  first.observe(1, "GET", "/a", 200, 0.001);
  EXPECT_NE(render_metrics(first).find(R"(parley_http_requests_total{method="GET",route="/a",status="200"} 2)"),
            std::string::npos);
  EXPECT_NE(render_metrics(second).find(R"(parley_http_requests_total{method="GET",route="/a",status="200"} 1)"),
            std::string::npos);
}

TEST(HttpMetricsTest, OpenMetricsCarriesExemplarsOfSampledTraces) {
  prometheus::Registry registry;
  HttpMetrics metrics(registry);
  auto traced = trace::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto unsampled = trace::parse_traceparent("00-1bf7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  metrics.observe(1, "GET", "/a", 200, 0.004, &*traced);
  metrics.observe(1, "GET", "/a", 200, 0.2, &*unsampled);
  const std::string text = render_openmetrics(metrics);
  EXPECT_NE(text.find("# TYPE parley_http_requests counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(parley_http_requests_total{method="GET",route="/a",status="200"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(parley_http_request_duration_seconds_bucket{method="GET",route="/a",status="200",le="0.005"} 1 # {trace_id="0af7651916cd43dd8448eb211c80319c"} 0.004 )"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(parley_http_request_duration_seconds_bucket{method="GET",route="/a",status="200",le="1.0"} 2)"),
            std::string::npos)
      << "bounds in canonical form";
  EXPECT_EQ(text.find("1bf7651916cd43dd8448eb211c80319c"), std::string::npos) << "not sampled: no exemplar";
  EXPECT_NE(text.find(R"(le="+Inf"} 2)"), std::string::npos);
  EXPECT_TRUE(text.ends_with("# EOF\n"));
  // The exemplar stays until a newer observation replaces it.
  EXPECT_NE(render_openmetrics(metrics).find("0af7651916cd43dd8448eb211c80319c"), std::string::npos);
}

TEST(OpenMetricsTest, RecognisesTheAcceptHeadersOfScrapers) {
  EXPECT_TRUE(accepts_openmetrics("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  EXPECT_TRUE(accepts_openmetrics("text/plain;q=0.5, application/openmetrics-text; version=1.0.0"));
  EXPECT_FALSE(accepts_openmetrics("text/plain;version=0.0.4"));
  EXPECT_FALSE(accepts_openmetrics("application/openmetrics-text;q=0"));
  EXPECT_FALSE(accepts_openmetrics(""));
}

}  // namespace
}  // namespace parley::http
