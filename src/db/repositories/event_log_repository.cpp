#include "db/repositories/event_log_repository.hpp"

#include <array>

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "core/trace.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// The same text on both dialects: PostgreSQL's `position` is NULL here (numbered later), SQLite's
// is the new rowid.
constexpr Query kAppend{"events.append",
                        "INSERT INTO events (conversation_id, user_id, type, payload, traceparent) "
                        "VALUES ($1, $2, $3, $4, $5) RETURNING position"};

// PostgreSQL only: kAppend for each element of $1, a JSON array of rows (payload a JSON value),
// numbered in the writing transaction: the row lock on event_sequence, taken by this statement and
// held until the COMMIT, makes the sequencer and every other inline writer wait, so positions still
// become visible in increasing order. Worth it for a batch of sends (one lock per batch, the last
// statement before its COMMIT; no UPDATE of each row afterwards); a writer of one event leaves its
// row to the sequencer instead of holding the lock through its commit.
constexpr Query kAppendManyNumbered{
    "events.append_many_numbered",
    "WITH numbered AS (UPDATE event_sequence SET last_position = last_position + $2"
    " RETURNING last_position - $2 AS base) "
    "INSERT INTO events (position, conversation_id, user_id, type, payload, traceparent) "
    "SELECT numbered.base + e.n, e.conversation_id, e.user_id, e.type, e.payload, e.traceparent FROM numbered, "
    "ROWS FROM (json_to_recordset(CAST($1 AS json)) AS (conversation_id bigint, user_id bigint, type text,"
    " payload json, traceparent text)) WITH ORDINALITY AS e(conversation_id, user_id, type, payload, traceparent, n)"};

// PostgreSQL only. The lock comes first, in a statement of its own, so the numbering statement
// takes its snapshot after the previous sequencer committed and sees none of its rows as pending.
// Read first, without a transaction: an idle sequencer then takes no row lock and writes nothing.
constexpr Query kAnyPending{"events.any_pending", "SELECT EXISTS (SELECT 1 FROM events WHERE position IS NULL)"};
constexpr Query kLockSequence{"events.lock_sequence", "SELECT last_position FROM event_sequence FOR UPDATE"};
constexpr Query kNumberPending{
    "events.number_pending",
    "WITH pending AS ("
    " SELECT id, row_number() OVER (ORDER BY id) AS n FROM events WHERE position IS NULL ORDER BY id LIMIT $1),"
    " numbered AS ("
    " UPDATE events e SET position = $2 + p.n FROM pending p WHERE e.id = p.id"
    " RETURNING e.position, e.conversation_id, e.user_id, e.type, CAST(e.payload AS text)),"
    " bumped AS (UPDATE event_sequence SET last_position = $2 + (SELECT count(*) FROM pending)) "
    "SELECT position, conversation_id, user_id, type, payload FROM numbered ORDER BY position"};

// With the write time in µs since the epoch, for the delivery latency (SQLite 3.40 has no
// unixepoch(..., 'subsec'); julianday keeps the stored milliseconds).
#define PARLEY_SQL_TAIL(EPOCH_US)                                                                \
  "SELECT position, conversation_id, user_id, type, CAST(payload AS text), " EPOCH_US " FROM events" \
  " WHERE position > $1 ORDER BY position LIMIT $2"
constexpr DualQuery kTail{
    "events.tail", PARLEY_SQL_TAIL("CAST(extract(epoch FROM created_at) * 1000000 AS bigint)"),
    PARLEY_SQL_TAIL("CAST((julianday(created_at) - 2440587.5) * 86400000000.0 AS INTEGER)")};

// A user's stream: each conversation they are a member of (joined before the event, not banned)
// is read through events_conversation_idx from its own starting point, plus the events addressed
// to them. UNION, because an event can reach a user both ways.
#define PARLEY_SQL_AFTER(TIME, NOW) \
  "SELECT e.position, e.type, CAST(e.payload AS text), " TIME("e.created_at") " FROM events e"        \
  " JOIN conversation_members m ON m.conversation_id = e.conversation_id"                              \
  " WHERE m.user_id = $1 AND m.banned_at IS NULL AND e.position > $2 AND e.position > m.events_from " \
  "UNION "                                                                                             \
  "SELECT e.position, e.type, CAST(e.payload AS text), " TIME("e.created_at") " FROM events e"        \
  " WHERE e.user_id = $1 AND e.position > $2 "                                                         \
  "ORDER BY 1 LIMIT $3"
