#pragma once
// HTTP metrics on a prometheus-cpp registry the App owns: request counts and latency histograms
// by method, route template and status; open connections; in-flight requests.
// Thread-safe. The labelled series for a (route, method, status) is created once and cached.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace parley::http {

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);

  // `route` is the matched template or "unmatched"; `route_key` identifies it for the cache.
  void observe(std::size_t route_key, std::string_view method, std::string_view route, int status, double seconds);

  prometheus::Gauge& open_connections;
  prometheus::Gauge& in_flight_requests;
  prometheus::Counter& rejected_connections;

 private:
  struct Series {
    prometheus::Counter* count;
    prometheus::Histogram* latency;
  };
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  std::shared_mutex mutex_;
  std::unordered_map<std::uint64_t, Series> series_;
};

// Renders the registry in the Prometheus text exposition format.
std::string render_metrics(prometheus::Registry& registry);

}  // namespace parley::http
