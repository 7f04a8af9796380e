#include "http/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <mutex>

namespace parley::http {
namespace {

std::uint64_t method_code(std::string_view method) {
  std::uint64_t code = 0;
  for (char c : method.substr(0, 7)) code = (code << 8) | static_cast<unsigned char>(c);
  return code;
}

}  // namespace

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : open_connections(prometheus::BuildGauge()
                           .Name("parley_http_open_connections")
                           .Help("Open HTTP and WebSocket connections")
                           .Register(registry)
                           .Add({})),
      in_flight_requests(prometheus::BuildGauge()
                             .Name("parley_http_requests_in_flight")
                             .Help("Requests being handled right now")
                             .Register(registry)
                             .Add({})),
      rejected_connections(prometheus::BuildCounter()
                               .Name("parley_http_rejected_connections_total")
                               .Help("Connections refused because the connection limit was reached")
                               .Register(registry)
                               .Add({})),
      requests_(prometheus::BuildCounter()
                    .Name("parley_http_requests_total")
                    .Help("HTTP requests by method, route template and status")
                    .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("parley_http_request_duration_seconds")
                   .Help("HTTP request latency by method, route template and status")
                   .Register(registry)) {}

void HttpMetrics::observe(std::size_t route_key, std::string_view method, std::string_view route, int status,
                          double seconds) {
  std::uint64_t key = (static_cast<std::uint64_t>(route_key) << 48) ^ (method_code(method) << 10) ^
                      static_cast<std::uint64_t>(status);
  Series series{};
  {
    std::shared_lock lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) series = it->second;
  }
  if (series.count == nullptr) {
    std::unique_lock lock(mutex_);
    auto& slot = series_[key];
    if (slot.count == nullptr) {
      std::map<std::string, std::string> labels{
          {"method", std::string(method)}, {"route", std::string(route)}, {"status", std::to_string(status)}};
      slot.count = &requests_.Add(labels);
      static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5, 10.0};
      slot.latency = &latency_.Add(labels, kBuckets);
    }
    series = slot;
  }
  series.count->Increment();
  series.latency->Observe(seconds);
}

std::string render_metrics(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace parley::http