constexpr DualQuery kAfter = PARLEY_DUAL("events.after", PARLEY_SQL_AFTER);
// Whether more than $3 events of the user's stream lie after $2: the (`limit`+1)th position, if any.
constexpr Query kBacklogBeyond{
    "events.backlog_beyond",
    "SELECT position FROM ("
    "SELECT e.position FROM events e JOIN conversation_members m ON m.conversation_id = e.conversation_id"
    " WHERE m.user_id = $1 AND m.banned_at IS NULL AND e.position > $2 AND e.position > m.events_from "
    "UNION SELECT e.position FROM events e WHERE e.user_id = $1 AND e.position > $2"
    ") backlog ORDER BY 1 LIMIT 1 OFFSET $3"};

constexpr DualQuery kHead{"events.head", "SELECT last_position FROM event_sequence",
                          "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)"};
constexpr DualQuery kOldest{
    "events.oldest",
    "SELECT COALESCE((SELECT min(position) FROM events), (SELECT last_position FROM event_sequence) + 1)",
    "SELECT COALESCE((SELECT min(position) FROM events),"
    " (SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)) + 1)"};

// Purges a prefix of the positions (so everything below oldest() is gone and nothing above it):
// up to the newest event older than the cutoff.
constexpr DualQuery kPurge{
    "events.purge",
    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE position <= (SELECT max(position) FROM events"
    " WHERE created_at < now() - make_interval(secs => $1)) ORDER BY position LIMIT $2)",
    "DELETE FROM events WHERE position IN (SELECT position FROM events WHERE position <= (SELECT max(position)"
    " FROM events WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || $1 || ' seconds'))"
    " ORDER BY position LIMIT $2)"};

// Rows of (position, conversation_id, user_id, type, payload[, created_us]).
std::vector<LoggedEvent> logged_events(const ResultSet& rs) {
  std::vector<LoggedEvent> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) {
    out.push_back(LoggedEvent{r.int64(0), EventAudience{r.opt_int64(1), r.opt_int64(2)}, r.text(3), r.text(4),
                              r.size() > 5 ? r.int64(5) : 0});
  }
  return out;
}

Value optional_id(const std::optional<std::int64_t>& id) { return id ? Value(*id) : Value(nullptr); }

void require_audience(const EventAudience& audience) {
  if (!audience.conversation_id && !audience.user_id) throw AppError::internal("an event without an audience");
}

// The parameters of kAppend.
std::array<Value, 5> append_params(const EventAudience& audience, std::string_view type, std::string_view payload_json) {
  require_audience(audience);
  // Written inside traced work (a request, a job): what the event causes later joins that trace.
  const trace::SpanContext* span = trace::current();
  return {optional_id(audience.conversation_id), optional_id(audience.user_id), std::string(type),
          std::string(payload_json), span ? Value(trace::format_traceparent(*span)) : Value(nullptr)};
}

}  // namespace

EventLogRepository::EventLogRepository(Dialect d) : dialect_(d), after_(kAfter.pick(d)), purge_(kPurge.pick(d)), tail_(kTail.pick(d)) {}

awaitable<std::optional<std::int64_t>> EventLogRepository::append(Executor& tx, const EventAudience& audience,
                                                                  std::string_view type,
                                                                  std::string_view payload_json) {
  const std::array<Value, 5> params = append_params(audience, type, payload_json);
  ResultSet rs = co_await tx.execute(kAppend, params);
  co_return rs.rows.front().opt_int64(0);
}

awaitable<void> EventLogRepository::append_later(Executor& tx, const EventAudience& audience, std::string_view type,
                                                 std::string_view payload_json) {
  const std::array<Value, 5> params = append_params(audience, type, payload_json);
  co_await tx.execute_later(kAppend, params);
}

