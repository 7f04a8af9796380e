#include "events/pending_events.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace parley::events {

boost::asio::awaitable<void> PendingEvents::record(db::Executor& tx, std::string_view type,
                                                   const boost::json::object& data,
                                                   std::vector<std::int64_t> recipients) {
  std::sort(recipients.begin(), recipients.end());
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
  if (recipients.empty()) co_return;
  auto payload = std::make_shared<const std::string>(boost::json::serialize(data));
  std::span<const std::int64_t> ids(recipients);
  auto logged = co_await log_.append(tx, ids, type, *payload);
  std::sort(logged.begin(), logged.end(), [](const auto& a, const auto& b) { return a.user_id < b.user_id; });
  events_.reserve(events_.size() + logged.size());
  for (const auto& e : logged) events_.push_back(UserEvent{e.user_id, e.event_id, std::string(type), payload});
}

void PendingEvents::publish(const EventBus& bus) {
  bus.publish(events_);
  events_.clear();
}

}  // namespace parley::events
