#include "http/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <vector>

namespace parley::http {
namespace {

std::uint64_t method_code(std::string_view method) {
  std::uint64_t code = 0;
  for (char c : method.substr(0, 7)) code = (code << 8) | static_cast<unsigned char>(c);
  return code;
}

// 0.3 s is the latency objective's bound (deploy/monitoring: 99.9% of requests under 300 ms).
const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,    0.25,  0.3,    0.5,   1.0,   2.5,  10.0};
constexpr std::size_t kBucketCount = 15;  // kBuckets and +Inf

constexpr std::string_view kLatencyFamily = "parley_http_request_duration_seconds";

// A series' identity for its exemplars: the label values in the registry's (sorted) order.
std::string series_key(const std::map<std::string, std::string>& labels) {
  std::string key;
  for (const auto& [name, value] : labels) (key += value) += '\x1f';
  return key;
}

std::string series_key(const std::vector<prometheus::ClientMetric::Label>& labels) {
  std::string key;
  for (const auto& label : labels) (key += label.value) += '\x1f';
  return key;
}

}  // namespace

// What one thread counted since the last flush, per (route, method, status).
struct HttpMetrics::Shard {
  struct Counts {
    std::map<std::string, std::string> labels;
    std::uint64_t requests = 0;
    std::array<std::uint64_t, kBucketCount> buckets{};
    double seconds = 0;
    // The last sampled trace per bucket since the last flush (trace id empty: none).
    std::array<Exemplar, kBucketCount> exemplars{};
  };
  std::mutex mutex;  // its thread per request (uncontended), flush() now and then
  std::unordered_map<std::uint64_t, Counts> series;
};

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
      registry_(registry),
      requests_(prometheus::BuildCounter()
                    .Name("parley_http_requests_total")
                    .Help("HTTP requests by method, route template and status")
                    .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("parley_http_request_duration_seconds")
                   .Help("HTTP request latency by method, route template and status")
                   .Register(registry)) {}

HttpMetrics::~HttpMetrics() = default;

void HttpMetrics::observe(std::size_t route_key, std::string_view method, std::string_view route, int status,
                          double seconds, const trace::SpanContext* trace) {
  const std::uint64_t key = (static_cast<std::uint64_t>(route_key) << 48) ^ (method_code(method) << 10) ^
                            static_cast<std::uint64_t>(status);
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());  // le: upper bounds
  Shard& shard = shards_.local();
  std::lock_guard lock(shard.mutex);
  auto [it, fresh] = shard.series.try_emplace(key);
  Shard::Counts& counts = it->second;
  if (fresh) {
    counts.labels = {{"method", std::string(method)}, {"route", std::string(route)}, {"status", std::to_string(status)}};
  }
  ++counts.requests;
  ++counts.buckets[bucket];
  counts.seconds += seconds;
  if (trace != nullptr && trace->sampled) {
    Exemplar& exemplar = counts.exemplars[bucket];
    exemplar.trace_id.clear();
    trace::append_hex(exemplar.trace_id, trace->trace_id.data(), trace->trace_id.size());
    exemplar.value = seconds;
    exemplar.timestamp = static_cast<double>(trace::now_unix_nanos()) / 1e9;
  }
}

void HttpMetrics::flush() {
  std::vector<double> increments(kBucketCount);
  shards_.for_each([&](Shard& shard) {
    std::lock_guard lock(shard.mutex);
    for (auto& [key, counts] : shard.series) {
      if (counts.requests == 0) continue;
      requests_.Add(counts.labels).Increment(static_cast<double>(counts.requests));
      for (std::size_t i = 0; i < kBucketCount; ++i) increments[i] = static_cast<double>(counts.buckets[i]);
      latency_.Add(counts.labels, kBuckets).ObserveMultiple(increments, counts.seconds);
      for (std::size_t i = 0; i < kBucketCount; ++i) {
        if (counts.exemplars[i].trace_id.empty()) continue;
        std::lock_guard exemplars_lock(exemplars_mutex_);
        auto& slots = exemplars_[series_key(counts.labels)];
        slots.resize(kBucketCount);
        slots[i] = std::move(counts.exemplars[i]);
        counts.exemplars[i] = Exemplar{};
      }
      counts.requests = 0;
      counts.buckets.fill(0);
      counts.seconds = 0;
    }
  });
  for (const auto& hook : flush_hooks_) hook();
}

std::optional<Exemplar> HttpMetrics::exemplar(std::string_view family,
                                              const std::vector<prometheus::ClientMetric::Label>& labels,
                                              std::size_t bucket) {
  if (family != kLatencyFamily) return std::nullopt;
  std::lock_guard lock(exemplars_mutex_);
  auto it = exemplars_.find(series_key(labels));
  if (it == exemplars_.end() || bucket >= it->second.size()) return std::nullopt;
  return it->second[bucket];
}

std::string render_openmetrics(HttpMetrics& metrics) {
  metrics.flush();
  return serialize_openmetrics(metrics.registry().Collect(),
                               [&metrics](std::string_view family, const auto& labels, std::size_t bucket) {
                                 return metrics.exemplar(family, labels, bucket);
                               });
}

std::string render_metrics(HttpMetrics& metrics) {
  metrics.flush();
  return prometheus::TextSerializer().Serialize(metrics.registry().Collect());
}

}  // namespace parley::http