awaitable<void> EventLogRepository::append_many_later(Executor& tx, std::span<const NewEvent> events) {
  if (events.empty()) co_return;
  for (const NewEvent& e : events) require_audience(e.audience);
  if (dialect_ != Dialect::postgres) {
    for (const NewEvent& e : events) {
      std::array<Value, 5> params{optional_id(e.audience.conversation_id), optional_id(e.audience.user_id),
                                  std::string(e.type), std::string(e.payload_json),
                                  e.traceparent ? Value(*e.traceparent) : Value(nullptr)};
      co_await tx.execute_later(kAppend, params);
    }
    co_return;
  }
  std::string rows;
  std::size_t size = 2;
  for (const NewEvent& e : events) size += 160 + e.payload_json.size();
  rows.reserve(size);
  core::JsonWriter out(rows);
  out.begin_array();
  for (const NewEvent& e : events) {
    out.begin_object();
    out.key("conversation_id");
    out.value(e.audience.conversation_id);
    out.key("user_id");
    out.value(e.audience.user_id);
    out.key("type");
    out.value(e.type);
    out.key("payload");
    out.raw(e.payload_json);  // already JSON: stored as this text (events.payload is json)
    out.key("traceparent");
    out.value(e.traceparent);
    out.end_object();
  }
  out.end_array();
  std::array<Value, 2> params{std::move(rows), static_cast<std::int64_t>(events.size())};
  co_await tx.execute_later(kAppendManyNumbered, params);
}

awaitable<std::vector<LoggedEvent>> EventLogRepository::sequence_pending(Database& db, int limit) {
  if (dialect_ != Dialect::postgres) co_return std::vector<LoggedEvent>{};
  ResultSet pending = co_await db.execute(kAnyPending);
  if (!pending.one().boolean(0)) co_return std::vector<LoggedEvent>{};
  auto tx = co_await db.begin();
  ResultSet locked = co_await tx->execute(kLockSequence);
  const std::int64_t last = locked.one().int64(0);
  std::array<Value, 2> params{std::int64_t{clamp_limit(limit, 10000)}, last};
  ResultSet rs = co_await tx->execute(kNumberPending, params);
  co_await tx->commit();
  co_return logged_events(rs);
}

awaitable<std::vector<LoggedEvent>> EventLogRepository::tail(Executor& db, std::int64_t after, int limit) {
  std::array<Value, 2> params{after, std::int64_t{clamp_limit(limit, 10000)}};
  ResultSet rs = co_await db.execute(tail_, params);
  co_return logged_events(rs);
}

awaitable<std::vector<StoredEvent>> EventLogRepository::after(Executor& db, std::int64_t user_id, std::int64_t after,
                                                              int limit) {
  std::array<Value, 3> params{user_id, after, std::int64_t{clamp_limit(limit, 1000)}};
  ResultSet rs = co_await db.execute(after_, params);
  std::vector<StoredEvent> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(StoredEvent{r.int64(0), r.text(1), r.text(2), r.text(3)});
  co_return out;
}

awaitable<bool> EventLogRepository::backlog_exceeds(Executor& db, std::int64_t user_id, std::int64_t after,
                                                    std::int64_t limit) {
  std::array<Value, 3> params{user_id, after, limit};
  ResultSet rs = co_await db.execute(kBacklogBeyond, params);
  co_return !rs.empty();
}

awaitable<std::int64_t> EventLogRepository::head(Executor& db) {
  ResultSet rs = co_await db.execute(kHead.pick(dialect_));
  co_return rs.one().int64(0);
}

awaitable<std::int64_t> EventLogRepository::oldest(Executor& db) {
  ResultSet rs = co_await db.execute(kOldest.pick(dialect_));
  co_return rs.one().int64(0);
}

awaitable<std::int64_t> EventLogRepository::purge_older_than(Executor& db, std::chrono::seconds max_age, int limit) {
  std::array<Value, 2> params{std::int64_t{max_age.count()}, std::int64_t{clamp_limit(limit, 100000)}};
  ResultSet rs = co_await db.execute(purge_, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
