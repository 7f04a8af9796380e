#include "jobs/schedule.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"

namespace parley::jobs {

namespace {

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const auto start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

bool valid_schedule_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

AppError bad_schedule(std::string_view name, const std::string& why) {
  return AppError::bad_request("schedule '" + std::string(name) + "': " + why);
}

}  // namespace

Schedule parse_schedule(std::string_view name, std::string_view spec, const std::filesystem::path& zoneinfo_dir) {
  if (!valid_schedule_name(name)) throw bad_schedule(name, "names are 1 to 64 of a-z, 0-9, _ and -");
  auto words = split_words(spec);
  if (words.empty()) throw bad_schedule(name, "empty; expected '<cron> [tz=Zone] [missed=skip|catch_up] <task>'");
  const std::size_t cron_words = words.front().starts_with('@') ? 1 : 5;
  if (words.size() < cron_words + 1) {
    throw bad_schedule(name, "expected '<five cron fields or @macro> [tz=Zone] [missed=skip|catch_up] <task>'");
  }
  std::string cron_text;
  for (std::size_t i = 0; i < cron_words; ++i) {
    if (i > 0) cron_text += ' ';
    cron_text += words[i];
  }
  Schedule schedule{.name = std::string(name),
                    .cron = CronExpression::parse(cron_text),
                    .zone = TimeZone::utc(),
                    .missed = MissedPolicy::skip,
                    .task = std::string(words.back()),
                    .spec = std::string(trim(spec))};
  for (std::size_t i = cron_words; i + 1 < words.size(); ++i) {
    const auto word = words[i];
    if (word.starts_with("tz=")) {
      schedule.zone = TimeZone::load(word.substr(3), zoneinfo_dir);
    } else if (word == "missed=skip") {
      schedule.missed = MissedPolicy::skip;
    } else if (word == "missed=catch_up") {
      schedule.missed = MissedPolicy::catch_up;
    } else {
      throw bad_schedule(name,
                         "unknown option '" + std::string(word) + "' (tz=<Zone>, missed=skip or missed=catch_up)");
    }
  }
  if (schedule.task.find('=') != std::string::npos) throw bad_schedule(name, "the task name comes last");
  return schedule;
}

const std::vector<std::pair<std::string, std::string>>& builtin_schedules() {
  static const std::vector<std::pair<std::string, std::string>> kBuiltin{
      // Expired sessions, tokens, tickets, old job records and deliveries (jobs/builtin_tasks.cpp).
      {"cleanup", "17 * * * * missed=catch_up maintenance.cleanup"},
      // Uploads never sent (PARLEY_UPLOAD_ORPHAN_AGE) and deleted messages past
      // PARLEY_DELETED_MESSAGE_RETENTION (registered by the composition root, app/app.cpp).
      {"orphaned_uploads", "27 * * * * missed=catch_up uploads.purge_orphans"},
      {"deleted_messages", "43 3 * * * missed=catch_up messages.purge_deleted"},
      // Today's and yesterday's analytics rollup, and the purge of old events (analytics/tasks.hpp).
      {"analytics_rollup", "7 * * * * missed=catch_up analytics.rollup"},
  };
  return kBuiltin;
}

std::vector<Schedule> schedules_from_config(std::string_view raw, const std::filesystem::path& zoneinfo_dir) {
  std::map<std::string, std::string, std::less<>> specs(builtin_schedules().begin(), builtin_schedules().end());
  std::size_t start = 0;
  while (start <= raw.size()) {
    auto end = raw.find(';', start);
    if (end == std::string_view::npos) end = raw.size();
    const auto entry = trim(raw.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) {
      throw AppError::bad_request("PARLEY_SCHEDULES: '" + std::string(entry) + "' is not name=<schedule>");
    }
    const auto name = trim(entry.substr(0, eq));
    const auto spec = trim(entry.substr(eq + 1));
    if (spec == "off") {
      if (!valid_schedule_name(name)) throw bad_schedule(name, "names are 1 to 64 of a-z, 0-9, _ and -");
      specs.erase(std::string(name));
    } else {
      specs[std::string(name)] = std::string(spec);
    }
  }
  std::vector<Schedule> schedules;
  for (const auto& [name, spec] : specs) schedules.push_back(parse_schedule(name, spec, zoneinfo_dir));
  return schedules;
}

FiringDecision decide_firing(const Schedule& schedule, std::optional<std::chrono::sys_seconds> last,
                             std::chrono::sys_seconds now, std::chrono::seconds grace, std::chrono::seconds lookback) {
  FiringDecision decision;
  const auto start = last ? std::max(*last, now - lookback) : now;
  std::optional<std::chrono::sys_seconds> latest_due;
  auto t = schedule.cron.next_after(start, schedule.zone);
  while (t && *t <= now) {
    latest_due = t;
    t = schedule.cron.next_after(*t, schedule.zone);
  }
  decision.next = t;
  if (!latest_due) return decision;
  if (now - *latest_due <= grace || schedule.missed == MissedPolicy::catch_up) {
    decision.fire = latest_due;
  } else {
    decision.skipped = latest_due;
  }
  return decision;
}

}  // namespace parley::jobs
