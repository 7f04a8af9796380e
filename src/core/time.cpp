#include "core/time.hpp"

#include <cstdio>
#include <ctime>

namespace parley {

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int millis = static_cast<int>(ms - static_cast<long long>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return out;
}

namespace {

// Reads exactly `n` digits at `pos` into `out`.
bool digits(std::string_view text, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  int year = 0, month = 0, day = 0;
  if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, month) || text[7] != '-' ||
      !digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (year < 1970 || !date.ok()) return std::nullopt;
  sys_time<milliseconds> at = sys_days(date);
  if (text.size() == 10) return system_clock::time_point(at);

  int hour = 0, minute = 0, second = 0;
  const char sep = text[10];
  if ((sep != 'T' && sep != 't' && sep != ' ') || !digits(text, 11, 2, hour) || text.size() < 19 || text[13] != ':' ||
      !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second) || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  at += hours(hour) + minutes(minute) + seconds(second);
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int millis = 0, scale = 100;
    const std::size_t start = pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
    }
    if (pos == start) return std::nullopt;
    at += milliseconds(millis);
  }
  if (pos == text.size()) return std::nullopt;  // an offset is required
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) return system_clock::time_point(at);
  int off_h = 0, off_m = 0;
  if ((text[pos] != '+' && text[pos] != '-') || pos + 6 != text.size() || !digits(text, pos + 1, 2, off_h) ||
      text[pos + 3] != ':' || !digits(text, pos + 4, 2, off_m) || off_h > 23 || off_m > 59) {
    return std::nullopt;
  }
  const auto offset = hours(off_h) + minutes(off_m);
  at += text[pos] == '+' ? -offset : offset;  // local time minus its offset is UTC
  return system_clock::time_point(at);
}

}  // namespace parley
