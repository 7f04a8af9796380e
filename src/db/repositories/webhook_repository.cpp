#include "db/repositories/webhook_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"
#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// A statement written once as a macro of (TIME, NOW, PLUS) for both dialects.
#define PARLEY_DUAL_HOOKS(name, sql_macro)                                              \
  DualQuery {                                                                           \
    name, sql_macro(PARLEY_PG_TIME, PARLEY_PG_NOW, PARLEY_PG_NOW_PLUS, "CAST($3 AS jsonb)"), \
        sql_macro(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW, PARLEY_SQLITE_NOW_PLUS, "$3")  \
  }

#define PARLEY_WEBHOOK_COLUMNS(TIME)                                                                      \
  "id, owner_id, conversation_id, url, CAST(events AS text), description, secret_ciphertext, is_active, " \
  TIME("failing_since") ", disabled_reason, " TIME("created_at") ", " TIME("updated_at")

#define PARLEY_SQL_CREATE(TIME, NOW, PLUS, EVENTS)                                                             \
  "INSERT INTO webhooks (owner_id, conversation_id, url, events, description, secret_ciphertext, is_active) " \
  "VALUES ($1, $2, $4, " EVENTS ", $5, $6, $7) RETURNING " PARLEY_WEBHOOK_COLUMNS(TIME)
// The parameters are numbered so that $3 is the events in every statement that writes them.
#define PARLEY_SQL_FIND(TIME, NOW, PLUS, EVENTS) "SELECT " PARLEY_WEBHOOK_COLUMNS(TIME) " FROM webhooks WHERE id = $1"
// webhooks_owner_idx.
#define PARLEY_SQL_LIST(TIME, NOW, PLUS, EVENTS) \
  "SELECT " PARLEY_WEBHOOK_COLUMNS(TIME) " FROM webhooks WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
#define PARLEY_SQL_UPDATE(TIME, NOW, PLUS, EVENTS)                                                            \
  "UPDATE webhooks SET conversation_id = $2, events = " EVENTS ", url = $4, description = $5, "                \
  "secret_ciphertext = $6, "                                                                                  \
  "failing_since = CASE WHEN $7 AND NOT is_active THEN NULL ELSE failing_since END, "                         \
  "disabled_reason = CASE WHEN $7 THEN NULL ELSE disabled_reason END, is_active = $7, updated_at = " NOW      \
  " WHERE id = $1 RETURNING " PARLEY_WEBHOOK_COLUMNS(TIME)

// webhook_deliveries_webhook_idx; the job, while there is one, says when the next attempt runs.
#define PARLEY_SQL_DELIVERIES(TIME, NOW, PLUS, EVENTS)                                                        \
  "SELECT d.id, d.webhook_id, d.event_id, d.event_type, CAST(d.payload AS text), d.status, d.attempts, "      \
  "d.last_status_code, d.last_error, d.last_duration_ms, "                                                    \
  "CASE WHEN d.status = 'pending' THEN " TIME("j.run_at") " END, " TIME("d.created_at") ", " TIME(            \
      "d.finished_at") " FROM webhook_deliveries d LEFT JOIN jobs j ON j.id = d.job_id "                      \
  "WHERE d.webhook_id = $1 AND d.id < $2 ORDER BY d.id DESC LIMIT $3"

// events_conversation_idx / events_user_idx by position; the visibility rule is the event
// stream's (event_log_repository.cpp): a member who joined before the event and is not banned,
// or the user the event is addressed to.
#define PARLEY_SQL_MATCHES(TIME, NOW, PLUS, EVENTS)                                                            \
  "SELECT e.position, e.type, CAST(e.payload AS text), " TIME("e.created_at") ", w.id, CAST(w.events AS text), " \
  "e.conversation_id, e.traceparent FROM events e JOIN webhooks w ON w.is_active "                            \
  "AND (w.conversation_id IS NULL OR w.conversation_id = e.conversation_id) "                                 \
  "WHERE e.position > $1 AND e.position <= $2 AND ("                                                          \
  "(e.conversation_id IS NOT NULL AND EXISTS (SELECT 1 FROM conversation_members m "                          \
  "WHERE m.conversation_id = e.conversation_id AND m.user_id = w.owner_id AND m.banned_at IS NULL "           \
  "AND e.position > m.events_from)) OR e.user_id = w.owner_id) ORDER BY e.position, w.id"

#define PARLEY_SQL_INSERT_DELIVERY(TIME, NOW, PLUS, EVENTS)                                            \
  "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload) VALUES ($1, $2, $4, " \
  EVENTS ") ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id"

