#include "events/pending_events.hpp"

#include <boost/json/serialize.hpp>

namespace parley::events {

boost::asio::awaitable<void> PendingEvents::record(db::Executor& tx, std::string_view type,
                                                   const boost::json::object& data,
                                                   db::repositories::EventAudience audience) {
  const std::string payload = boost::json::serialize(data);
  co_await record(tx, type, std::string_view(payload), audience);
}

boost::asio::awaitable<void> PendingEvents::record(db::Executor& tx, std::string_view type,
                                                   std::string_view data_json,
                                                   db::repositories::EventAudience audience) {
  co_await stream_.log().append_later(tx, audience, type, data_json);
  ++recorded_;
  if (audience.conversation_id) conversations_.push_back(*audience.conversation_id);
}

boost::asio::awaitable<void> PendingEvents::record_all(db::Executor& tx,
                                                       std::span<const db::repositories::NewEvent> events) {
  co_await stream_.log().append_many_later(tx, events);
  recorded_ += static_cast<int>(events.size());
  numbered_ = numbered_ || !events.empty();
  for (const auto& e : events) {
    if (e.audience.conversation_id) conversations_.push_back(*e.audience.conversation_id);
  }
}

void PendingEvents::publish() {
  if (recorded_ > 0) stream_.committed(numbered_);
  recorded_ = 0;
  numbered_ = false;
  conversations_.clear();
}

}  // namespace parley::events
