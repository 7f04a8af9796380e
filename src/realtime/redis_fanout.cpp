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
  // Redis may be down as the process starts: it serves anyway (this instance then misses the
  // others' typing and presence until Redis answers, and resynchronises through on_gap).
  const bool subscribed = co_await subscriber_->subscribe_or_retry(std::move(channel), std::move(callback));
  if (!subscribed) logger_.warn("realtime: Redis unreachable at start; subscribing in the background");
}

void RedisFanout::publish(std::string text) {
  boost::asio::co_spawn(
      executor_,
      [client = client_, &logger = logger_, last_warning = last_warning_,
       text = std::move(text)]() -> boost::asio::awaitable<void> {
        try {
          const std::vector<std::string> command{"PUBLISH", std::string(kChannel), text};
          auto reply = co_await client->command(command);
          reply.throw_if_error();
        } catch (const std::exception& e) {
          // Once per 10 s at most: during an outage every typing notice would log otherwise.
          const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
          auto last = last_warning->load();
          if (now - last >= std::chrono::steady_clock::duration(std::chrono::seconds(10)).count() &&
              last_warning->compare_exchange_strong(last, now)) {
            logger.warn("realtime: PUBLISH {} failed ({}); other instances learn of it at their next sweep", kChannel,
                        e.what());
          }
        }
      },
      boost::asio::detached);
}

}  // namespace parley::realtime
