#include "jobs/cron.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"

// The zone tests read the real tz database (Debian package tzdata) from /usr/share/zoneinfo.

namespace parley::jobs {
namespace {

using namespace std::chrono;

const std::filesystem::path kZoneinfo = "/usr/share/zoneinfo";

using Runs = std::vector<std::string>;

sys_seconds utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

std::string two(long long v) { return (v < 10 ? "0" : "") + std::to_string(v); }

std::string date_time(sys_seconds t) {
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const auto since_midnight = t - day;
  return std::to_string(static_cast<int>(date.year())) + "-" + two(static_cast<unsigned>(date.month())) + "-" +
         two(static_cast<unsigned>(date.day())) + " " + two(since_midnight / 1h) + ":" +
         two(since_midnight % 1h / 1min);
}

// "2026-03-29 03:00+02:00": the wall clock in `zone` and its offset, which together pin the instant.
std::string local(sys_seconds t, const TimeZone& zone) {
  const auto offset = zone.offset_at(t);
  const auto magnitude = offset < 0s ? -offset : offset;
  return date_time(t + offset) + (offset < 0s ? "-" : "+") + two(magnitude / 1h) + ":" + two(magnitude % 1h / 1min);
}

std::string iso(std::optional<sys_seconds> t) {
  if (!t) return "none";
  auto text = date_time(*t);
  text[10] = 'T';
  return text + "Z";
}

// The next `count` runs after `after`, as local wall-clock times.
std::vector<std::string> runs(std::string_view expression, sys_seconds after, int count, const TimeZone& zone) {
  const auto cron = CronExpression::parse(expression);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const auto next = cron.next_after(after, zone);
    if (!next) break;
    out.push_back(local(*next, zone));
    after = *next;
  }
  return out;
}

// The same in UTC, as "2026-01-01T00:05Z"-style instants.
std::vector<std::string> utc_runs(std::string_view expression, sys_seconds after, int count) {
  const auto cron = CronExpression::parse(expression);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const auto next = cron.next_after(after, TimeZone::utc());
    if (!next) break;
    out.push_back(iso(next));
    after = *next;
  }
  return out;
}

std::string next_utc(std::string_view expression, sys_seconds after) {
  return iso(CronExpression::parse(expression).next_after(after, TimeZone::utc()));
}

TimeZone zone(std::string_view name) {
  if (!std::filesystem::is_directory(kZoneinfo)) {
    ADD_FAILURE() << kZoneinfo << " is missing: install the tz database (apt-get install tzdata)";
  }
  return TimeZone::load(name, kZoneinfo);
}

// The public message of the AppError `action` throws (and that it is a 400).
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const AppError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_EQ(error.code(), "bad_request");
    return error.public_message();
  }
  return "no error";
}

std::string parse_error(std::string_view text) {
  return error_of([&] { CronExpression::parse(text); });
}

std::string load_error(std::string_view name, const std::filesystem::path& dir = kZoneinfo) {
  return error_of([&] { TimeZone::load(name, dir); });
}

// A TZif version 2 file: local time types (UTC offsets), transitions into them, and a footer.
std::string tzif(const std::vector<std::int32_t>& types,
                 const std::vector<std::pair<std::int64_t, std::uint8_t>>& transitions, std::string_view footer,
                 std::uint32_t leap_count = 0) {
  std::string out;
  auto be = [&out](std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  };
  auto header = [&](std::uint32_t time_count, std::uint32_t type_count, std::uint32_t leaps) {
    out += "TZif2";
    out += std::string(15, '\0');
    for (std::uint32_t count : {0u, 0u, leaps, time_count, type_count, 4u}) be(count, 4);
  };
  // A minimal version-1 block (readers of version 2 skip it), then the real data.
  header(0, 1, 0);
  be(0, 4);
  out += std::string("\0\0XXX\0", 6);
  header(static_cast<std::uint32_t>(transitions.size()), static_cast<std::uint32_t>(types.size()), leap_count);
  for (const auto& [at, type] : transitions) be(static_cast<std::uint64_t>(at), 8);
  for (const auto& [at, type] : transitions) out += static_cast<char>(type);
  for (auto offset : types) {
    be(static_cast<std::uint32_t>(offset), 4);
    out += std::string("\0\0", 2);
  }
  out += std::string("XXX\0", 4);
  for (std::uint32_t i = 0; i < leap_count; ++i) {
    be(0, 8);  // occurrence
    be(0, 4);  // correction
  }
  out += "\n" + std::string(footer) + "\n";
  return out;
}

// A zoneinfo directory of our own, for rules and damage the real database does not have.
std::filesystem::path scratch_zoneinfo(const std::vector<std::pair<std::string, std::string>>& files) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "cron_test_zoneinfo";
  std::filesystem::remove_all(dir);
  for (const auto& [name, content] : files) {
    std::filesystem::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary) << content;
  }
  return dir;
}

// --- Fields -------------------------------------------------------------------------------------

