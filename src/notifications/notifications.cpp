#include "notifications/notifications.hpp"

#include <boost/json/object.hpp>

#include <fmt/format.h>

#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "jobs/cron.hpp"
#include "notifications/digest.hpp"

namespace parley::notifications {

namespace asio = boost::asio;
namespace repo = db::repositories;
using asio::awaitable;

namespace {

// "2026-12-01 14:05 Europe/Berlin": when a message was sent, on the recipient's clock.
std::string time_label(std::string_view rfc3339, const jobs::TimeZone& zone) {
  auto parsed = parse_rfc3339(rfc3339);
  if (!parsed) return {};
  const auto utc = std::chrono::floor<std::chrono::seconds>(*parsed);
  const auto local = utc + zone.offset_at(utc);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{local - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} {}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), time.hours().count(),
                     time.minutes().count(), zone.name());
}

// The recipient's zone; UTC when the stored name cannot be loaded (a zone removed from tzdata).
jobs::TimeZone zone_of(std::string_view name) {
  try {
    return jobs::TimeZone::load(name);
  } catch (const std::exception&) {
    return jobs::TimeZone::utc();
  }
}

}  // namespace

Notifications::Notifications(db::Database& database, jobs::Jobs& jobs, mail::Mailer& mailer,
                             NotificationSettings settings, spdlog::logger& logger)
    : database_(database),
      jobs_(jobs),
      mailer_(mailer),
      settings_(std::move(settings)),
      logger_(logger),
      repository_(database.dialect()),
      users_(database.dialect()) {}

void Notifications::register_tasks(jobs::TaskRegistry& registry) {
  jobs::TaskDefaults defaults;
  defaults.queue = "mail";
  defaults.max_retries = 6;  // 2 s doubling: the last try about two minutes after the first
  defaults.timeout = std::chrono::seconds(60);
  registry.add(jobs::Task{.name = std::string(kDigestTask),
                          .defaults = defaults,
                          .handler = [this](jobs::JobContext& job) { return send_digest(job); }});
}

awaitable<std::int64_t> Notifications::dispatch_pass(std::int64_t span) {
  auto tx = co_await database_.begin();
  const auto cursor = co_await repository_.lock_cursor(*tx);
  const auto upto = co_await repository_.last_event_within(*tx, cursor, span);
  if (!upto) {
    co_await tx->rollback();
    co_return 0;
  }
  const auto users = co_await repository_.add_pending(*tx, cursor, *upto);
  int enqueued = 0;
  jobs::EnqueueOptions options;
  options.delay = settings_.delay;
  // Ascending user ids: concurrent passes (and digests, one row each) lock state rows in one order.
  for (const auto user_id : users) {
    if (!co_await repository_.schedule(*tx, user_id)) continue;  // a digest is scheduled: it takes the row
    boost::json::object payload{{"user_id", user_id}};
    co_await jobs_.enqueue(*tx, kDigestTask, payload, options);
    ++enqueued;
  }
  co_await repository_.advance_cursor(*tx, *upto);
  co_await tx->commit();
  if (enqueued > 0) jobs_.committed();
  co_return *upto - cursor;
}

awaitable<void> Notifications::send_digest(jobs::JobContext& job) {
  const auto* id = job.payload().if_contains("user_id");
  if (id == nullptr || !id->is_int64()) throw AppError::internal("notifications.digest: no user_id");
  const std::int64_t user_id = id->as_int64();
  const std::int64_t job_id = job.id();

  // Take the rows once: a later attempt of this job mails what the first one took (and messages
  // arriving since then schedule the next digest, since the flag was cleared with the take).
  {
    auto tx = co_await database_.begin();
    if (co_await job.claim_effect(*tx, "take")) co_await repository_.take(*tx, user_id, job_id);
    co_await tx->commit();
  }

  auto user = co_await users_.find_by_id(database_, user_id);
  auto settings = co_await users_.settings(database_, user_id);
  std::vector<repo::DigestRow> rows;
  if (user && user->is_active && !user->is_bot && mail::is_valid_address(user->email) && settings) {
    rows = co_await repository_.digest_rows(database_, user_id, job_id);
  }
  bool sent = false;
  if (!rows.empty()) {
    const auto zone = zone_of(settings->timezone);
    std::vector<DigestItem> items;
    items.reserve(rows.size());
    for (auto& row : rows) {
      items.push_back(
          DigestItem{.message_id = row.message_id,
                     .conversation_id = row.conversation_id,
                     .conversation_kind = std::move(row.conversation_kind),
                     .conversation_name = std::move(row.conversation_name),
                     .sender_name = row.sender_display_name.empty() ? row.sender_username : row.sender_display_name,
                     .body = std::move(row.body),
                     .time_label = time_label(row.created_at, zone),
                     .reason = std::move(row.reason)});
    }
    const auto name = user->display_name.empty() ? user->username : user->display_name;
    auto digest = compose_digest(name, items,
                                 DigestOptions{.public_url = settings_.public_url,
                                               .setting = settings->email_notifications,
                                               .max_listed = settings_.max_listed});
    mail::Email email{.to = user->email,
                      .subject = std::move(digest.subject),
                      .text_body = std::move(digest.text_body),
                      .html_body = std::move(digest.html_body),
                      .list_unsubscribe = std::move(digest.unsubscribe_url),
                      .auto_generated = true};
    // A failure throws: the job is retried and mails what it took (at least once: a crash between
    // the send and the commit below sends it again).
    co_await mailer_.send(std::move(email));
    sent = true;
    logger_.info("notifications: digest of {} message(s) mailed to user {}", items.size(), user_id);
  }
  auto tx = co_await database_.begin();
  co_await repository_.finish(*tx, user_id, job_id, sent);
  co_await tx->commit();
}

}  // namespace parley::notifications
