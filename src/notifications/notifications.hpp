#pragma once
// Email notifications (docs/notifications.md): a user who is away gets one digest mail about the
// mentions of them and direct messages to them (every message of their unmuted conversations with
// the setting "all") that they still have not read PARLEY_NOTIFY_DELAY after the first of them
// arrived; "none" gets nothing, and neither do deactivated users, bots and senders.
//
// The path of a message: committed and numbered (events/event_stream.hpp) -> dispatch_pass() (in
// `parley worker`, run by a jobs::DispatchLoop) reads the event log after its cursor and, in one
// transaction, writes a pending row per (recipient, message) the settings ask for, schedules a
// `notifications.digest` job (delay PARLEY_NOTIFY_DELAY) for each such user who has none
// scheduled, and moves the cursor -> the digest job takes the user's pending rows, mails those
// still unread by a user not active since they arrived, and deletes them in the transaction that
// records the digest. The send transaction does no per-recipient work: the event is one row.
//
// Cost: per message dispatched, one statement whatever the audience (it reads the direct
// conversation's members, the message's mentions and the members with "all"), plus per recipient
// one pending row and one upsert of their state row; per digest (at most one per user per delay)
// one job, about eight statements and one mail. Presence: users.last_seen_at, kept by the real-time
// layer (an active socket's user is touched every PARLEY_PRESENCE_TTL / 3), so the delay should
// exceed that.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "db/database.hpp"
#include "db/repositories/notification_repository.hpp"
#include "db/repositories/user_repository.hpp"
#include "jobs/jobs.hpp"
#include "mail/mailer.hpp"

namespace parley::notifications {

struct NotificationSettings {
  std::string public_url;                             // PARLEY_PUBLIC_URL
  std::chrono::milliseconds delay{10LL * 60 * 1000};  // PARLEY_NOTIFY_DELAY
  std::size_t max_listed = 20;                        // messages a digest lists
};

class Notifications {
 public:
  static constexpr std::string_view kDigestTask = "notifications.digest";

  Notifications(db::Database& database, jobs::Jobs& jobs, mail::Mailer& mailer, NotificationSettings settings,
                spdlog::logger& logger);

  // Registers notifications.digest (queue "mail").
  void register_tasks(jobs::TaskRegistry& registry);

  // One dispatcher pass over at most `span` events after the cursor; returns how many positions
  // it moved past (0: caught up). Safe to run from several processes at once (the cursor row is
  // locked), so each event is dispatched once.
  boost::asio::awaitable<std::int64_t> dispatch_pass(std::int64_t span = 500);

 private:
  boost::asio::awaitable<void> send_digest(jobs::JobContext& job);

  db::Database& database_;
  jobs::Jobs& jobs_;
  mail::Mailer& mailer_;
  NotificationSettings settings_;
  spdlog::logger& logger_;
  db::repositories::NotificationRepository repository_;
  db::repositories::UserRepository users_;
};

}  // namespace parley::notifications
