#include "realtime/redis_fanout.hpp"

#include <spdlog/logger.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <vector>

namespace parley::realtime {

boost::asio::awaitable<void> RedisFanout::start(Receiver receiver, std::function<void()> on_gap) {
  subscriber_->on_reconnect(std::move(on_gap));
  std::string channel(kChannel);
  redis::Subscriber::Callback callback = [receiver = std::move(receiver)](std::string_view, std::string_view payload) {
    receiver(payload);
  };
  co_await subscriber_->subscribe(std::move(channel), std::move(callback));
}

void RedisFanout::publish(std::string text) {
  boost::asio::co_spawn(
      executor_,
      [client = client_, &logger = logger_, text = std::move(text)]() -> boost::asio::awaitable<void> {
        try {
          const std::vector<std::string> command{"PUBLISH", std::string(kChannel), text};
          auto reply = co_await client->command(command);
          reply.throw_if_error();
        } catch (const std::exception& e) {
          logger.warn("realtime: PUBLISH {} failed ({}); other instances learn of it at their next sweep", kChannel,
                      e.what());
        }
      },
      boost::asio::detached);
}

}  // namespace parley::realtime
