#pragma once
// The metrics of the process itself, refreshed at each scrape of /metrics (docs/operations.md,
// "Metrics"): build info, readiness, the process' memory, CPU, threads and file descriptors (read
// from /proc/self, as Prometheus' own client libraries do), and the database pools' use.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <mutex>

#include "db/database.hpp"

namespace parley {

class OperationalMetrics {
 public:
  // `database` may be null (no pool gauges).
  OperationalMetrics(prometheus::Registry& registry, const db::Database* database);

  // Updates every gauge; `ready` is what /readyz would answer now. Thread-safe.
  void update(bool ready);

 private:
  const db::Database* database_;
  prometheus::Gauge& ready_;
  prometheus::Gauge& resident_memory_;
  prometheus::Gauge& open_fds_;
  prometheus::Gauge& max_fds_;
  prometheus::Gauge& threads_;
  prometheus::Counter& cpu_seconds_;
  prometheus::Family<prometheus::Gauge>& pool_connections_;
  prometheus::Family<prometheus::Gauge>& pool_max_;
  prometheus::Family<prometheus::Gauge>& pool_waiting_;
  std::mutex mutex_;  // update() runs for each scrape, possibly two at once
  double cpu_seconds_seen_ = 0;
};

}  // namespace parley
