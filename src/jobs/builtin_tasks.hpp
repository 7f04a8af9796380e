#pragma once
// Tasks that belong to no feature (docs/jobs.md, "Tasks"):
//   maintenance.cleanup  deletes what nothing can use any more: expired sessions, refresh tokens,
//                        reset tokens and real-time tickets, dead jobs after `dead_job_retention`,
//                        old idempotency keys and schedule firings (the event log purges itself,
//                        events/event_stream.hpp). Scheduled hourly by default.
//   system.noop          does nothing: for benchmarks and for checking the pipeline end to end.
// and, only with PARLEY_TEST_TASKS=1 (test suites; `parley check --deploy` refuses it):
//   testing.effect       {key, sleep_ms, fail_times}: fails its first `fail_times` attempts, then
//                        writes one audit row "testing.effect" (once per job, whatever happens
//                        after), then, in that attempt only, sleeps `sleep_ms` (so a test
//                        can kill the worker after the effect).
#include <chrono>

#include <spdlog/logger.h>

#include "db/database.hpp"
#include "jobs/jobs.hpp"

namespace parley::jobs {

struct BuiltinTaskSettings {
  std::chrono::seconds dead_job_retention{30LL * 24 * 3600};
  bool test_tasks = false;
};

void register_builtin_tasks(TaskRegistry& registry, db::Database& database, BuiltinTaskSettings settings,
                            spdlog::logger& logger);

}  // namespace parley::jobs
