#include "realtime/pg_fanout.hpp"

#include <spdlog/logger.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace parley::realtime {

boost::asio::awaitable<void> PgFanout::start(Receiver receiver, std::function<void()> on_gap) {
  auto& listener = db_.listener();
  listener.on_reconnect(std::move(on_gap));
  std::string channel(kChannel);
  db::pg::PgListener::Callback callback = [receiver = std::move(receiver)](std::string_view, std::string_view payload) {
    receiver(payload);
  };
  co_await listener.subscribe(std::move(channel), std::move(callback));
}

void PgFanout::publish(std::string text) {
  boost::asio::co_spawn(
      executor_,
      [this, text = std::move(text)]() -> boost::asio::awaitable<void> {
        try {
          co_await db_.notify(kChannel, text);
        } catch (const std::exception& e) {
          logger_.warn("realtime: NOTIFY {} failed ({}); other instances learn of it at their next sweep",
                       kChannel, e.what());
        }
      },
      boost::asio::detached);
}

}  // namespace parley::realtime
