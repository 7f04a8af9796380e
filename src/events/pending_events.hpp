#pragma once
// The events of one action's transaction. record() appends each event to the event log inside the
// transaction (so the log and the change commit or roll back together); publish() must be
// called only after the commit succeeded, and wakes the EventStream, which numbers and publishes
// them.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/repositories/event_log_repository.hpp"
#include "events/event_stream.hpp"

namespace parley::events {

class PendingEvents {
 public:
  explicit PendingEvents(EventStream& stream) : stream_(stream) {}

  // Appends event `type` with `data` for `audience`: one row, whatever the audience's size.
  boost::asio::awaitable<void> record(db::Executor& tx, std::string_view type, const boost::json::object& data,
                                      db::repositories::EventAudience audience);
  // The same with "data" already written as JSON text.
  boost::asio::awaitable<void> record(db::Executor& tx, std::string_view type, std::string_view data_json,
                                      db::repositories::EventAudience audience);
  // Several events with their own traceparents (db::repositories::NewEvent), in one statement on
  // PostgreSQL that numbers them (EventLogRepository::append_many_later: call it last before the
  // COMMIT).
  boost::asio::awaitable<void> record_all(db::Executor& tx, std::span<const db::repositories::NewEvent> events);
  // After the commit: hands what was recorded on to the stream, then forgets it.
  void publish();
  // The conversations of the events recorded since the last publish() (for cache invalidation).
  const std::vector<std::int64_t>& conversations() const noexcept { return conversations_; }

 private:
  EventStream& stream_;
  int recorded_ = 0;
  bool numbered_ = false;  // record_all() numbered events in the transaction
  std::vector<std::int64_t> conversations_;
};

}  // namespace parley::events
