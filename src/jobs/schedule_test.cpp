#include "jobs/schedule.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/time.hpp"

namespace parley::jobs {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

sys_seconds at(const char* rfc3339) { return std::chrono::floor<std::chrono::seconds>(*parse_rfc3339(rfc3339)); }

TEST(ScheduleSpec, ParsesCronOptionsAndTask) {
  auto s = parse_schedule("nightly", "30 2 * * * tz=Europe/Berlin missed=catch_up maintenance.cleanup");
  EXPECT_EQ(s.name, "nightly");
  EXPECT_EQ(s.cron.text(), "30 2 * * *");
  EXPECT_EQ(s.zone.name(), "Europe/Berlin");
  EXPECT_EQ(s.missed, MissedPolicy::catch_up);
  EXPECT_EQ(s.task, "maintenance.cleanup");
  auto hourly = parse_schedule("h", "@hourly system.noop");
  EXPECT_EQ(hourly.cron.text(), "@hourly");
  EXPECT_EQ(hourly.missed, MissedPolicy::skip);
  EXPECT_EQ(hourly.zone.name(), "UTC");
}

TEST(ScheduleSpec, RefusesWhatItCannotRead) {
  for (const char* spec : {"", "* * * * *", "@hourly", "* * * * * when=now system.noop", "61 * * * * system.noop",
                           "@hourly tz=Nowhere/Land system.noop", "@hourly missed=always system.noop",
                           "@hourly system.noop missed=skip"}) {
    EXPECT_THROW(parse_schedule("s", spec), AppError) << spec;
  }
  EXPECT_THROW(parse_schedule("Bad Name", "@hourly system.noop"), AppError);
}

TEST(ScheduleSpec, ConfigAddsReplacesAndTurnsOffBuiltins) {
  auto builtin = schedules_from_config("");
  ASSERT_EQ(builtin.size(), 4u);
  EXPECT_EQ(builtin[0].name, "analytics_rollup");
  EXPECT_EQ(builtin[1].name, "cleanup");
  EXPECT_EQ(builtin[2].name, "deleted_messages");
  EXPECT_EQ(builtin[3].name, "orphaned_uploads");
  auto changed = schedules_from_config(" cleanup = @daily maintenance.cleanup ; noop=*/5 * * * * system.noop;");
  ASSERT_EQ(changed.size(), 5u);
  EXPECT_EQ(changed[1].name, "cleanup");
  EXPECT_EQ(changed[1].cron.text(), "@daily");
  EXPECT_EQ(changed[3].name, "noop");
  EXPECT_TRUE(
      schedules_from_config("cleanup=off;orphaned_uploads=off;deleted_messages=off;analytics_rollup=off").empty());
  EXPECT_THROW(schedules_from_config("no-equals-sign"), AppError);
  EXPECT_THROW(schedules_from_config("x=61 * * * * system.noop"), AppError);
}

TEST(DecideFiring, FiresTheLatestDueRunWithinGrace) {
  auto s = parse_schedule("q", "*/15 * * * * system.noop");
  auto d = decide_firing(s, at("2026-12-04T10:00:00Z"), at("2026-12-04T10:15:20Z"), 60s);
  ASSERT_TRUE(d.fire);
  EXPECT_EQ(*d.fire, at("2026-12-04T10:15:00Z"));
  EXPECT_FALSE(d.skipped);
  EXPECT_EQ(d.next, at("2026-12-04T10:30:00Z"));

  auto none = decide_firing(s, at("2026-12-04T10:15:00Z"), at("2026-12-04T10:20:00Z"), 60s);
  EXPECT_FALSE(none.fire);
  EXPECT_FALSE(none.skipped);
  EXPECT_EQ(none.next, at("2026-12-04T10:30:00Z"));
}

TEST(DecideFiring, MissedRunsAreSkippedOrCaughtUpOnce) {
  auto skip = parse_schedule("q", "0 * * * * system.noop");
  const auto last = at("2026-12-04T06:00:00Z");
  const auto now = at("2026-12-04T10:30:00Z");  // 07:00 .. 10:00 were missed
  auto skipped = decide_firing(skip, last, now, 60s);
  EXPECT_FALSE(skipped.fire);
  EXPECT_EQ(skipped.skipped, at("2026-12-04T10:00:00Z"));
  EXPECT_EQ(skipped.next, at("2026-12-04T11:00:00Z"));

  auto catch_up = parse_schedule("q", "0 * * * * missed=catch_up system.noop");
  auto caught = decide_firing(catch_up, last, now, 60s);
  EXPECT_EQ(caught.fire, at("2026-12-04T10:00:00Z")) << "once, for the latest missed run";
  EXPECT_FALSE(caught.skipped);
}

TEST(DecideFiring, NeverFiredMeansNothingIsDueYetAndLookbackIsBounded) {
  auto s = parse_schedule("q", "* * * * * missed=catch_up system.noop");
  auto fresh = decide_firing(s, std::nullopt, at("2026-12-04T10:30:30Z"), 60s);
  EXPECT_FALSE(fresh.fire);
  EXPECT_EQ(fresh.next, at("2026-12-04T10:31:00Z"));
  // A firing a year ago: only the last week is looked at (no year of minutes walked).
  auto old = decide_firing(s, at("2025-12-04T10:00:00Z"), at("2026-12-04T10:30:30Z"), 60s);
  EXPECT_EQ(old.fire, at("2026-12-04T10:30:00Z"));
}

}  // namespace
}  // namespace parley::jobs
