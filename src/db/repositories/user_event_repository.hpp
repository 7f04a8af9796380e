#pragma once
// The per-user event log (tables user_event_counters, user_events): every domain event is
// appended once per recipient with the recipient's next event id, so a client can resume with
// "everything after N". Ids are per user, start at 1 and grow by one with no gaps: the counter
// row is bumped with an upsert that holds its row lock until the transaction ends, so concurrent
// writers for the same user serialize on it and roll back together with the change they record.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct LoggedEvent {
  std::int64_t user_id = 0;
  std::int64_t event_id = 0;
};

struct StoredEvent {
  std::int64_t event_id = 0;
  std::string type;
  std::string payload;  // JSON text
  std::string created_at;
};

class UserEventRepository {
 public:
  explicit UserEventRepository(Dialect dialect);

  // Appends one event for every user of `recipients`, which must be sorted ascending and
  // distinct (the order is also the lock order, so concurrent appends cannot deadlock). Returns
  // each recipient's new event id, in no particular order. Run it inside the transaction whose
  // change the event describes.
  boost::asio::awaitable<std::vector<LoggedEvent>> append(Executor& db, std::span<const std::int64_t> recipients,
                                                          std::string_view type, std::string_view payload_json);
  // The events of `user_id` with ids > after_event_id, oldest first, at most `limit` (1..1000).
  boost::asio::awaitable<std::vector<StoredEvent>> after(Executor& db, std::int64_t user_id,
                                                         std::int64_t after_event_id, int limit);
  // The last event id handed out to `user_id` (0 when none).
  boost::asio::awaitable<std::int64_t> last_event_id(Executor& db, std::int64_t user_id);

 private:
  Dialect dialect_;
  Query after_;
};

}  // namespace parley::db::repositories
