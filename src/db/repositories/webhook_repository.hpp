#pragma once
// Outgoing webhooks (tables webhooks, webhook_deliveries, webhook_dispatch; docs/webhooks.md).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct Webhook {
  std::int64_t id = 0;
  std::int64_t owner_id = 0;
  std::optional<std::int64_t> conversation_id;
  std::string url;
  std::string events_json;  // a JSON array of event types
  std::string description;
  std::string secret_ciphertext;
  bool is_active = true;
  std::optional<std::string> failing_since;
  std::optional<std::string> disabled_reason;
  std::string created_at;
  std::string updated_at;
};

// What create() and update() write (update: every field, merged by the caller).
struct WebhookFields {
  std::optional<std::int64_t> conversation_id;
  std::string url;
  std::string events_json;
  std::string description;
  std::string secret_ciphertext;
  bool is_active = true;
};

struct WebhookDelivery {
  std::int64_t id = 0;
  std::int64_t webhook_id = 0;
  std::int64_t event_id = 0;
  std::string event_type;
  std::string payload_json;
  std::string status;  // pending | succeeded | failed
  int attempts = 0;
  std::optional<int> last_status_code;
  std::optional<std::string> last_error;
  std::optional<int> last_duration_ms;
  std::optional<std::string> next_attempt_at;  // the delivery job's run_at while pending
  std::string created_at;
  std::optional<std::string> finished_at;
};

// An event of the log matched to a webhook that should receive it.
struct DispatchMatch {
  std::int64_t position = 0;
  std::string type;
  std::string payload_json;
  std::string created_at;
  std::int64_t webhook_id = 0;
  std::string webhook_events_json;
  std::optional<std::int64_t> conversation_id;
  std::optional<std::string> traceparent;  // of the work that wrote the event
};

// A delivery with what sending it needs.
struct PendingDelivery {
  std::int64_t id = 0;
  std::int64_t webhook_id = 0;
  std::string event_type;
  std::string payload_json;
  std::string status;
  std::string url;
  std::string secret_ciphertext;
  bool webhook_active = true;
};

class WebhookRepository {
 public:
  explicit WebhookRepository(Dialect dialect);

  boost::asio::awaitable<Webhook> create(Executor& db, std::int64_t owner_id, const WebhookFields& fields);
  boost::asio::awaitable<std::optional<Webhook>> find(Executor& db, std::int64_t id);
  // The owner's webhooks with ids below `before_id`, newest first.
  boost::asio::awaitable<std::vector<Webhook>> list_by_owner(Executor& db, std::int64_t owner_id,
                                                             std::int64_t before_id, int limit);
  // Writes every field; switching it on clears failing_since and disabled_reason.
  boost::asio::awaitable<std::optional<Webhook>> update(Executor& db, std::int64_t id, const WebhookFields& fields);
  boost::asio::awaitable<bool> remove(Executor& db, std::int64_t id);

  // A page of the webhook's deliveries, newest first.
  boost::asio::awaitable<std::vector<WebhookDelivery>> deliveries(Executor& db, std::int64_t webhook_id,
                                                                  std::int64_t before_id, int limit);

  // The dispatcher's cursor, locked for the rest of `tx` on PostgreSQL (SQLite's writer is one).
  boost::asio::awaitable<std::int64_t> lock_cursor(Executor& tx);
  boost::asio::awaitable<void> advance_cursor(Executor& tx, std::int64_t position);
  // The newest numbered event in (after, after + span], if any: how far a pass may read.
  boost::asio::awaitable<std::optional<std::int64_t>> last_event_within(Executor& tx, std::int64_t after,
                                                                        std::int64_t span);
  // The events in (after, upto] that active webhooks may see (their owner is a member, or the
  // event is addressed to the owner; the webhook's conversation filter), in order.
  boost::asio::awaitable<std::vector<DispatchMatch>> matches(Executor& tx, std::int64_t after, std::int64_t upto);
  // A delivery for (webhook, event); nullopt when it exists already.
  boost::asio::awaitable<std::optional<std::int64_t>> insert_delivery(Executor& tx, std::int64_t webhook_id,
                                                                      std::int64_t event_id,
                                                                      std::string_view event_type,
                                                                      std::string_view payload_json);
  boost::asio::awaitable<void> set_delivery_job(Executor& tx, std::int64_t delivery_id, std::int64_t job_id);

  boost::asio::awaitable<std::optional<PendingDelivery>> pending_delivery(Executor& db, std::int64_t delivery_id);
  // Records one attempt: its outcome (`status`: pending while retrying), HTTP status and error.
  boost::asio::awaitable<void> record_attempt(Executor& db, std::int64_t delivery_id, std::string_view status,
                                              std::optional<int> status_code, std::optional<std::string> error,
                                              int duration_ms);
  // A successful delivery: the webhook is not failing any more.
  boost::asio::awaitable<void> mark_healthy(Executor& db, std::int64_t webhook_id);
  // A failed attempt: starts the failing period, and switches the webhook off (with a reason) once
  // it has been failing for `disable_after_seconds`. Returns whether it is still active.
  boost::asio::awaitable<bool> mark_failing(Executor& db, std::int64_t webhook_id, double disable_after_seconds);

  // Key rotation (`parley webhooks reseal`): (id, sealed secret) of every webhook with an id above
  // `after_id`, in id order; and a compare-and-set of one secret (false when it changed meanwhile,
  // e.g. rotated by its owner).
  boost::asio::awaitable<std::vector<std::pair<std::int64_t, std::string>>> secrets_after(Executor& db,
                                                                                          std::int64_t after_id,
                                                                                          int limit);
  boost::asio::awaitable<bool> replace_secret(Executor& db, std::int64_t id, std::string_view expected,
                                              std::string_view sealed);

 private:
  struct Queries {
    Query create, find, list_by_owner, update, remove, deliveries, lock_cursor, advance_cursor, last_event_within,
        matches, insert_delivery, set_delivery_job, pending_delivery, record_attempt, mark_healthy, mark_failing;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
