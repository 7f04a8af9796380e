#pragma once
// The bus between replicas over Redis pub/sub (realtime/fanout.hpp), when PARLEY_REDIS_URL is set:
// PUBLISH through the shared Redis client, SUBSCRIBE on the subscriber's dedicated connection,
// which reconnects and re-subscribes by itself (redis/subscriber.hpp).
#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <memory>

#include "realtime/fanout.hpp"
#include "redis/client.hpp"
#include "redis/subscriber.hpp"

namespace spdlog {
class logger;
}

namespace parley::realtime {

class RedisFanout final : public Fanout {
 public:
  static constexpr std::string_view kChannel = "parley:realtime";

  RedisFanout(std::shared_ptr<redis::Client> client, std::shared_ptr<redis::Subscriber> subscriber,
              boost::asio::any_io_executor executor, spdlog::logger& logger)
      : client_(std::move(client)), subscriber_(std::move(subscriber)), executor_(std::move(executor)), logger_(logger) {}

  std::string_view name() const noexcept override { return "redis"; }
  boost::asio::awaitable<void> start(Receiver receiver, std::function<void()> on_gap) override;
  void publish(std::string text) override;

 private:
  std::shared_ptr<redis::Client> client_;
  std::shared_ptr<redis::Subscriber> subscriber_;
  boost::asio::any_io_executor executor_;
  spdlog::logger& logger_;
  // When the last PUBLISH failure was logged (steady clock ticks), shared with publishes in flight.
  std::shared_ptr<std::atomic<std::int64_t>> last_warning_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

}  // namespace parley::realtime