#define PARLEY_SQL_RECORD_ATTEMPT(TIME, NOW, PLUS, EVENTS)                                                   \
  "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_status_code = $3, "              \
  "last_error = $4, last_duration_ms = $5, finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE " NOW " END " \
  "WHERE id = $1"

#define PARLEY_SQL_MARK_HEALTHY(TIME, NOW, PLUS, EVENTS) \
  "UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL"
// The SET expressions read the values from before the update.
#define PARLEY_SQL_MARK_FAILING(TIME, NOW, PLUS, EVENTS)                                                     \
  "UPDATE webhooks SET failing_since = COALESCE(failing_since, " NOW "), "                                   \
  "is_active = CASE WHEN failing_since IS NOT NULL AND failing_since <= " PLUS("$2") " THEN false "          \
  "ELSE is_active END, "                                                                                     \
  "disabled_reason = CASE WHEN is_active AND failing_since IS NOT NULL AND failing_since <= " PLUS("$2")     \
  " THEN 'every delivery failed since ' || " TIME("failing_since") " ELSE disabled_reason END, "            \
  "updated_at = " NOW " WHERE id = $1 RETURNING is_active"

constexpr DualQuery kCreate = PARLEY_DUAL_HOOKS("webhooks.create", PARLEY_SQL_CREATE);
constexpr DualQuery kFind = PARLEY_DUAL_HOOKS("webhooks.find", PARLEY_SQL_FIND);
constexpr DualQuery kList = PARLEY_DUAL_HOOKS("webhooks.list_by_owner", PARLEY_SQL_LIST);
constexpr DualQuery kUpdate = PARLEY_DUAL_HOOKS("webhooks.update", PARLEY_SQL_UPDATE);
constexpr Query kRemove{"webhooks.remove", "DELETE FROM webhooks WHERE id = $1"};
constexpr DualQuery kDeliveries = PARLEY_DUAL_HOOKS("webhooks.deliveries", PARLEY_SQL_DELIVERIES);
constexpr DualQuery kLockCursor{"webhooks.lock_cursor", "SELECT last_position FROM webhook_dispatch FOR UPDATE",
                                "SELECT last_position FROM webhook_dispatch"};
constexpr Query kAdvanceCursor{"webhooks.advance_cursor", "UPDATE webhook_dispatch SET last_position = $1"};
constexpr Query kLastEventWithin{"webhooks.last_event_within",
                                 "SELECT max(position) FROM events WHERE position > $1 AND position <= $1 + CAST($2 AS bigint)"};
constexpr DualQuery kMatches = PARLEY_DUAL_HOOKS("webhooks.matches", PARLEY_SQL_MATCHES);
constexpr DualQuery kInsertDelivery = PARLEY_DUAL_HOOKS("webhooks.insert_delivery", PARLEY_SQL_INSERT_DELIVERY);
constexpr Query kSetDeliveryJob{"webhooks.set_delivery_job", "UPDATE webhook_deliveries SET job_id = $2 WHERE id = $1"};
constexpr Query kPendingDelivery{
    "webhooks.pending_delivery",
    "SELECT d.id, d.webhook_id, d.event_type, CAST(d.payload AS text), d.status, w.url, w.secret_ciphertext, "
    "w.is_active FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1"};
constexpr DualQuery kRecordAttempt = PARLEY_DUAL_HOOKS("webhooks.record_attempt", PARLEY_SQL_RECORD_ATTEMPT);
constexpr DualQuery kMarkHealthy = PARLEY_DUAL_HOOKS("webhooks.mark_healthy", PARLEY_SQL_MARK_HEALTHY);
constexpr DualQuery kMarkFailing = PARLEY_DUAL_HOOKS("webhooks.mark_failing", PARLEY_SQL_MARK_FAILING);
constexpr Query kSecretsAfter{"webhooks.secrets_after",
                              "SELECT id, secret_ciphertext FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2"};
constexpr Query kReplaceSecret{"webhooks.replace_secret",
                               "UPDATE webhooks SET secret_ciphertext = $3 WHERE id = $1 AND secret_ciphertext = $2"};

#undef PARLEY_DUAL_HOOKS
#undef PARLEY_WEBHOOK_COLUMNS
#undef PARLEY_SQL_CREATE
#undef PARLEY_SQL_FIND
#undef PARLEY_SQL_LIST
#undef PARLEY_SQL_UPDATE
#undef PARLEY_SQL_DELIVERIES
#undef PARLEY_SQL_MATCHES
#undef PARLEY_SQL_INSERT_DELIVERY
#undef PARLEY_SQL_RECORD_ATTEMPT
#undef PARLEY_SQL_MARK_HEALTHY
#undef PARLEY_SQL_MARK_FAILING

