#pragma once
// HTTP metrics on a prometheus-cpp registry the App owns: request counts and latency histograms
// by method, route template and status; open connections; in-flight requests.
//
// Thread-safe. Requests are counted in per-thread shards (a thread takes only its own shard's
// lock, which nobody else wants except a scrape), never in prometheus-cpp's shared series, whose
// histogram takes one mutex for every observation; flush() folds the shards into the registry and
// must run before the registry is rendered (render_metrics does).
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <optional>

#include "core/thread_shards.hpp"
#include "core/trace.hpp"
#include "http/openmetrics.hpp"
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::http {

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);
  ~HttpMetrics();

  // `route` is the matched template or "unmatched"; `route_key` identifies it for the cache.
  // `trace`, when given and sampled, becomes the latency bucket's exemplar (OpenMetrics).
  void observe(std::size_t route_key, std::string_view method, std::string_view route, int status, double seconds,
               const trace::SpanContext* trace = nullptr);
  // Adds what the shards counted since the last flush to the registry's series, then runs the
  // hooks (other sharded metrics folding themselves in before a scrape renders the registry).
  void flush();
  // Set up before serving; `hook` must not call back into this object.
  void on_flush(std::function<void()> hook) { flush_hooks_.push_back(std::move(hook)); }

  prometheus::Gauge& open_connections;
  prometheus::Gauge& in_flight_requests;
  prometheus::Counter& rejected_connections;

  prometheus::Registry& registry() noexcept { return registry_; }

  // The latest exemplar of a latency bucket, as of the last flush (for render_openmetrics).
  std::optional<Exemplar> exemplar(std::string_view family, const std::vector<prometheus::ClientMetric::Label>& labels,
                                   std::size_t bucket);

 private:
  struct Shard;

  prometheus::Registry& registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  core::ThreadShards<Shard> shards_;  // for_each: one flush at a time
  std::vector<std::function<void()>> flush_hooks_;
  std::mutex exemplars_mutex_;
  // Latency exemplars by series (its label values joined) and bucket; under exemplars_mutex_.
  std::unordered_map<std::string, std::vector<std::optional<Exemplar>>> exemplars_;
};

// Flushes `metrics` and renders its registry in the Prometheus text exposition format.
std::string render_metrics(HttpMetrics& metrics);
// The same in the OpenMetrics text format, with the latency histogram's exemplars.
std::string render_openmetrics(HttpMetrics& metrics);

}  // namespace parley::http
