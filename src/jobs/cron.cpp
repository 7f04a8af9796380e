#include "jobs/cron.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <vector>

#include "core/error.hpp"

namespace parley::jobs {

namespace {

using std::int64_t;

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();  // "no transition before"
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();  // "no transition after"
constexpr int64_t kDay = 86'400;
// The years local times are worked out in: std::chrono's calendar covers them, and the seconds
// cannot overflow when offsets are added. Cron searches stop at its end.
constexpr int64_t kEarliest = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr int64_t kLatest = 253'402'300'800;    // 10000-01-01T00:00:00Z

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Local or UTC seconds -> the civil date they fall on, and back.
std::chrono::sys_days day_of(int64_t seconds) {
  return std::chrono::sys_days{std::chrono::days{floor_div(seconds, kDay)}};
}
int64_t seconds_of(std::chrono::sys_days day) { return int64_t{day.time_since_epoch().count()} * kDay; }

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Digits only, no sign; nullopt for anything else, including overflow.
std::optional<int64_t> parse_unsigned(std::string_view text) {
  if (!is_digits(text)) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// ---------------------------------------------------------------------------------------------
// POSIX TZ strings, the TZif footer: "CET-1CEST,M3.5.0,M10.5.0/3" (RFC 8536 section 3.3, POSIX
// 8.3 with the RFC's extension of rule times to -167..167 hours). Offsets are stored the ISO
// way, east of UTC positive: POSIX writes them the other way round ("CET-1" is UTC+1).

struct RuleDate {
  enum class Kind { julian_no_leap, zero_based, month_week_day } kind = Kind::month_week_day;
  int day = 0;                           // Jn: 1-365; n: 0-365
  int month = 0, week = 0, weekday = 0;  // Mm.w.d
  int64_t time = 2 * 3600;               // local seconds after midnight of that day, -167h..167h
};

struct PosixTz {
  int64_t std_offset = 0;
  bool has_dst = false;
  int64_t dst_offset = 0;
  RuleDate start, end;  // DST starts at `start` (local standard time), ends at `end` (local DST)
};

class PosixParser {
 public:
  explicit PosixParser(std::string_view text) : text_(text) {}

  std::optional<PosixTz> parse() {
    PosixTz tz;
    if (!name()) return std::nullopt;
    auto std_offset = offset(24);
    if (!std_offset) return std::nullopt;
    tz.std_offset = -*std_offset;
    if (done()) return tz;
    if (!name()) return std::nullopt;
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;  // the default: one hour ahead of standard time
    if (!done() && peek() != ',') {
      auto dst_offset = offset(24);
      if (!dst_offset) return std::nullopt;
      tz.dst_offset = -*dst_offset;
    }
    // TZif footers always carry the rules; POSIX leaves their absence implementation-defined.
    if (!eat(',') || !rule(tz.start) || !eat(',') || !rule(tz.end) || !done()) return std::nullopt;
    return tz;
  }

 private:
  bool done() const { return pos_ == text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // "CET" (three or more letters) or "<+0330>" (three or more letters, digits, '+', '-').
  bool name() {
    std::size_t length = 0;
    if (eat('<')) {
      while (!done() && peek() != '>') {
        const char c = peek();
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-';
        if (!ok) return false;
        ++pos_;
        ++length;
      }
      return eat('>') && length >= 3;
    }
    while (!done() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) {
      ++pos_;
      ++length;
    }
    return length >= 3;
  }

  std::optional<int64_t> number(int max_digits) {
    const auto start = pos_;
    while (!done() && peek() >= '0' && peek() <= '9' && static_cast<int>(pos_ - start) < max_digits) ++pos_;
    return parse_unsigned(text_.substr(start, pos_ - start));
  }

  // [+-]hh[:mm[:ss]] in seconds; hours up to `max_hours`. A sign is always allowed: in offsets it
  // is POSIX syntax, in rule times the RFC's extension ("M3.5.0/-1").
  std::optional<int64_t> offset(int max_hours) {
    int64_t sign = 1;
    if (eat('-')) {
      sign = -1;
    } else {
      eat('+');
    }
    auto hours = number(3);
    if (!hours || *hours > max_hours) return std::nullopt;
    int64_t seconds = *hours * 3600;
    if (eat(':')) {
      auto minutes = number(2);
      if (!minutes || *minutes > 59) return std::nullopt;
      seconds += *minutes * 60;
      if (eat(':')) {
        auto secs = number(2);
        if (!secs || *secs > 59) return std::nullopt;
        seconds += *secs;
      }
    }
    return sign * seconds;
  }

  // Jn | n | Mm.w.d, then an optional /time.
  bool rule(RuleDate& date) {
    if (eat('J')) {
      auto day = number(3);
      if (!day || *day < 1 || *day > 365) return false;
      date.kind = RuleDate::Kind::julian_no_leap;
      date.day = static_cast<int>(*day);
    } else if (eat('M')) {
      auto month = number(2);
      if (!month || *month < 1 || *month > 12 || !eat('.')) return false;
      auto week = number(1);
      if (!week || *week < 1 || *week > 5 || !eat('.')) return false;
      auto weekday = number(1);
      if (!weekday || *weekday > 6) return false;
      date.kind = RuleDate::Kind::month_week_day;
      date.month = static_cast<int>(*month);
      date.week = static_cast<int>(*week);
      date.weekday = static_cast<int>(*weekday);
    } else {
      auto day = number(3);
      if (!day || *day > 365) return false;
      date.kind = RuleDate::Kind::zero_based;
      date.day = static_cast<int>(*day);
    }
    if (eat('/')) {
      auto time = offset(167);
      if (!time) return false;
      date.time = *time;
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The local midnight (as local seconds) of the rule's day in `year`.
int64_t rule_day(const RuleDate& date, int year) {
  using namespace std::chrono;
  const auto y = std::chrono::year{year};
  switch (date.kind) {
    case RuleDate::Kind::julian_no_leap: {
      // Jn counts 1..365 and never Feb 29: J60 is March 1 in every year.
      const int index = date.day - 1 + ((y.is_leap() && date.day >= 60) ? 1 : 0);
      return seconds_of(sys_days{y / January / 1} + days{index});
    }
    case RuleDate::Kind::zero_based:
      return seconds_of(sys_days{y / January / 1} + days{date.day});
    case RuleDate::Kind::month_week_day: {
      const auto first = sys_days{y / month{static_cast<unsigned>(date.month)} / 1};
      const auto last = sys_days{y / month{static_cast<unsigned>(date.month)} / std::chrono::last};
      const int first_weekday = static_cast<int>(weekday{first}.c_encoding());
      auto day = first + days{(date.weekday - first_weekday + 7) % 7 + 7 * (date.week - 1)};
      while (day > last) day -= days{7};  // week 5 means the last such weekday
      return seconds_of(day);
    }
  }
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TZif (RFC 8536).

struct ZoneRules {
  std::vector<int64_t> transitions;  // ascending
  std::vector<int64_t> offsets;      // in effect from transitions[i]
  int64_t initial_offset = 0;        // before the first transition: local time type 0
  std::optional<PosixTz> footer;     // after the last transition

  TimeZone::Span span(int64_t t) const;
};

namespace {

TimeZone::Span make_span(int64_t start, int64_t end, int64_t offset, int64_t previous) {
  using std::chrono::seconds;
  return {std::chrono::sys_seconds{seconds{start}}, std::chrono::sys_seconds{seconds{end}}, seconds{offset},
          seconds{previous}};
}

TimeZone::Span footer_span(const PosixTz& tz, int64_t t) {
  if (!tz.has_dst) return make_span(kMinTime, kMaxTime, tz.std_offset, tz.std_offset);
  // DST runs from the start rule to the end rule: within a year when the start comes first
  // (northern rules), else from one year's start to the next year's end (southern ones). The
  // stretches of a few years around t are merged where they meet or overlap, which is how a rule
  // such as "EST5EDT,0/0,J365/25" means DST all year (RFC 8536 section 3.3.1), and t is placed
  // among them.
  auto starts = [&tz](int y) { return rule_day(tz.start, y) + tz.start.time - tz.std_offset; };
  auto ends = [&tz](int y) { return rule_day(tz.end, y) + tz.end.time - tz.dst_offset; };
  const auto year =
      static_cast<int>(std::chrono::year_month_day{day_of(std::clamp(t, kEarliest, kLatest) + tz.std_offset)}.year());
  const bool southern = ends(year) < starts(year);
  std::vector<std::pair<int64_t, int64_t>> dst;  // [begin, end) of DST, ascending, disjoint
  for (int y = year - 3; y <= year + 2; ++y) {
    const int64_t begin = starts(y);
    const int64_t end = southern ? ends(y + 1) : ends(y);
    if (begin >= end) continue;
    if (!dst.empty() && begin <= dst.back().second) {
      dst.back().second = std::max(dst.back().second, end);
    } else {
      dst.emplace_back(begin, end);
    }
  }
  // t falls years away from the first and last stretches computed, so a stretch containing t
  // that reaches either end continues beyond it: it has no transition on that side.
  for (std::size_t i = 0; i < dst.size(); ++i) {
    if (t < dst[i].first) {
      return i == 0 ? make_span(kMinTime, dst[i].first, tz.std_offset, tz.std_offset)
                    : make_span(dst[i - 1].second, dst[i].first, tz.std_offset, tz.dst_offset);
    }
    if (t < dst[i].second) {
      const int64_t end = i + 1 == dst.size() ? kMaxTime : dst[i].second;
      return i == 0 ? make_span(kMinTime, end, tz.dst_offset, tz.dst_offset)
                    : make_span(dst[i].first, end, tz.dst_offset, tz.std_offset);
    }
  }
  return dst.empty() ? make_span(kMinTime, kMaxTime, tz.std_offset, tz.std_offset)
                     : make_span(dst.back().second, kMaxTime, tz.std_offset, tz.dst_offset);
}

}  // namespace

TimeZone::Span ZoneRules::span(int64_t t) const {
  if (transitions.empty()) {
    return footer ? footer_span(*footer, t) : make_span(kMinTime, kMaxTime, initial_offset, initial_offset);
  }
  if (t < transitions.front()) return make_span(kMinTime, transitions.front(), initial_offset, initial_offset);
  const auto i =
      static_cast<std::size_t>(std::upper_bound(transitions.begin(), transitions.end(), t) - transitions.begin()) - 1;
  const int64_t previous = i == 0 ? initial_offset : offsets[i - 1];
  if (i + 1 < transitions.size()) return make_span(transitions[i], transitions[i + 1], offsets[i], previous);
  if (!footer) return make_span(transitions[i], kMaxTime, offsets[i], previous);
  // After the last transition the footer rules. Its stretch may have begun before the last
  // transition; then that transition is where it begins for us.
  auto span = footer_span(*footer, t);
  if (span.start.time_since_epoch().count() <= transitions[i]) {
    span.start = std::chrono::sys_seconds{std::chrono::seconds{transitions[i]}};
    span.previous_offset = std::chrono::seconds{previous};
  }
  return span;
}

namespace {

AppError bad_zone(std::string_view name, std::string_view why) {
  return AppError::bad_request("time zone '" + std::string(name) + "': " + std::string(why));
}

// Big-endian reads over the file's bytes, bounds-checked by the caller.
std::uint32_t be32(const std::string& data, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(data[at + i]);
  return value;
}
int64_t be64(const std::string& data, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(data[at + i]);
  return static_cast<int64_t>(value);
}

struct TzifHeader {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  // The data block's size with `time_size`-byte times (4 in version 1, 8 after).
  std::size_t block_size(std::size_t time_size) const {
    return std::size_t{timecnt} * time_size + timecnt + std::size_t{typecnt} * 6 + charcnt +
           std::size_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

constexpr std::size_t kHeaderSize = 44;
constexpr std::size_t kMaxTzifSize = 1 << 20;  // real files are a few KiB

std::optional<TzifHeader> read_header(const std::string& data, std::size_t at) {
  if (data.size() < at + kHeaderSize || data.compare(at, 4, "TZif") != 0) return std::nullopt;
  TzifHeader header;
  header.version = data[at + 4];
  header.isutcnt = be32(data, at + 20);
  header.isstdcnt = be32(data, at + 24);
  header.leapcnt = be32(data, at + 28);
  header.timecnt = be32(data, at + 32);
  header.typecnt = be32(data, at + 36);
  header.charcnt = be32(data, at + 40);
  return header;
}

ZoneRules parse_tzif(std::string_view name, const std::string& data) {
  auto header = read_header(data, 0);
  if (!header) throw bad_zone(name, "not a TZif file");
  std::size_t at = kHeaderSize;
  std::size_t time_size = 4;
  if (header->version != '\0') {
    // Version 2 and later repeat the data with 64-bit times after the version-1 block; only the
    // second copy covers times beyond 2038 and carries the footer.
    if (header->block_size(4) > data.size()) throw bad_zone(name, "truncated TZif file");
    at += header->block_size(4);
    header = read_header(data, at);
    if (!header) throw bad_zone(name, "malformed TZif file (no version 2 header)");
    at += kHeaderSize;
    time_size = 8;
  }
  const auto& h = *header;
  if (h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0)
    throw bad_zone(name, "malformed TZif file (no local time types)");
  if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    throw bad_zone(name, "malformed TZif file (indicator counts)");
  }
  // Leap-second ("right/") files count TAI-like seconds; the scheduler works in POSIX time.
  if (h.leapcnt != 0) throw bad_zone(name, "leap-second zones (right/...) are not supported");
  if (h.block_size(time_size) > data.size() - at) throw bad_zone(name, "truncated TZif file");

  ZoneRules rules;
  rules.transitions.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i, at += time_size) {
    const int64_t when = time_size == 8 ? be64(data, at) : int64_t{static_cast<std::int32_t>(be32(data, at))};
    if (!rules.transitions.empty() && when <= rules.transitions.back()) {
      throw bad_zone(name, "malformed TZif file (transitions out of order)");
    }
    rules.transitions.push_back(when);
  }
  std::vector<std::uint8_t> type_of(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i, ++at) {
    type_of[i] = static_cast<std::uint8_t>(data[at]);
    if (type_of[i] >= h.typecnt) throw bad_zone(name, "malformed TZif file (transition type)");
  }
  std::vector<int64_t> type_offsets(h.typecnt);
  for (std::uint32_t i = 0; i < h.typecnt; ++i, at += 6) {
    const int64_t utoff = static_cast<std::int32_t>(be32(data, at));
    // RFC 8536: -25:59:59 .. +25:59:59 (-2^31 is forbidden outright).
    if (utoff < -93'599 || utoff > 93'599) throw bad_zone(name, "malformed TZif file (UTC offset out of range)");
    if (static_cast<unsigned char>(data[at + 4]) > 1 || static_cast<unsigned char>(data[at + 5]) >= h.charcnt) {
      throw bad_zone(name, "malformed TZif file (local time type)");
    }
    type_offsets[i] = utoff;
  }
  at += h.charcnt + h.isstdcnt + h.isutcnt;  // abbreviations and indicators: not needed here
  rules.offsets.reserve(h.timecnt);
  for (auto type : type_of) rules.offsets.push_back(type_offsets[type]);
  rules.initial_offset = type_offsets[0];

  if (time_size == 8) {
    // The footer: "\n<POSIX TZ string>\n"; empty when no rule is known after the last transition.
    if (at >= data.size() || data[at] != '\n') throw bad_zone(name, "malformed TZif file (no footer)");
    const auto end = data.find('\n', at + 1);
    if (end == std::string::npos) throw bad_zone(name, "malformed TZif file (unterminated footer)");
    const std::string_view footer = std::string_view(data).substr(at + 1, end - at - 1);
    if (!footer.empty()) {
      rules.footer = PosixParser(footer).parse();
      if (!rules.footer) throw bad_zone(name, "malformed TZif file (TZ rule '" + std::string(footer) + "')");
    }
  }
  return rules;
}

// IANA names: '/'-separated parts of letters, digits, '_', '+' and '-'. No '.', so no "..", and
// no leading '/': the name stays inside the zoneinfo directory.
bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  if (name.find("//") != std::string_view::npos || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
           c == '-' || c == '/';
  });
}

}  // namespace

TimeZone::TimeZone() : TimeZone(utc()) {}

TimeZone::TimeZone(std::string name, std::shared_ptr<const ZoneRules> rules)
    : name_(std::move(name)), rules_(std::move(rules)) {}

TimeZone TimeZone::utc() {
  static const auto rules = std::make_shared<const ZoneRules>();
  return TimeZone("UTC", rules);
}

TimeZone TimeZone::load(std::string_view name, const std::filesystem::path& zoneinfo_dir) {
  if (!valid_zone_name(name)) {
    throw AppError::bad_request("time zone name '" + std::string(name) +
                                "' is not valid: expected an IANA name such as 'Europe/Berlin'");
  }
  const auto path = zoneinfo_dir / std::string(name);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw AppError::bad_request("unknown time zone '" + std::string(name) + "'");
  }
  const auto size = std::filesystem::file_size(path, error);
  if (error || size > kMaxTzifSize) throw bad_zone(name, "not a TZif file");
  std::ifstream in(path, std::ios::binary);
  std::string data(static_cast<std::size_t>(size), '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) {
    throw bad_zone(name, "the file cannot be read");
  }
  return TimeZone(std::string(name), std::make_shared<const ZoneRules>(parse_tzif(name, data)));
}

std::chrono::seconds TimeZone::offset_at(std::chrono::sys_seconds t) const { return span_at(t).offset; }

TimeZone::Span TimeZone::span_at(std::chrono::sys_seconds t) const {
  return rules_->span(t.time_since_epoch().count());
}

// ---------------------------------------------------------------------------------------------
// Cron fields.

namespace {

constexpr std::array<std::string_view, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdayNames{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;  // for messages
  int low;
  int high;
  int star_high;  // what '*' ends at: day-of-week's 7 repeats Sunday, so '*' is 0-6
  std::span<const std::string_view> names = {};
  int first_named = 0;  // the value of names[0]
  std::string_view names_hint = {};
};

constexpr FieldSpec kMinute{"minute", 0, 59, 59};
constexpr FieldSpec kHour{"hour", 0, 23, 23};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, 31};
constexpr FieldSpec kMonth{"month", 1, 12, 12, kMonthNames, 1, "a month name (JAN-DEC)"};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, 6, kWeekdayNames, 0, "a weekday name (SUN-SAT)"};

AppError bad_field(const FieldSpec& field, const std::string& why) {
  return AppError::bad_request("cron: " + std::string(field.name) + " field " + why);
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }
std::string range_text(const FieldSpec& field) { return std::to_string(field.low) + "-" + std::to_string(field.high); }

// One value: a number in the field's range or, where the field has them, a name.
int parse_value(const FieldSpec& field, std::string_view text, std::string_view item) {
  if (text.empty()) throw bad_field(field, in_quotes(item) + " is missing a value");
  if (is_digits(text)) {
    auto value = parse_unsigned(text);
    if (!value || *value < field.low || *value > field.high) {
      throw bad_field(field, in_quotes(text) + " is out of range " + range_text(field));
    }
    return static_cast<int>(*value);
  }
  for (std::size_t i = 0; i < field.names.size(); ++i) {
    if (iequals(text, field.names[i])) return field.first_named + static_cast<int>(i);
  }
  if (field.names.empty()) throw bad_field(field, in_quotes(text) + " is not a number");
  throw bad_field(field, in_quotes(text) + " is not a number or " + std::string(field.names_hint));
}

// One list item: *, a, a-b, */n or a-b/n; sets its values in `bits`.
void parse_item(const FieldSpec& field, std::string_view item, std::uint64_t& bits) {
  const auto slash = item.find('/');
  const auto base = item.substr(0, slash);
  int first = 0;
  int last = 0;
  if (base == "*") {
    first = field.low;
    last = field.star_high;
  } else if (const auto dash = base.find('-'); dash != std::string_view::npos) {
    first = parse_value(field, base.substr(0, dash), item);
    last = parse_value(field, base.substr(dash + 1), item);
    if (first > last) throw bad_field(field, "range " + in_quotes(base) + " is reversed (the start is after the end)");
  } else {
    if (slash != std::string_view::npos) {
      // Vixie cron's rule; some crons read "5/10" as "5-59/10", others refuse: say which we mean.
      throw bad_field(field, in_quotes(item) + " has a step without a range: write '*/n' or 'a-b/n'");
    }
    first = last = parse_value(field, base, item);
  }
  int step = 1;
  if (slash != std::string_view::npos) {
    const auto step_text = item.substr(slash + 1);
    if (step_text.empty()) throw bad_field(field, in_quotes(item) + " is missing its step");
    if (!is_digits(step_text))
      throw bad_field(field, "step " + in_quotes(step_text) + " in " + in_quotes(item) + " is not a number");
    const auto value = parse_unsigned(step_text);
    if (!value || *value == 0 || *value > field.high) {
      throw bad_field(field, "step " + in_quotes(step_text) + " in " + in_quotes(item) + " is out of range 1-" +
                                 std::to_string(field.high));
    }
    step = static_cast<int>(*value);
  }
  for (int value = first; value <= last; value += step) bits |= std::uint64_t{1} << value;
}

std::uint64_t parse_field(const FieldSpec& field, std::string_view text) {
  std::uint64_t bits = 0;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) throw bad_field(field, in_quotes(text) + " has an empty list item");
    parse_item(field, item, bits);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const auto start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 7> kMacros{{{"@yearly", "0 0 1 1 *"},
                                        {"@annually", "0 0 1 1 *"},
                                        {"@monthly", "0 0 1 * *"},
                                        {"@weekly", "0 0 * * 0"},
                                        {"@daily", "0 0 * * *"},
                                        {"@midnight", "0 0 * * *"},
                                        {"@hourly", "0 * * * *"}}};

// The lowest set bit at or above `from`, or -1.
int next_bit(std::uint64_t bits, int from) {
  const auto rest = bits & (~std::uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// A Feb 29 job waits up to 8 years (2096 -> 2104); anything longer never matches.
constexpr int64_t kHorizon = int64_t{8} * 366 * kDay;

}  // namespace

CronExpression CronExpression::parse(std::string_view text) {
  auto words = split_words(text);
  CronExpression cron;
  if (words.empty()) {
    throw AppError::bad_request(
        "cron: the expression is empty; expected five fields (minute hour day-of-month month day-of-week) or a macro "
        "such as @daily");
  }
  cron.text_ = std::string(text.substr(words.front().data() - text.data(),
                                       words.back().data() + words.back().size() - words.front().data()));
  if (words.front().starts_with('@')) {
    const auto found =
        std::find_if(kMacros.begin(), kMacros.end(), [&](const Macro& m) { return iequals(m.name, words.front()); });
    if (found == kMacros.end()) {
      throw AppError::bad_request("cron: unknown macro " + in_quotes(words.front()) +
                                  "; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly");
    }
    if (words.size() != 1) {
      const auto rest = std::string_view(cron.text_).substr(words[1].data() - words.front().data());
      throw AppError::bad_request("cron: macro " + in_quotes(words.front()) + " stands alone, but " + in_quotes(rest) +
                                  " follows it");
    }
    words = split_words(found->fields);
  }
  if (words.size() != 5) {
    throw AppError::bad_request("cron: expected 5 fields (minute hour day-of-month month day-of-week), got " +
                                std::to_string(words.size()) + " in " + in_quotes(cron.text_));
  }
  cron.minutes_ = parse_field(kMinute, words[0]);
  cron.hours_ = static_cast<std::uint32_t>(parse_field(kHour, words[1]));
  cron.days_ = static_cast<std::uint32_t>(parse_field(kDayOfMonth, words[2]));
  cron.months_ = static_cast<std::uint32_t>(parse_field(kMonth, words[3]));
  auto weekdays = parse_field(kDayOfWeek, words[4]);
  if (weekdays & (std::uint64_t{1} << 7)) weekdays = (weekdays | 1) & 0x7f;  // 7 is Sunday too
  cron.weekdays_ = static_cast<std::uint32_t>(weekdays);
  cron.days_restricted_ = !words[2].starts_with('*');
  cron.weekdays_restricted_ = !words[4].starts_with('*');
  cron.wildcard_ = words[0].starts_with('*') || words[1].starts_with('*');
  return cron;
}

bool CronExpression::day_matches(unsigned day, unsigned weekday) const {
  const bool by_day = (days_ >> day) & 1;
  const bool by_weekday = (weekdays_ >> weekday) & 1;
  // An unrestricted field has every bit set, so AND leaves the other; both restricted: either.
  return (days_restricted_ && weekdays_restricted_) ? (by_day || by_weekday) : (by_day && by_weekday);
}

std::optional<int64_t> CronExpression::next_local_match(int64_t from, int64_t limit) const {
  using namespace std::chrono;
  // Skips a whole month, day or hour at a time when its field does not match, so even
  // "0 0 29 2 *" takes a few dozen steps a year.
  int64_t t = -floor_div(-from, 60) * 60;  // round up to a whole minute
  while (t < limit) {
    const auto day = day_of(t);
    const int64_t midnight = seconds_of(day);
    const year_month_day date{day};
    if (!((months_ >> static_cast<unsigned>(date.month())) & 1)) {
      t = seconds_of(sys_days{year_month_day{date.year() / date.month() / 1} + months{1}});
      continue;
    }
    if (!day_matches(static_cast<unsigned>(date.day()), weekday{day}.c_encoding())) {
      t = midnight + kDay;
      continue;
    }
    const int hour = static_cast<int>((t - midnight) / 3600);
    const int minute = static_cast<int>((t - midnight) % 3600 / 60);
    const int next_hour = next_bit(hours_, hour);
    if (next_hour < 0) {
      t = midnight + kDay;
      continue;
    }
    if (next_hour != hour) {
      t = midnight + int64_t{next_hour} * 3600;
      continue;
    }
    const int next_minute = next_bit(minutes_, minute);
    if (next_minute < 0) {
      t = midnight + int64_t{hour + 1} * 3600;
      continue;
    }
    t = midnight + int64_t{hour} * 3600 + int64_t{next_minute} * 60;
    return t < limit ? std::optional(t) : std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::chrono::sys_seconds> CronExpression::next_after(std::chrono::sys_seconds after,
                                                                   const TimeZone& zone) const {
  // Walks the zone's stretches of constant offset from `after`. Inside one, local time runs
  // evenly, so the next matching local minute in its local range is the answer; otherwise the
  // search goes on in the next stretch. At a transition from offset p to o:
  //   o > p (spring forward): local [start+p, start+o) never happens; a fixed-time job matching
  //     there runs at the transition itself;
  //   o < p (fall back): local [start+o, start+p) happens again; a fixed-time job only ran it
  //     the first time, so its search starts at start+p.
  const int64_t from = after.time_since_epoch().count();
  if (from < kEarliest || from >= kLatest) return std::nullopt;
  const int64_t limit = std::min(from + kHorizon, kLatest);
  int64_t t = from + 1;
  while (t < limit) {
    const auto span = zone.span_at(std::chrono::sys_seconds{std::chrono::seconds{t}});
    const int64_t start = span.start.time_since_epoch().count();
    const int64_t end = std::min(span.end.time_since_epoch().count(), limit);
    const int64_t offset = span.offset.count();
    const int64_t previous = span.previous_offset.count();
    int64_t local_from = t + offset;
    if (!wildcard_ && start != kMinTime) {
      // start >= t: the transition is after `after`, so a run it absorbs is still to come.
      if (start >= t && previous < offset && next_local_match(start + previous, start + offset)) {
        return std::chrono::sys_seconds{std::chrono::seconds{start}};
      }
      if (previous > offset) local_from = std::max(local_from, start + previous);
    }
    if (auto local = next_local_match(local_from, end + offset)) {
      return std::chrono::sys_seconds{std::chrono::seconds{*local - offset}};
    }
    t = end;
  }
  return std::nullopt;
}

}  // namespace parley::jobs