Webhook to_webhook(const Row& r) {
  return Webhook{.id = r.int64(0),
                 .owner_id = r.int64(1),
                 .conversation_id = r.opt_int64(2),
                 .url = r.text(3),
                 .events_json = r.text(4),
                 .description = r.text(5),
                 .secret_ciphertext = r.text(6),
                 .is_active = r.boolean(7),
                 .failing_since = r.opt_text(8),
                 .disabled_reason = r.opt_text(9),
                 .created_at = r.text(10),
                 .updated_at = r.text(11)};
}

Value optional_id(const std::optional<std::int64_t>& id) {
  if (!id) return nullptr;
  return *id;
}

std::optional<int> opt_int(const Row& r, std::size_t i) {
  auto v = r.opt_int64(i);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

// The parameters of create() and update(), with $3 the events (see PARLEY_SQL_CREATE).
std::array<Value, 7> field_params(Value first, const WebhookFields& f) {
  return {std::move(first), optional_id(f.conversation_id), f.events_json, f.url, f.description, f.secret_ciphertext,
          f.is_active};
}

}  // namespace

WebhookRepository::WebhookRepository(Dialect d)
    : q_{.create = kCreate.pick(d),
         .find = kFind.pick(d),
         .list_by_owner = kList.pick(d),
         .update = kUpdate.pick(d),
         .remove = kRemove,
         .deliveries = kDeliveries.pick(d),
         .lock_cursor = kLockCursor.pick(d),
         .advance_cursor = kAdvanceCursor,
         .last_event_within = kLastEventWithin,
         .matches = kMatches.pick(d),
         .insert_delivery = kInsertDelivery.pick(d),
         .set_delivery_job = kSetDeliveryJob,
         .pending_delivery = kPendingDelivery,
         .record_attempt = kRecordAttempt.pick(d),
         .mark_healthy = kMarkHealthy.pick(d),
         .mark_failing = kMarkFailing.pick(d)} {}

awaitable<Webhook> WebhookRepository::create(Executor& db, std::int64_t owner_id, const WebhookFields& fields) {
  auto params = field_params(owner_id, fields);
  ResultSet rs = co_await db.execute(q_.create, params);
  co_return to_webhook(rs.one());
}

