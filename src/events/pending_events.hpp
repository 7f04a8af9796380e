#pragma once
// The events of one action's transaction. record() appends each event to its recipients' event
// logs inside the transaction (so the log and the change commit or roll back together);
// publish() hands them to the bus and must be called only after the commit succeeded. An action
// run by db::with_transaction calls clear() at the start of its body, because a retried attempt
// records its events again.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/repositories/user_event_repository.hpp"
#include "events/event_bus.hpp"

namespace parley::events {

class PendingEvents {
 public:
  explicit PendingEvents(db::repositories::UserEventRepository& log) : log_(log) {}

  // Appends event `type` with `data` for every user of `recipients` (any order, duplicates
  // allowed). Nothing is recorded for an empty recipient list.
  boost::asio::awaitable<void> record(db::Executor& tx, std::string_view type, const boost::json::object& data,
                                      std::vector<std::int64_t> recipients);
  void clear() noexcept { events_.clear(); }
  // Publishes what was recorded, then forgets it.
  void publish(const EventBus& bus);
  const std::vector<UserEvent>& events() const noexcept { return events_; }

 private:
  db::repositories::UserEventRepository& log_;
  std::vector<UserEvent> events_;
};

}  // namespace parley::events
