#pragma once
// Cron expressions evaluated in a time zone: when a periodic job (jobs/schedule.hpp) runs next.
//
// The expression is Vixie cron's five fields, "minute hour day-of-month month day-of-week":
//
//   *            every value           a-b     a range, both ends included (a <= b)
//   */n, a-b/n   every n-th from the start of the range (n >= 1)
//   a,b-c,*/n    a list of any of these
//
// Ranges are minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7
// or SUN-SAT (0 and 7 are both Sunday); names are case-insensitive and may end ranges ("MON-FRI").
// A step needs '*' or a range before it: "5/10" is refused, as Vixie cron does ("5-59/10").
// The macros @yearly (@annually), @monthly, @weekly, @daily (@midnight) and @hourly stand for
// "0 0 1 1 *", "0 0 1 * *", "0 0 * * 0", "0 0 * * *" and "0 * * * *" (any case). @reboot is not a
// schedule.
//
// Day rule (Vixie cron): when both day fields are restricted (neither starts with '*'), a day
// matches when EITHER does: "0 0 1 * MON" runs on the 1st and on every Monday.
//
// The fields match LOCAL wall-clock time in the schedule's zone. Around DST changes (as cronie
// does; the tests pin each case):
//   - fixed-time jobs (neither minute nor hour starts with '*', e.g. "30 2 * * *"): a local time
//     skipped by a spring-forward gap runs once at the first instant after the gap (03:00 local
//     when 02:00 jumps to 03:00); a local time that occurs twice at fall-back runs once, at its
//     first occurrence;
//   - wildcard jobs (minute or hour starts with '*', e.g. "*/15 * * * *", "0 * * * *" = @hourly):
//     follow the wall clock; times in a gap do not happen, a repeated hour runs again.
//
// Time zones come from the system's TZif files (RFC 8536; Debian package tzdata): the recorded
// transitions, then the file's POSIX TZ rule for instants after the last one. No leap seconds
// ("right/" zones are refused). Errors are AppError::bad_request with a message naming the problem.
// Both types are immutable values, safe to share between threads.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley::jobs {

struct ZoneRules;  // a parsed TZif file (cron.cpp)

class TimeZone {
 public:
  // UTC (also what a default-constructed TimeZone is).
  TimeZone();
  static TimeZone utc();

  // An IANA zone ("Europe/Berlin", "America/New_York", "UTC") from its TZif file under
  // `zoneinfo_dir`. The name is letters, digits, '_', '+' and '-' in '/'-separated parts, so it
  // cannot leave the directory. Throws AppError when the name is invalid or unknown, or the file
  // is not a TZif file we can read.
  static TimeZone load(std::string_view name, const std::filesystem::path& zoneinfo_dir = "/usr/share/zoneinfo");

  const std::string& name() const noexcept { return name_; }

  // The UTC offset in effect at `t` (local time = t + offset).
  std::chrono::seconds offset_at(std::chrono::sys_seconds t) const;

  // The stretch of time containing `t` during which the offset does not change: what
  // CronExpression walks to map local times to instants. start <= t < end. A stretch may also end
  // where the offset stays the same (a listed transition that only renames the local time).
  struct Span {
    std::chrono::sys_seconds start;        // the transition that began it; sys_seconds::min() when none
    std::chrono::sys_seconds end;          // the next transition; sys_seconds::max() when none
    std::chrono::seconds offset;           // in effect from start until end
    std::chrono::seconds previous_offset;  // in effect just before start (== offset when none)
  };
  Span span_at(std::chrono::sys_seconds t) const;

 private:
  TimeZone(std::string name, std::shared_ptr<const ZoneRules> rules);

  std::string name_;
  std::shared_ptr<const ZoneRules> rules_;  // shared: schedules copy their zone freely
};

class CronExpression {
 public:
  // Parses the text described above. Throws AppError naming the field and the part that is
  // wrong: "cron: minute field '61' is out of range 0-59".
  static CronExpression parse(std::string_view text);

  // The first run strictly after `after`, by the rules above (whole local minutes; `after` may be
  // any second). nullopt when there is none within 8 years (a Feb 29 job waits at most 8 years,
  // over a non-leap century year; so nullopt means the fields can never match, e.g. "0 0 30 2 *"),
  // and for `after` outside the years 1-9999.
  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds after, const TimeZone& zone) const;

  // As written, without surrounding whitespace.
  const std::string& text() const noexcept { return text_; }

 private:
  CronExpression() = default;

  // The first local time >= from (local seconds, rounded up to a minute) that matches, if one is
  // before `limit`.
  std::optional<std::int64_t> next_local_match(std::int64_t from, std::int64_t limit) const;
  bool day_matches(unsigned day, unsigned weekday) const;

  std::string text_;
  std::uint64_t minutes_ = 0;  // bit n: minute n matches
  std::uint32_t hours_ = 0;
  std::uint32_t days_ = 0;            // bits 1-31
  std::uint32_t months_ = 0;          // bits 1-12
  std::uint32_t weekdays_ = 0;        // bits 0-6, Sunday 0
  bool days_restricted_ = false;      // day-of-month does not start with '*'
  bool weekdays_restricted_ = false;  // day-of-week does not start with '*'
  bool wildcard_ = false;             // minute or hour starts with '*': follows the wall clock at DST changes
};

}  // namespace parley::jobs
