#pragma once
// The metrics of the process itself, refreshed at each scrape of /metrics (docs/operations.md,
// "Metrics"): build info, readiness, the process' memory, CPU, threads and file descriptors (read
// from /proc/self, as Prometheus' own client libraries do), the database pools' use, and the
// real-time layer's counters (kept as atomics on its hot path, read here).
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <mutex>

#include "db/database.hpp"
#include "realtime/realtime.hpp"

namespace parley {

class OperationalMetrics {
 public:
  // `database` may be null (no pool gauges).
  OperationalMetrics(prometheus::Registry& registry, const db::Database* database);

  // The real-time layer whose counters to report (once it exists; it outlives the scrapes).
  void watch(const realtime::Realtime& realtime);

  // Updates every gauge; `ready` is what /readyz would answer now. Thread-safe.
  void update(bool ready);

 private:
  // Adds to `counter` what `total` grew by since `seen` (a counter only goes up).
  static void advance(prometheus::Counter& counter, double total, double& seen);

  const db::Database* database_;
  const realtime::Realtime* realtime_ = nullptr;
  prometheus::Gauge& ready_;
  prometheus::Gauge& resident_memory_;
  prometheus::Gauge& open_fds_;
  prometheus::Gauge& max_fds_;
  prometheus::Gauge& threads_;
  prometheus::Counter& cpu_seconds_;
  prometheus::Family<prometheus::Gauge>& pool_connections_;
  prometheus::Family<prometheus::Gauge>& pool_max_;
  prometheus::Family<prometheus::Gauge>& pool_waiting_;
  prometheus::Family<prometheus::Counter>& transactions_;
  prometheus::Counter& committed_;
  prometheus::Counter& rolled_back_;
  prometheus::Counter& retries_;
  prometheus::Gauge& ws_open_;
  prometheus::Counter& ws_overflows_;
  prometheus::Counter& ws_refused_frames_;
  prometheus::Family<prometheus::Counter>& ws_frames_;
  prometheus::Counter& ws_frames_in_;
  prometheus::Counter& ws_frames_out_;
  prometheus::Counter& ws_deliveries_;
  prometheus::Family<prometheus::Histogram>& ws_delivery_latency_family_;
  prometheus::Histogram* ws_delivery_latency_ = nullptr;  // once watch() knows the hub's buckets
  core::AtomicHistogram::Snapshot ws_delivery_latency_seen_;
  prometheus::Counter& typing_dropped_;
  std::mutex mutex_;  // update() runs for each scrape, possibly two at once
  double cpu_seconds_seen_ = 0;
  double committed_seen_ = 0;
  double rolled_back_seen_ = 0;
  double retries_seen_ = 0;
  double ws_overflows_seen_ = 0;
  double ws_refused_seen_ = 0;
  double typing_dropped_seen_ = 0;
  double ws_frames_in_seen_ = 0;
  double ws_frames_out_seen_ = 0;
  double ws_deliveries_seen_ = 0;
};

}  // namespace parley
