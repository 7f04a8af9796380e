#pragma once
// Periodic jobs (Celery beat's schedule), as configuration and as a pure decision
// (docs/jobs.md, "Scheduler").
//
// A schedule is written `<cron> [tz=<IANA zone>] [missed=skip|catch_up] <task>`, the cron part
// being five fields or an @macro (jobs/cron.hpp); PARLEY_SCHEDULES lists them as
// `name=<schedule>` separated by ';', and adds to or replaces (by name) the built-in ones;
// `name=off` turns one off.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/cron.hpp"

namespace parley::jobs {

// What happens to a run that was due while no scheduler was running (or leading) and is found
// more than the grace period late: skipped, or run once however many were missed.
enum class MissedPolicy { skip, catch_up };

struct Schedule {
  std::string name;  // [a-z0-9_-]{1,64}
  CronExpression cron;
  TimeZone zone;
  MissedPolicy missed = MissedPolicy::skip;
  std::string task;
  std::string spec;  // as written, for logs and `parley check`
};

// Parses one schedule (without its name). Throws AppError (400) naming what is wrong.
Schedule parse_schedule(std::string_view name, std::string_view spec,
                        const std::filesystem::path& zoneinfo_dir = "/usr/share/zoneinfo");

// The built-in schedules, as `name=spec` pairs.
const std::vector<std::pair<std::string, std::string>>& builtin_schedules();

// The built-in schedules with PARLEY_SCHEDULES (`raw`) applied. Throws AppError naming the
// first bad entry.
std::vector<Schedule> schedules_from_config(std::string_view raw,
                                            const std::filesystem::path& zoneinfo_dir = "/usr/share/zoneinfo");

// The decision of one scheduler tick for one schedule.
struct FiringDecision {
  std::optional<std::chrono::sys_seconds> fire;     // fire the run due at this time now
  std::optional<std::chrono::sys_seconds> skipped;  // the latest run skipped as missed, if any
  std::optional<std::chrono::sys_seconds> next;     // when to look again (the next run after now)
};

// `last`: the last recorded firing (nullopt: never fired; nothing before `now` is then due).
// Looks back at most `lookback` before now. The latest run due in (last, now] fires when it is at
// most `grace` late, or later with MissedPolicy::catch_up; earlier missed runs never fire.
FiringDecision decide_firing(const Schedule& schedule, std::optional<std::chrono::sys_seconds> last,
                             std::chrono::sys_seconds now, std::chrono::seconds grace,
                             std::chrono::seconds lookback = std::chrono::hours(24 * 7));

}  // namespace parley::jobs
