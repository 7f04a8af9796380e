#pragma once
// What every database statement costs: the parley_db_statement_duration_seconds histogram and
// parley_db_statement_errors_total, by statement name (the named queries of the repositories, a
// bounded set; one-off statements by their first keyword), and a client span per statement of a
// sampled trace.
//
// Thread-safe and lock-free across threads on the hot path: each thread counts into its own shard
// (its mutex is taken by that thread and by a scrape only); flush() folds the shards into the
// registry and runs at every scrape (registered with HttpMetrics).
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "core/thread_shards.hpp"
#include "db/database.hpp"

namespace parley {

class StatementMetrics final : public db::StatementObserver {
 public:
  // `spans` may be null (no export); `system` names the database in spans ("postgresql", "sqlite").
  StatementMetrics(prometheus::Registry& registry, trace::SpanSink* spans, std::string system);
  ~StatementMetrics() override;

  void on_statement(const db::StatementSample& sample) noexcept override;
  void flush();

  // The metric label of a statement: its name, or for an unnamed one its first SQL keyword when
  // it is a transaction or cursor command, else "unnamed".
  static std::string_view label(std::string_view name, std::string_view sql) noexcept;

 private:
  struct Shard;

  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& errors_;
  trace::SpanSink* spans_;
  std::string system_;
  core::ThreadShards<Shard> shards_;
};

}  // namespace parley