awaitable<std::optional<Webhook>> WebhookRepository::find(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(q_.find, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_webhook(rs.rows.front());
}

awaitable<std::vector<Webhook>> WebhookRepository::list_by_owner(Executor& db, std::int64_t owner_id,
                                                                 std::int64_t before_id, int limit) {
  std::array<Value, 3> params{owner_id, before_id, std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.list_by_owner, params);
  std::vector<Webhook> hooks;
  for (const Row& r : rs.rows) hooks.push_back(to_webhook(r));
  co_return hooks;
}

awaitable<std::optional<Webhook>> WebhookRepository::update(Executor& db, std::int64_t id,
                                                            const WebhookFields& fields) {
  auto params = field_params(id, fields);
  ResultSet rs = co_await db.execute(q_.update, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_webhook(rs.rows.front());
}

awaitable<bool> WebhookRepository::remove(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(q_.remove, params);
  co_return rs.affected_rows == 1;
}

awaitable<std::vector<WebhookDelivery>> WebhookRepository::deliveries(Executor& db, std::int64_t webhook_id,
                                                                      std::int64_t before_id, int limit) {
  std::array<Value, 3> params{webhook_id, before_id, std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.deliveries, params);
  std::vector<WebhookDelivery> out;
  for (const Row& r : rs.rows) {
    out.push_back(WebhookDelivery{.id = r.int64(0),
                                  .webhook_id = r.int64(1),
                                  .event_id = r.int64(2),
                                  .event_type = r.text(3),
                                  .payload_json = r.text(4),
                                  .status = r.text(5),
                                  .attempts = static_cast<int>(r.int64(6)),
                                  .last_status_code = opt_int(r, 7),
                                  .last_error = r.opt_text(8),
                                  .last_duration_ms = opt_int(r, 9),
                                  .next_attempt_at = r.opt_text(10),
                                  .created_at = r.text(11),
                                  .finished_at = r.opt_text(12)});
  }
  co_return out;
}

awaitable<std::int64_t> WebhookRepository::lock_cursor(Executor& tx) {
  ResultSet rs = co_await tx.execute(q_.lock_cursor);
  co_return rs.one().int64(0);
}

awaitable<void> WebhookRepository::advance_cursor(Executor& tx, std::int64_t position) {
  std::array<Value, 1> params{position};
  co_await tx.execute(q_.advance_cursor, params);
}

awaitable<std::optional<std::int64_t>> WebhookRepository::last_event_within(Executor& tx, std::int64_t after,
                                                                            std::int64_t span) {
  std::array<Value, 2> params{after, span};
  ResultSet rs = co_await tx.execute(q_.last_event_within, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().opt_int64(0);
}

awaitable<std::vector<DispatchMatch>> WebhookRepository::matches(Executor& tx, std::int64_t after, std::int64_t upto) {
  std::array<Value, 2> params{after, upto};
  ResultSet rs = co_await tx.execute(q_.matches, params);
  std::vector<DispatchMatch> out;
  for (const Row& r : rs.rows) {
    out.push_back(DispatchMatch{.position = r.int64(0),
                                .type = r.text(1),
                                .payload_json = r.text(2),
                                .created_at = r.text(3),
                                .webhook_id = r.int64(4),
                                .webhook_events_json = r.text(5),
                                .conversation_id = r.opt_int64(6),
                                .traceparent = r.opt_text(7)});
  }
  co_return out;
}

awaitable<std::vector<std::pair<std::int64_t, std::string>>> WebhookRepository::secrets_after(Executor& db,
                                                                                            std::int64_t after_id,
                                                                                            int limit) {
  std::array<Value, 2> params{after_id, std::int64_t{limit}};
  ResultSet rs = co_await db.execute(kSecretsAfter, params);
  std::vector<std::pair<std::int64_t, std::string>> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.emplace_back(r.int64(0), r.text(1));
  co_return out;
}

awaitable<bool> WebhookRepository::replace_secret(Executor& db, std::int64_t id, std::string_view expected,
                                                  std::string_view sealed) {
  std::array<Value, 3> params{id, std::string(expected), std::string(sealed)};
  ResultSet rs = co_await db.execute(kReplaceSecret, params);
  co_return rs.affected_rows > 0;
}

awaitable<std::optional<std::int64_t>> WebhookRepository::insert_delivery(Executor& tx, std::int64_t webhook_id,
                                                                          std::int64_t event_id,
                                                                          std::string_view event_type,
                                                                          std::string_view payload_json) {
  std::array<Value, 4> params{webhook_id, event_id, std::string(payload_json), std::string(event_type)};
  ResultSet rs = co_await tx.execute(q_.insert_delivery, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

awaitable<void> WebhookRepository::set_delivery_job(Executor& tx, std::int64_t delivery_id, std::int64_t job_id) {
  std::array<Value, 2> params{delivery_id, job_id};
  co_await tx.execute(q_.set_delivery_job, params);
}

awaitable<std::optional<PendingDelivery>> WebhookRepository::pending_delivery(Executor& db, std::int64_t delivery_id) {
  std::array<Value, 1> params{delivery_id};
  ResultSet rs = co_await db.execute(q_.pending_delivery, params);
  if (rs.empty()) co_return std::nullopt;
  const Row& r = rs.rows.front();
  co_return PendingDelivery{.id = r.int64(0),
                            .webhook_id = r.int64(1),
                            .event_type = r.text(2),
                            .payload_json = r.text(3),
                            .status = r.text(4),
                            .url = r.text(5),
                            .secret_ciphertext = r.text(6),
                            .webhook_active = r.boolean(7)};
}

awaitable<void> WebhookRepository::record_attempt(Executor& db, std::int64_t delivery_id, std::string_view status,
                                                  std::optional<int> status_code, std::optional<std::string> error,
                                                  int duration_ms) {
  std::array<Value, 5> params{delivery_id,
                              std::string(status),
                              status_code ? Value(std::int64_t{*status_code}) : Value(nullptr),
                              error ? Value(*error) : Value(nullptr),
                              std::int64_t{duration_ms}};
  co_await db.execute(q_.record_attempt, params);
}

awaitable<void> WebhookRepository::mark_healthy(Executor& db, std::int64_t webhook_id) {
  std::array<Value, 1> params{webhook_id};
  co_await db.execute(q_.mark_healthy, params);
}

awaitable<bool> WebhookRepository::mark_failing(Executor& db, std::int64_t webhook_id, double disable_after_seconds) {
  std::array<Value, 2> params{webhook_id, -disable_after_seconds};
  ResultSet rs = co_await db.execute(q_.mark_failing, params);
  if (rs.empty()) co_return false;
  co_return rs.rows.front().boolean(0);
}

}  // namespace parley::db::repositories