TEST(Cron, EveryFieldSyntax) {
  const auto jan1 = utc(2026, 1, 1);  // a Thursday
  EXPECT_EQ(next_utc("* * * * *", jan1 + 30s), "2026-01-01T00:01Z");
  EXPECT_EQ(utc_runs("5,10,50 * * * *", jan1, 4),
            (Runs{"2026-01-01T00:05Z", "2026-01-01T00:10Z", "2026-01-01T00:50Z", "2026-01-01T01:05Z"}));
  EXPECT_EQ(utc_runs("10-12 * * * *", jan1, 4),
            (Runs{"2026-01-01T00:10Z", "2026-01-01T00:11Z", "2026-01-01T00:12Z", "2026-01-01T01:10Z"}));
  EXPECT_EQ(utc_runs("*/20 * * * *", jan1, 3), (Runs{"2026-01-01T00:20Z", "2026-01-01T00:40Z", "2026-01-01T01:00Z"}));
  EXPECT_EQ(utc_runs("10-40/15 * * * *", jan1, 4),
            (Runs{"2026-01-01T00:10Z", "2026-01-01T00:25Z", "2026-01-01T00:40Z", "2026-01-01T01:10Z"}));
  EXPECT_EQ(
      utc_runs("1,10-11,*/30 * * * *", jan1, 5),
      (Runs{"2026-01-01T00:01Z", "2026-01-01T00:10Z", "2026-01-01T00:11Z", "2026-01-01T00:30Z", "2026-01-01T01:00Z"}));
  EXPECT_EQ(utc_runs("0 */6 * * *", jan1, 4),
            (Runs{"2026-01-01T06:00Z", "2026-01-01T12:00Z", "2026-01-01T18:00Z", "2026-01-02T00:00Z"}));
  EXPECT_EQ(utc_runs("0 9-17/4 * * *", jan1, 4),
            (Runs{"2026-01-01T09:00Z", "2026-01-01T13:00Z", "2026-01-01T17:00Z", "2026-01-02T09:00Z"}));
  EXPECT_EQ(utc_runs("0 0 1-2,15 * *", jan1, 4),
            (Runs{"2026-01-02T00:00Z", "2026-01-15T00:00Z", "2026-02-01T00:00Z", "2026-02-02T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 1 6-12/3 *", jan1, 3), (Runs{"2026-06-01T00:00Z", "2026-09-01T00:00Z", "2026-12-01T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 * * 1-5", jan1, 3), (Runs{"2026-01-02T00:00Z", "2026-01-05T00:00Z", "2026-01-06T00:00Z"}));
}

TEST(Cron, MonthAndWeekdayNamesAnyCase) {
  const auto jan1 = utc(2026, 1, 1);
  EXPECT_EQ(utc_runs("0 0 1 jan,Jul *", jan1, 2), (Runs{"2026-07-01T00:00Z", "2027-01-01T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 1 FEB-apr/2 *", jan1, 3),
            (Runs{"2026-02-01T00:00Z", "2026-04-01T00:00Z", "2027-02-01T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 1 Dec *", jan1, 1), (Runs{"2026-12-01T00:00Z"}));
  // Jan 2 2026 is a Friday.
  EXPECT_EQ(utc_runs("0 9 * * mon-FRI", utc(2026, 1, 2, 9), 3),
            (Runs{"2026-01-05T09:00Z", "2026-01-06T09:00Z", "2026-01-07T09:00Z"}));
  EXPECT_EQ(utc_runs("0 0 * * SAT,sun", jan1, 3),
            (Runs{"2026-01-03T00:00Z", "2026-01-04T00:00Z", "2026-01-10T00:00Z"}));
}

TEST(Cron, SevenIsSundayToo) {
  const auto jan1 = utc(2026, 1, 1);
  const Runs sundays{"2026-01-04T00:00Z", "2026-01-11T00:00Z"};
  EXPECT_EQ(utc_runs("0 0 * * 7", jan1, 2), sundays);
  EXPECT_EQ(utc_runs("0 0 * * 0", jan1, 2), sundays);
  EXPECT_EQ(utc_runs("0 0 * * SUN", jan1, 2), sundays);
  EXPECT_EQ(utc_runs("0 0 * * 5-7", jan1, 4),
            (Runs{"2026-01-02T00:00Z", "2026-01-03T00:00Z", "2026-01-04T00:00Z", "2026-01-09T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 * * FRI-7", jan1, 3), (Runs{"2026-01-02T00:00Z", "2026-01-03T00:00Z", "2026-01-04T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 * * 0-7", jan1, 2), (Runs{"2026-01-02T00:00Z", "2026-01-03T00:00Z"}));
}

TEST(Cron, RestrictedDayOfMonthAndDayOfWeekMatchEither) {
  // Both restricted: the 13th OR any Friday (March 13 2026 is both; April 13 a Monday).
  EXPECT_EQ(utc_runs("0 0 13 * FRI", utc(2026, 3, 1), 8),
            (Runs{"2026-03-06T00:00Z", "2026-03-13T00:00Z", "2026-03-20T00:00Z", "2026-03-27T00:00Z",
                  "2026-04-03T00:00Z", "2026-04-10T00:00Z", "2026-04-13T00:00Z", "2026-04-17T00:00Z"}));
  // A field starting with '*' is not restricted, even with a step: then both must match, here odd
  // days that are Mondays.
  EXPECT_EQ(utc_runs("0 0 */2 * MON", utc(2026, 1, 1), 4),
            (Runs{"2026-01-05T00:00Z", "2026-01-19T00:00Z", "2026-02-09T00:00Z", "2026-02-23T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 13 * *", utc(2026, 3, 1), 2), (Runs{"2026-03-13T00:00Z", "2026-04-13T00:00Z"}));
  EXPECT_EQ(utc_runs("0 0 13 * */1", utc(2026, 3, 1), 2), (Runs{"2026-03-13T00:00Z", "2026-04-13T00:00Z"}));
}

TEST(Cron, Macros) {
  const auto jan1 = utc(2026, 1, 1);  // Thursday
  EXPECT_EQ(next_utc("@yearly", jan1), "2027-01-01T00:00Z");
  EXPECT_EQ(next_utc("@annually", jan1), "2027-01-01T00:00Z");
  EXPECT_EQ(next_utc("@monthly", jan1), "2026-02-01T00:00Z");
  EXPECT_EQ(next_utc("@weekly", jan1), "2026-01-04T00:00Z");  // Sunday
  EXPECT_EQ(next_utc("@daily", jan1), "2026-01-02T00:00Z");
  EXPECT_EQ(next_utc("@midnight", jan1), "2026-01-02T00:00Z");
  EXPECT_EQ(utc_runs("@hourly", jan1 + 90min, 2), (Runs{"2026-01-01T02:00Z", "2026-01-01T03:00Z"}));
  EXPECT_EQ(next_utc("@DAILY", jan1), "2026-01-02T00:00Z");
  EXPECT_EQ(CronExpression::parse("  @daily ").text(), "@daily");
}

TEST(Cron, TextIsTheExpressionAsWritten) {
  EXPECT_EQ(CronExpression::parse("  */5\t* * *   mon-fri \n").text(), "*/5\t* * *   mon-fri");
  EXPECT_EQ(CronExpression::parse("0 0 * * *").text(), "0 0 * * *");
}

TEST(Cron, RunsAreStrictlyAfterAndOnWholeMinutes) {
  EXPECT_EQ(next_utc("0 12 * * *", utc(2026, 1, 1, 12)), "2026-01-02T12:00Z");
  EXPECT_EQ(next_utc("0 12 * * *", utc(2026, 1, 1, 11, 59, 59)), "2026-01-01T12:00Z");
  EXPECT_EQ(next_utc("* * * * *", utc(2026, 1, 1, 10, 0, 59)), "2026-01-01T10:01Z");
  EXPECT_EQ(next_utc("* * * * *", utc(1969, 12, 31, 23, 59, 30)), "1970-01-01T00:00Z");  // before the epoch too
}

TEST(Cron, LeapDay) {
  EXPECT_EQ(utc_runs("0 0 29 2 *", utc(2026, 1, 1), 2), (Runs{"2028-02-29T00:00Z", "2032-02-29T00:00Z"}));
  // 2100 is not a leap year: the longest wait there is, 8 years.
  EXPECT_EQ(next_utc("0 0 29 2 *", utc(2096, 3, 1)), "2104-02-29T00:00Z");
  // With a weekday as well, the OR rule: Feb 29 or any Monday in February.
  EXPECT_EQ(next_utc("0 0 29 2 MON", utc(2026, 1, 1)), "2026-02-02T00:00Z");
}

TEST(Cron, ImpossibleDatesNeverRun) {
  EXPECT_EQ(next_utc("0 0 30 2 *", utc(2026, 1, 1)), "none");
  EXPECT_EQ(next_utc("0 0 31 2 *", utc(2026, 1, 1)), "none");
  EXPECT_EQ(next_utc("0 0 31 4,6,9,11 *", utc(2026, 1, 1)), "none");
  EXPECT_EQ(iso(CronExpression::parse("0 0 30 2 *").next_after(utc(2026, 1, 1), zone("Europe/Berlin"))), "none");
}

TEST(Cron, SearchesSkipWholeMonthsAndDays) {
  // A minute-by-minute scan would test about 4 million minutes per call; each of these takes a few
  // hundred steps, so a thousand calls are far inside the bound even under sanitizers.
  const auto impossible = CronExpression::parse("0 0 30 2 *");
  const auto leap = CronExpression::parse("0 0 29 2 *");
  const auto berlin = zone("Europe/Berlin");
  const auto started = steady_clock::now();
  for (int i = 0; i < 500; ++i) {
    EXPECT_FALSE(impossible.next_after(utc(2026, 1, 1) + days{i}, berlin));
    EXPECT_TRUE(leap.next_after(utc(2026, 1, 1) + days{i}, berlin));
  }
  EXPECT_LT(steady_clock::now() - started, 5s);
}

TEST(Cron, RollsOverMonthsAndYears) {
  EXPECT_EQ(next_utc("59 23 31 12 *", utc(2026, 12, 31, 23, 59)), "2027-12-31T23:59Z");
  EXPECT_EQ(next_utc("0 0 1 * *", utc(2026, 12, 15)), "2027-01-01T00:00Z");
  EXPECT_EQ(next_utc("*/15 * * * *", utc(2026, 12, 31, 23, 50)), "2027-01-01T00:00Z");
  EXPECT_EQ(next_utc("30 * * * *", utc(2026, 1, 31, 23, 45)), "2026-02-01T00:30Z");
  // Months without a 31st are skipped.
  EXPECT_EQ(utc_runs("0 0 31 * *", utc(2026, 4, 1), 3),
            (Runs{"2026-05-31T00:00Z", "2026-07-31T00:00Z", "2026-08-31T00:00Z"}));
}

// --- Errors -------------------------------------------------------------------------------------

TEST(Cron, RefusesValuesOutOfRange) {
  EXPECT_EQ(parse_error("61 * * * *"), "cron: minute field '61' is out of range 0-59");
  EXPECT_EQ(parse_error("0 24 * * *"), "cron: hour field '24' is out of range 0-23");
  EXPECT_EQ(parse_error("0 0 0 * *"), "cron: day-of-month field '0' is out of range 1-31");
  EXPECT_EQ(parse_error("0 0 32 * *"), "cron: day-of-month field '32' is out of range 1-31");
  EXPECT_EQ(parse_error("0 0 * 0 *"), "cron: month field '0' is out of range 1-12");
  EXPECT_EQ(parse_error("0 0 * 13 *"), "cron: month field '13' is out of range 1-12");
  EXPECT_EQ(parse_error("0 0 * * 8"), "cron: day-of-week field '8' is out of range 0-7");
  EXPECT_EQ(parse_error("50-61 * * * *"), "cron: minute field '61' is out of range 0-59");
  EXPECT_EQ(parse_error("0,5,60 * * * *"), "cron: minute field '60' is out of range 0-59");
  EXPECT_EQ(parse_error("99999999999999999999 * * * *"),
            "cron: minute field '99999999999999999999' is out of range 0-59");
}

TEST(Cron, RefusesEmptyListItemsAndMissingValues) {
  EXPECT_EQ(parse_error("1,,2 * * * *"), "cron: minute field '1,,2' has an empty list item");
  EXPECT_EQ(parse_error("0 1, * * *"), "cron: hour field '1,' has an empty list item");
  EXPECT_EQ(parse_error("0 0 ,1 * *"), "cron: day-of-month field ',1' has an empty list item");
  EXPECT_EQ(parse_error("1- * * * *"), "cron: minute field '1-' is missing a value");
  EXPECT_EQ(parse_error("-5 * * * *"), "cron: minute field '-5' is missing a value");
  EXPECT_EQ(parse_error("*/ * * * *"), "cron: minute field '*/' is missing its step");
}

TEST(Cron, RefusesBadSteps) {
  EXPECT_EQ(parse_error("*/0 * * * *"), "cron: minute field step '0' in '*/0' is out of range 1-59");
  EXPECT_EQ(parse_error("0-30/0 * * * *"), "cron: minute field step '0' in '0-30/0' is out of range 1-59");
  EXPECT_EQ(parse_error("*/60 * * * *"), "cron: minute field step '60' in '*/60' is out of range 1-59");
  EXPECT_EQ(parse_error("0 */24 * * *"), "cron: hour field step '24' in '*/24' is out of range 1-23");
  EXPECT_EQ(parse_error("*/x * * * *"), "cron: minute field step 'x' in '*/x' is not a number");
  EXPECT_EQ(parse_error("*/-1 * * * *"), "cron: minute field step '-1' in '*/-1' is not a number");
  EXPECT_EQ(parse_error("5/10 * * * *"),
            "cron: minute field '5/10' has a step without a range: write '*/n' or 'a-b/n'");
}

TEST(Cron, RefusesReversedRanges) {
  EXPECT_EQ(parse_error("30-10 * * * *"), "cron: minute field range '30-10' is reversed (the start is after the end)");
  EXPECT_EQ(parse_error("0 0 * * FRI-MON"),
            "cron: day-of-week field range 'FRI-MON' is reversed (the start is after the end)");
  EXPECT_EQ(parse_error("0 0 * DEC-JAN *"),
            "cron: month field range 'DEC-JAN' is reversed (the start is after the end)");
  EXPECT_EQ(parse_error("0 0 * * 7-0"), "cron: day-of-week field range '7-0' is reversed (the start is after the end)");
}

TEST(Cron, RefusesTooManyOrTooFewFields) {
  const std::string empty =
      "cron: the expression is empty; expected five fields (minute hour day-of-month month day-of-week) or a macro "
      "such as @daily";
  EXPECT_EQ(parse_error(""), empty);
  EXPECT_EQ(parse_error(" \t "), empty);
  EXPECT_EQ(parse_error("* * * *"),
            "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4 in '* * * *'");
  EXPECT_EQ(parse_error("0 0 0 * * * 2026"),
            "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 7 in '0 0 0 * * * 2026'");
  EXPECT_EQ(parse_error("0 0 * * * *"),
            "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 6 in '0 0 * * * *'");
}

TEST(Cron, RefusesUnknownNames) {
  EXPECT_EQ(parse_error("0 0 * FOO *"), "cron: month field 'FOO' is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(parse_error("0 0 * January *"), "cron: month field 'January' is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(parse_error("0 0 * MON *"), "cron: month field 'MON' is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(parse_error("0 0 * * MONDAY"),
            "cron: day-of-week field 'MONDAY' is not a number or a weekday name (SUN-SAT)");
  EXPECT_EQ(parse_error("0 0 * * JAN"), "cron: day-of-week field 'JAN' is not a number or a weekday name (SUN-SAT)");
  EXPECT_EQ(parse_error("0 JAN * * *"), "cron: hour field 'JAN' is not a number");
  EXPECT_EQ(parse_error("0 0 ? * *"), "cron: day-of-month field '?' is not a number");
  EXPECT_EQ(parse_error("0 0 L * *"), "cron: day-of-month field 'L' is not a number");
  EXPECT_EQ(parse_error("1-2-3 * * * *"), "cron: minute field '2-3' is not a number");
}

TEST(Cron, RefusesUnknownMacros) {
  const std::string expected = "; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly";
  EXPECT_EQ(parse_error("@reboot"), "cron: unknown macro '@reboot'" + expected);
  EXPECT_EQ(parse_error("@every 5m"), "cron: unknown macro '@every'" + expected);
  EXPECT_EQ(parse_error("@"), "cron: unknown macro '@'" + expected);
  EXPECT_EQ(parse_error("@daily 5 *"), "cron: macro '@daily' stands alone, but '5 *' follows it");
}

// --- Time zones ---------------------------------------------------------------------------------

TEST(Cron, UtcZone) {
  const auto utc_zone = TimeZone::utc();
  EXPECT_EQ(utc_zone.name(), "UTC");
  EXPECT_EQ(utc_zone.offset_at(utc(2026, 7, 1)), 0s);
  EXPECT_EQ(TimeZone().name(), "UTC");
  const auto span = utc_zone.span_at(utc(2026, 7, 1));
  EXPECT_EQ(span.start, sys_seconds::min());
  EXPECT_EQ(span.end, sys_seconds::max());
  const auto from_file = zone("UTC");
  EXPECT_EQ(from_file.name(), "UTC");
  EXPECT_EQ(from_file.offset_at(utc(2026, 7, 1)), 0s);
  EXPECT_EQ(from_file.offset_at(utc(2045, 1, 1)), 0s);
}

TEST(Cron, ZoneOffsetsAtTheTransitionsOf2026) {
  const auto berlin = zone("Europe/Berlin");
  EXPECT_EQ(berlin.name(), "Europe/Berlin");
  EXPECT_EQ(berlin.offset_at(utc(2026, 3, 29, 0, 59, 59)), 1h);
  EXPECT_EQ(berlin.offset_at(utc(2026, 3, 29, 1)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2026, 10, 25, 0, 59, 59)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2026, 10, 25, 1)), 1h);
  const auto summer = berlin.span_at(utc(2026, 6, 1));
  EXPECT_EQ(summer.start, utc(2026, 3, 29, 1));
  EXPECT_EQ(summer.end, utc(2026, 10, 25, 1));
  EXPECT_EQ(summer.offset, 2h);
  EXPECT_EQ(summer.previous_offset, 1h);

  const auto new_york = zone("America/New_York");
  EXPECT_EQ(new_york.offset_at(utc(2026, 3, 8, 6, 59, 59)), -5h);
  EXPECT_EQ(new_york.offset_at(utc(2026, 3, 8, 7)), -4h);
  EXPECT_EQ(new_york.offset_at(utc(2026, 11, 1, 5, 59, 59)), -4h);
  EXPECT_EQ(new_york.offset_at(utc(2026, 11, 1, 6)), -5h);

  const auto lord_howe = zone("Australia/Lord_Howe");  // +10:30, and +11:00 in the southern summer
  EXPECT_EQ(lord_howe.offset_at(utc(2026, 4, 4, 14, 59, 59)), 11h);
  EXPECT_EQ(lord_howe.offset_at(utc(2026, 4, 4, 15)), 10h + 30min);
  EXPECT_EQ(lord_howe.offset_at(utc(2026, 10, 3, 15, 29, 59)), 10h + 30min);
  EXPECT_EQ(lord_howe.offset_at(utc(2026, 10, 3, 15, 30)), 11h);

  EXPECT_EQ(zone("Asia/Kolkata").offset_at(utc(2026, 6, 1)), 5h + 30min);
  EXPECT_EQ(zone("Asia/Kolkata").offset_at(utc(1943, 1, 1)), 6h + 30min);  // war time, from the listed transitions
}

TEST(Cron, ZoneRulesFarInTheFuture) {
  // Debian's files list transitions up to 2037; later ones come from the POSIX TZ rule at the end.
  const auto berlin = zone("Europe/Berlin");  // CET-1CEST,M3.5.0,M10.5.0/3
  const auto after_list = berlin.span_at(utc(2037, 12, 1));
  EXPECT_EQ(after_list.start, utc(2037, 10, 25, 1));  // the last transition listed
  EXPECT_EQ(after_list.end, utc(2038, 3, 28, 1));     // the first from the rule
  EXPECT_EQ(after_list.offset, 1h);
  EXPECT_EQ(berlin.offset_at(utc(2040, 3, 25, 0, 59, 59)), 1h);
  EXPECT_EQ(berlin.offset_at(utc(2040, 3, 25, 1)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2040, 10, 28, 0, 59, 59)), 2h);
  EXPECT_EQ(berlin.offset_at(utc(2040, 10, 28, 1)), 1h);

  const auto new_york = zone("America/New_York");  // EST5EDT,M3.2.0,M11.1.0
  EXPECT_EQ(new_york.offset_at(utc(2040, 3, 11, 6, 59, 59)), -5h);
  EXPECT_EQ(new_york.offset_at(utc(2040, 3, 11, 7)), -4h);
  EXPECT_EQ(new_york.offset_at(utc(2040, 11, 4, 5, 59, 59)), -4h);
  EXPECT_EQ(new_york.offset_at(utc(2040, 11, 4, 6)), -5h);

  // Quoted names, a half-hour DST, southern hemisphere: <+1030>-10:30<+11>-11,M10.1.0,M4.1.0
  const auto lord_howe = zone("Australia/Lord_Howe");
  EXPECT_EQ(lord_howe.offset_at(utc(2040, 3, 31, 14, 59, 59)), 11h);
  EXPECT_EQ(lord_howe.offset_at(utc(2040, 3, 31, 15)), 10h + 30min);
  EXPECT_EQ(lord_howe.offset_at(utc(2040, 10, 6, 15, 29, 59)), 10h + 30min);
  EXPECT_EQ(lord_howe.offset_at(utc(2040, 10, 6, 15, 30)), 11h);

  // A rule time past 24h: IST-2IDT,M3.4.4/26,M10.5.0 (the fourth Thursday, 26:00 = Friday 02:00).
  const auto jerusalem = zone("Asia/Jerusalem");
  EXPECT_EQ(jerusalem.offset_at(utc(2040, 3, 22, 23, 59, 59)), 2h);
  EXPECT_EQ(jerusalem.offset_at(utc(2040, 3, 23)), 3h);

  // A negative rule time: <-02>2<-01>,M3.5.0/-1,M10.5.0/0 (Saturday 23:00 local).
  const auto nuuk = zone("America/Nuuk");
  EXPECT_EQ(nuuk.offset_at(utc(2040, 3, 25, 0, 59, 59)), -2h);
  EXPECT_EQ(nuuk.offset_at(utc(2040, 3, 25, 1)), -1h);
  EXPECT_EQ(nuuk.offset_at(utc(2040, 10, 28, 0, 59, 59)), -1h);
  EXPECT_EQ(nuuk.offset_at(utc(2040, 10, 28, 1)), -2h);
}

TEST(Cron, PosixRuleForms) {
  // Forms no current zone uses, in files of our own with no transitions: only the rule.
  const auto dir = scratch_zoneinfo({
      {"Test/Julian", tzif({3600}, {}, "XST-1XDT,J60/2,J300/2")},   // J60: March 1, leap year or not
      {"Test/ZeroBased", tzif({3600}, {}, "XST-1XDT,59/2,300/2")},  // 59: Feb 29 in a leap year
      {"Test/AllYear", tzif({-14400}, {}, "EST5EDT,0/0,J365/25")},  // DST all year (RFC 8536)
      {"Test/Explicit", tzif({-12600}, {}, "<-0330>3:30<-0130>1:30,M3.2.0/-2:30,M11.1.0/26:15")},
      {"Test/Fixed", tzif({20700}, {}, "<+0545>-5:45")},
  });
  const auto julian = TimeZone::load("Test/Julian", dir);
  EXPECT_EQ(julian.offset_at(utc(2028, 3, 1, 0, 59, 59)), 1h);
  EXPECT_EQ(julian.offset_at(utc(2028, 3, 1, 1)), 2h);
  EXPECT_EQ(julian.offset_at(utc(2027, 3, 1, 1)), 2h);
  EXPECT_EQ(julian.offset_at(utc(2027, 2, 28, 23)), 1h);

  const auto zero_based = TimeZone::load("Test/ZeroBased", dir);
  EXPECT_EQ(zero_based.offset_at(utc(2028, 2, 29, 0, 59, 59)), 1h);
  EXPECT_EQ(zero_based.offset_at(utc(2028, 2, 29, 1)), 2h);
  EXPECT_EQ(zero_based.offset_at(utc(2027, 2, 28, 23)), 1h);
  EXPECT_EQ(zero_based.offset_at(utc(2027, 3, 1, 1)), 2h);

  const auto all_year = TimeZone::load("Test/AllYear", dir);
  for (auto t : {utc(2030, 1, 1, 4, 30), utc(2030, 1, 1, 5), utc(2030, 7, 1), utc(2030, 12, 31, 23, 59)}) {
    EXPECT_EQ(all_year.offset_at(t), -4h) << iso(t);
  }
  EXPECT_EQ(all_year.span_at(utc(2030, 1, 1, 5)).end, sys_seconds::max());  // no transitions at all

  // Offsets and rule times with minutes, a negative time and one past 24h: DST starts on the
  // second Sunday of March (March 10 2030) at -2:30, i.e. Saturday 21:30 local (01:00 UTC);
  // ends on the first Sunday of November (Nov 3) at 26:15, i.e. Monday 02:15 local DST.
  const auto explicit_rule = TimeZone::load("Test/Explicit", dir);
  EXPECT_EQ(explicit_rule.offset_at(utc(2030, 3, 10, 0, 59, 59)), -(3h + 30min));
  EXPECT_EQ(explicit_rule.offset_at(utc(2030, 3, 10, 1)), -(1h + 30min));
  EXPECT_EQ(explicit_rule.offset_at(utc(2030, 11, 4, 3, 44, 59)), -(1h + 30min));
  EXPECT_EQ(explicit_rule.offset_at(utc(2030, 11, 4, 3, 45)), -(3h + 30min));

  EXPECT_EQ(TimeZone::load("Test/Fixed", dir).offset_at(utc(2030, 6, 1)), 5h + 45min);
}

TEST(Cron, ZoneFilesWithTransitionsAndNoRule) {
  // Version 2 data with an empty footer: the last transition's offset holds for ever.
  const auto dir = scratch_zoneinfo({
      {"Test/Listed", tzif({0, 3600}, {{1'000'000'000, 1}, {1'100'000'000, 0}, {1'200'000'000, 1}}, "")},
  });
  const auto listed = TimeZone::load("Test/Listed", dir);
  EXPECT_EQ(listed.offset_at(sys_seconds{999'999'999s}), 0s);  // before the first: type 0
  EXPECT_EQ(listed.offset_at(sys_seconds{1'000'000'000s}), 1h);
  EXPECT_EQ(listed.offset_at(sys_seconds{1'150'000'000s}), 0s);
  EXPECT_EQ(listed.offset_at(sys_seconds{4'000'000'000s}), 1h);
  const auto middle = listed.span_at(sys_seconds{1'150'000'000s});
  EXPECT_EQ(middle.start, sys_seconds{1'100'000'000s});
  EXPECT_EQ(middle.end, sys_seconds{1'200'000'000s});
  EXPECT_EQ(middle.previous_offset, 1h);
  EXPECT_EQ(listed.span_at(sys_seconds{4'000'000'000s}).end, sys_seconds::max());
}

TEST(Cron, ZoneLoadErrors) {
  EXPECT_EQ(load_error("Mars/Olympus_Mons"), "unknown time zone 'Mars/Olympus_Mons'");
  EXPECT_EQ(load_error("Europe"), "unknown time zone 'Europe'");  // a directory
  const std::string invalid = "' is not valid: expected an IANA name such as 'Europe/Berlin'";
  EXPECT_EQ(load_error("../etc/passwd"), "time zone name '../etc/passwd" + invalid);
  EXPECT_EQ(load_error("Europe/../../etc/passwd"), "time zone name 'Europe/../../etc/passwd" + invalid);
  EXPECT_EQ(load_error("/etc/passwd"), "time zone name '/etc/passwd" + invalid);
  EXPECT_EQ(load_error(""), "time zone name '" + invalid);
  EXPECT_EQ(load_error("Europe/"), "time zone name 'Europe/" + invalid);
  EXPECT_EQ(load_error("Europe//Berlin"), "time zone name 'Europe//Berlin" + invalid);
  EXPECT_EQ(load_error("Europe/Berlin "), "time zone name 'Europe/Berlin " + invalid);
  EXPECT_EQ(load_error("zone.tab"), "time zone name 'zone.tab" + invalid);
  EXPECT_EQ(load_error("Europe/Berlin", "/nonexistent/zoneinfo"), "unknown time zone 'Europe/Berlin'");

  const auto good = tzif({3600}, {}, "CET-1");
  const auto dir = scratch_zoneinfo({
      {"Bad/Text", "Europe/Berlin is a zone\n"},
      {"Bad/Empty", ""},
      {"Bad/Unterminated", good.substr(0, good.size() - 1)},
      {"Bad/Truncated", tzif({0, 3600}, {{1000, 1}, {2000, 0}}, "").substr(0, 110)},
      {"Bad/Rule", tzif({3600}, {}, "CET-1CEST")},
      {"Bad/Order", tzif({0, 3600}, {{2000, 1}, {1000, 0}}, "")},
      {"Bad/Type", tzif({0}, {{1000, 3}}, "")},
      {"Bad/Leap", tzif({0}, {}, "UTC0", 1)},
  });
  EXPECT_EQ(load_error("Bad/Text", dir), "time zone 'Bad/Text': not a TZif file");
  EXPECT_EQ(load_error("Bad/Empty", dir), "time zone 'Bad/Empty': not a TZif file");
  EXPECT_EQ(load_error("Bad/Unterminated", dir),
            "time zone 'Bad/Unterminated': malformed TZif file (unterminated footer)");
  EXPECT_EQ(load_error("Bad/Truncated", dir), "time zone 'Bad/Truncated': truncated TZif file");
  EXPECT_EQ(load_error("Bad/Rule", dir), "time zone 'Bad/Rule': malformed TZif file (TZ rule 'CET-1CEST')");
  EXPECT_EQ(load_error("Bad/Order", dir), "time zone 'Bad/Order': malformed TZif file (transitions out of order)");
  EXPECT_EQ(load_error("Bad/Type", dir), "time zone 'Bad/Type': malformed TZif file (transition type)");
  EXPECT_EQ(load_error("Bad/Leap", dir), "time zone 'Bad/Leap': leap-second zones (right/...) are not supported");
  const auto short_file = scratch_zoneinfo({{"Bad/Short", good.substr(0, 60)}});
  EXPECT_EQ(load_error("Bad/Short", short_file), "time zone 'Bad/Short': malformed TZif file (no version 2 header)");
}

// --- Runs in time zones ----------------------------------------------------------------------

TEST(Cron, NonHourOffsets) {
  const auto kolkata = zone("Asia/Kolkata");
  const auto next = CronExpression::parse("0 9 * * *").next_after(utc(2026, 6, 1), kolkata);
  EXPECT_EQ(iso(next), "2026-06-01T03:30Z");
  EXPECT_EQ(runs("*/45 * * * *", utc(2026, 6, 1), 3, kolkata),
            (Runs{"2026-06-01 05:45+05:30", "2026-06-01 06:00+05:30", "2026-06-01 06:45+05:30"}));
  EXPECT_EQ(runs("0 0 1 * *", utc(2026, 6, 15), 1, kolkata), (Runs{"2026-07-01 00:00+05:30"}));
}

TEST(Cron, BerlinSpringForward) {
  // 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:00-02:59 does not exist.
  const auto berlin = zone("Europe/Berlin");
  const auto before = utc(2026, 3, 27, 12);
  // A fixed-time job in the gap runs once, at the first instant after it.
  EXPECT_EQ(runs("30 2 * * *", before, 3, berlin),
            (Runs{"2026-03-28 02:30+01:00", "2026-03-29 03:00+02:00", "2026-03-30 02:30+02:00"}));
  EXPECT_EQ(runs("0 2 * * *", before, 3, berlin),
            (Runs{"2026-03-28 02:00+01:00", "2026-03-29 03:00+02:00", "2026-03-30 02:00+02:00"}));
  // ... once even when it also names 03:00, and a 03:00 job is not doubled.
  EXPECT_EQ(runs("0 2,3 * * *", utc(2026, 3, 28, 12), 3, berlin),
            (Runs{"2026-03-29 03:00+02:00", "2026-03-30 02:00+02:00", "2026-03-30 03:00+02:00"}));
  EXPECT_EQ(runs("0 3 * * *", utc(2026, 3, 28, 12), 2, berlin),
            (Runs{"2026-03-29 03:00+02:00", "2026-03-30 03:00+02:00"}));
  EXPECT_EQ(iso(CronExpression::parse("30 2 * * *").next_after(utc(2026, 3, 28, 12), berlin)), "2026-03-29T01:00Z");
  // Asked again from the run itself, the next run is the next day's.
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 3, 29, 1), 1, berlin), (Runs{"2026-03-30 02:30+02:00"}));
  // Wildcard jobs follow the wall clock: the missing times just do not happen.
  EXPECT_EQ(runs("*/30 * * * *", utc(2026, 3, 29, 0), 3, berlin),
            (Runs{"2026-03-29 01:30+01:00", "2026-03-29 03:00+02:00", "2026-03-29 03:30+02:00"}));
  EXPECT_EQ(runs("@hourly", utc(2026, 3, 29, 0, 30), 2, berlin),
            (Runs{"2026-03-29 03:00+02:00", "2026-03-29 04:00+02:00"}));
  EXPECT_EQ(runs("*/30 2 * * *", utc(2026, 3, 28, 12), 2, berlin),
            (Runs{"2026-03-30 02:00+02:00", "2026-03-30 02:30+02:00"}));
}

TEST(Cron, BerlinFallBack) {
  // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice.
  const auto berlin = zone("Europe/Berlin");
  // A fixed-time job runs at the first occurrence only.
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 10, 24, 12), 2, berlin),
            (Runs{"2026-10-25 02:30+02:00", "2026-10-26 02:30+01:00"}));
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 10, 25, 0, 30), 1, berlin),  // from its run: not again
            (Runs{"2026-10-26 02:30+01:00"}));
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 10, 25, 1, 10), 1, berlin),  // from 02:10 CET, the second pass
            (Runs{"2026-10-26 02:30+01:00"}));
  EXPECT_EQ(runs("0 3 * * *", utc(2026, 10, 24, 12), 2, berlin),
            (Runs{"2026-10-25 03:00+01:00", "2026-10-26 03:00+01:00"}));
  // Wildcard jobs run through the repeated hour again.
  EXPECT_EQ(
      runs("*/30 * * * *", utc(2026, 10, 25, 0), 4, berlin),
      (Runs{"2026-10-25 02:30+02:00", "2026-10-25 02:00+01:00", "2026-10-25 02:30+01:00", "2026-10-25 03:00+01:00"}));
  EXPECT_EQ(runs("@hourly", utc(2026, 10, 24, 23, 30), 3, berlin),
            (Runs{"2026-10-25 02:00+02:00", "2026-10-25 02:00+01:00", "2026-10-25 03:00+01:00"}));
}

TEST(Cron, NewYorkBothTransitions) {
  const auto new_york = zone("America/New_York");
  // 8 March 2026: 02:00 EST becomes 03:00 EDT.
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 3, 7, 12), 2, new_york),
            (Runs{"2026-03-08 03:00-04:00", "2026-03-09 02:30-04:00"}));
  EXPECT_EQ(runs("*/20 * * * *", utc(2026, 3, 8, 6, 30), 3, new_york),
            (Runs{"2026-03-08 01:40-05:00", "2026-03-08 03:00-04:00", "2026-03-08 03:20-04:00"}));
  // 1 November 2026: 02:00 EDT becomes 01:00 EST.
  EXPECT_EQ(runs("30 1 * * *", utc(2026, 10, 31, 12), 2, new_york),
            (Runs{"2026-11-01 01:30-04:00", "2026-11-02 01:30-05:00"}));
  EXPECT_EQ(
      runs("*/30 * * * *", utc(2026, 11, 1, 5), 4, new_york),
      (Runs{"2026-11-01 01:30-04:00", "2026-11-01 01:00-05:00", "2026-11-01 01:30-05:00", "2026-11-01 02:00-05:00"}));
  EXPECT_EQ(runs("0 9 * * MON-FRI", utc(2026, 10, 30, 14), 2, new_york),  // across the change, still 09:00
            (Runs{"2026-11-02 09:00-05:00", "2026-11-03 09:00-05:00"}));
}

TEST(Cron, LordHoweHalfHourDst) {
  const auto lord_howe = zone("Australia/Lord_Howe");
  // 4 October 2026: 02:00 (+10:30) becomes 02:30 (+11:00).
  EXPECT_EQ(runs("15 2 * * *", utc(2026, 10, 2, 12), 3, lord_howe),
            (Runs{"2026-10-03 02:15+10:30", "2026-10-04 02:30+11:00", "2026-10-05 02:15+11:00"}));
  EXPECT_EQ(runs("*/15 * * * *", utc(2026, 10, 3, 15), 3, lord_howe),
            (Runs{"2026-10-04 01:45+10:30", "2026-10-04 02:30+11:00", "2026-10-04 02:45+11:00"}));
  // 5 April 2026: 02:00 (+11:00) becomes 01:30 (+10:30).
  EXPECT_EQ(runs("45 1 * * *", utc(2026, 4, 3, 12), 3, lord_howe),
            (Runs{"2026-04-04 01:45+11:00", "2026-04-05 01:45+11:00", "2026-04-06 01:45+10:30"}));
  EXPECT_EQ(
      runs("*/15 * * * *", utc(2026, 4, 4, 14, 30), 4, lord_howe),
      (Runs{"2026-04-05 01:45+11:00", "2026-04-05 01:30+10:30", "2026-04-05 01:45+10:30", "2026-04-05 02:00+10:30"}));
}

TEST(Cron, FarFutureRunsFollowTheZoneRule) {
  const auto berlin = zone("Europe/Berlin");
  EXPECT_EQ(runs("30 2 * * *", utc(2040, 3, 24, 12), 2, berlin),
            (Runs{"2040-03-25 03:00+02:00", "2040-03-26 02:30+02:00"}));
  EXPECT_EQ(runs("30 2 * * *", utc(2040, 10, 27, 12), 2, berlin),
            (Runs{"2040-10-28 02:30+02:00", "2040-10-29 02:30+01:00"}));
  // Nuuk springs from Saturday 23:00 to Sunday 00:00: the gap crosses midnight, and the run it
  // absorbs lands on the next day.
  const auto nuuk = zone("America/Nuuk");
  EXPECT_EQ(runs("30 23 * * *", utc(2040, 3, 24, 12), 2, nuuk),
            (Runs{"2040-03-25 00:00-01:00", "2040-03-25 23:30-01:00"}));
  EXPECT_EQ(runs("30 23 * * SAT", utc(2040, 3, 20), 2, nuuk),
            (Runs{"2040-03-25 00:00-01:00", "2040-03-31 23:30-01:00"}));
}

// What next_after should return, found the slow way: every UTC minute after `from` in turn, with
// "does this local time match" asked of the expression in UTC (where there is no DST), and the
// rules of the header applied minute by minute. `offsets[i]` is the zone's offset at minute i
// (and `offsets[0]` at `from`, a whole minute, so the first minute looked at is i = 1).
std::vector<sys_seconds> brute_force_runs(const CronExpression& cron, bool fixed_time, sys_seconds from,
                                          const std::vector<seconds>& offsets) {
  auto matches = [&](sys_seconds local) { return cron.next_after(local - 1s, TimeZone::utc()) == local; };
  std::vector<sys_seconds> runs;
  std::set<sys_seconds> seen;  // local times already passed
  for (std::size_t i = 1; i < offsets.size(); ++i) {
    const sys_seconds t = from + minutes{i};
    const auto offset = offsets[i];
    const auto before = offsets[i - 1];  // transitions fall on whole minutes in these zones
    bool run = false;
    if (fixed_time && before < offset) {  // t ends a gap: a fixed-time run in it happens now
      for (auto missing = t + before; missing < t + offset; missing += 1min) run = run || matches(missing);
    }
    if (matches(t + offset) && (!fixed_time || !seen.contains(t + offset))) run = true;
    seen.insert(t + offset);
    if (run) runs.push_back(t);
  }
  return runs;
}

TEST(Cron, AgreesWithAMinuteByMinuteScanAroundTransitions) {
  const std::vector<std::pair<const char*, bool>> expressions{
      {"30 2 * * *", true},    {"0 2 * * *", true},     {"0,30 2,3 * * *", true}, {"45 1 * * *", true},
      {"15 2 * * *", true},    {"30 23 * * *", true},   {"0 0 * * *", true},      {"0-59/20 1-3 * * *", true},
      {"0 2 * * SUN", true},   {"@daily", true},        {"*/15 * * * *", false},  {"0 * * * *", false},
      {"*/30 2 * * *", false}, {"30 */2 * * *", false}, {"@hourly", false},
  };
  const std::vector<std::pair<const char*, sys_seconds>> transitions{
      {"Europe/Berlin", utc(2026, 3, 29, 1)},
      {"Europe/Berlin", utc(2026, 10, 25, 1)},
      {"America/New_York", utc(2026, 3, 8, 7)},
      {"America/New_York", utc(2026, 11, 1, 6)},
      {"Australia/Lord_Howe", utc(2026, 4, 4, 15)},
      {"Australia/Lord_Howe", utc(2026, 10, 3, 15, 30)},
      {"America/Nuuk", utc(2040, 3, 25, 1)},
      {"America/Nuuk", utc(2040, 10, 28, 1)},
      {"Asia/Kolkata", utc(2026, 6, 1)},
  };
  for (const auto& [name, transition] : transitions) {
    const auto tz = zone(name);
    // From the day before to the day after, so each job's runs on both sides are compared.
    const auto from = transition - 26h;
    const auto to = transition + 26h;
    std::vector<seconds> offsets;
    for (auto t = from; t <= to; t += 1min) offsets.push_back(tz.offset_at(t));
    for (const auto& [text, fixed_time] : expressions) {
      const auto cron = CronExpression::parse(text);
      std::vector<std::string> found, expected;
      for (auto t = cron.next_after(from, tz); t && *t <= to; t = cron.next_after(*t, tz))
        found.push_back(local(*t, tz));
      for (auto t : brute_force_runs(cron, fixed_time, from, offsets)) expected.push_back(local(t, tz));
      EXPECT_EQ(found, expected) << text << " in " << name << " around " << iso(transition);
    }
  }
}

}  // namespace
}  // namespace parley::jobs
