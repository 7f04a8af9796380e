#pragma once
// The event log (table `events`, docs/architecture.md "Event stream"): ONE row per domain event,
// addressed to an audience (the members of a conversation and/or one user), numbered with a
// global `position` that is also the event id clients see. A user's stream is read at resume
// time: the events of the conversations they belong to plus their own, in position order.
//
// Numbering: on SQLite the single writer hands out rowids in commit order, so append() returns
// the position at once. On PostgreSQL a row is appended unnumbered and sequence_pending() numbers
// committed rows afterwards under one row lock, so positions become visible in increasing order
// and a reader never sees position N+1 before N. append_many_later() numbers its rows in the
// writing transaction instead, holding that row lock until the COMMIT (one lock for many events).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct EventAudience {
  std::optional<std::int64_t> conversation_id;  // its members (not banned) see the event
  std::optional<std::int64_t> user_id;          // and/or this one user
};

// An event to append with others (append_many): its payload is JSON text; `traceparent` is the
// W3C trace context of the work that caused it, if traced.
struct NewEvent {
  EventAudience audience;
  std::string_view type;
  std::string_view payload_json;
  std::optional<std::string> traceparent;
};

// A numbered event, as the sequencer hands it on (without its time) or a reader reads it.
struct LoggedEvent {
  std::int64_t position = 0;
  EventAudience audience;
  std::string type;
  std::string payload;        // JSON text
  std::int64_t created_us = 0;  // when it was written, µs since the Unix epoch (tail only; else 0)
};

struct StoredEvent {
  std::int64_t position = 0;
  std::string type;
  std::string payload;  // JSON text
  std::string created_at;
};

class EventLogRepository {
 public:
  explicit EventLogRepository(Dialect dialect);

  // Appends one event inside the transaction whose change it describes. Returns its position
  // when the backend numbers rows at once (SQLite), std::nullopt when sequence_pending() will.
  // The audience must name a conversation or a user.
  boost::asio::awaitable<std::optional<std::int64_t>> append(Executor& tx, const EventAudience& audience,
                                                             std::string_view type, std::string_view payload_json);
  // The same when the position is not needed, through Executor::execute_later: on PostgreSQL the
  // row goes out with the transaction's COMMIT (or its next statement) in one round trip.
  boost::asio::awaitable<void> append_later(Executor& tx, const EventAudience& audience, std::string_view type,
                                            std::string_view payload_json);
  // append_later() for several events, in order: one statement on PostgreSQL, one per event on
  // SQLite. Their traceparents are theirs, not the current span's. On PostgreSQL the events are
  // numbered in the transaction: the sequencer waits for its COMMIT and never sees them pending.
  // Call it last before the COMMIT (the lock it takes is held until then).
  boost::asio::awaitable<void> append_many_later(Executor& tx, std::span<const NewEvent> events);
  // Numbers up to `limit` committed, unnumbered events in one transaction of its own and returns
  // them in position order (PostgreSQL; always empty on SQLite). Safe to call from several
  // processes at once: they take turns on the event_sequence row.
  boost::asio::awaitable<std::vector<LoggedEvent>> sequence_pending(Database& db, int limit);
  // Every numbered event with a position > after, oldest first, at most `limit`: what a process
  // publishes (positions become visible in increasing order, so tailing never skips one).
  boost::asio::awaitable<std::vector<LoggedEvent>> tail(Executor& db, std::int64_t after, int limit);
  // The events `user_id` may see with positions > after, oldest first, at most `limit` (1..1000).
  boost::asio::awaitable<std::vector<StoredEvent>> after(Executor& db, std::int64_t user_id, std::int64_t after,
                                                         int limit);
  // Whether more than `limit` events of `user_id`'s stream lie after `after` (a resume that would
  // replay more is told to resynchronise instead).
  boost::asio::awaitable<bool> backlog_exceeds(Executor& db, std::int64_t user_id, std::int64_t after,
                                               std::int64_t limit);
  // The newest position handed out (0 when none): "everything after this" starts a stream now.
  boost::asio::awaitable<std::int64_t> head(Executor& db);
  // The oldest position still retained (head() + 1 when the log is empty). A stream resumed from
  // a position below oldest() - 1 may have lost events to retention.
  boost::asio::awaitable<std::int64_t> oldest(Executor& db);
  // Deletes numbered events created more than `max_age` ago, at most `limit` rows; returns how many.
  boost::asio::awaitable<std::int64_t> purge_older_than(Executor& db, std::chrono::seconds max_age, int limit);

 private:
  Dialect dialect_;
  Query after_;
  Query purge_;
  Query tail_;
};

}  // namespace parley::db::repositories
