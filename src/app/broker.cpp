#include "app/broker.hpp"

#include <algorithm>

#include "core/redis_url.hpp"
#include "core/amqp_url.hpp"
#include "jobs/database_broker.hpp"
#include "jobs/rabbitmq_broker.hpp"
#include "jobs/redis_broker.hpp"
#include "redis/client.hpp"

namespace parley {

std::unique_ptr<jobs::Broker> make_broker(const Config& config, db::Database& database,
                                          const jobs::TaskRegistry& registry,
                                          const std::shared_ptr<redis::Client>& shared_redis,
                                          boost::asio::any_io_executor executor, spdlog::logger& logger,
                                          std::string relay_name) {
  if (config.broker_url == "database") return std::make_unique<jobs::DatabaseBroker>(database);
  jobs::RelayOptions relay{.name = std::move(relay_name), .poll_interval = config.worker_poll_interval};
  if (config.broker_url.starts_with("amqp://")) {
    amqp::ConnectionConfig connection{.url = amqp::parse_url(config.broker_url), .connection_name = "parley"};
    return std::make_unique<jobs::RabbitMqBroker>(
        database, registry, std::move(connection),
        jobs::RabbitMqBrokerOptions{
            .prefix = config.broker_prefix,
            .relay = std::move(relay),
            .prefetch = static_cast<std::uint16_t>(std::min(2 * config.worker_concurrency, 65535))},
        logger, std::move(executor));
  }
  // Config validated the URL: otherwise it is redis://.
  redis::ClientConfig client_config{.url = parse_redis_url(config.broker_url),
                                    .connections = config.redis_connections,
                                    .connect_timeout = config.redis_timeout,
                                    .command_timeout = config.redis_timeout};
  auto client = shared_redis && config.broker_url == config.redis_url
                    ? shared_redis
                    : std::make_shared<redis::Client>(executor, client_config);
  // The worker's XREADGROUP blocks for up to a second on a connection of its own.
  client_config.connections = 1;
  client_config.command_timeout = config.redis_timeout + std::chrono::seconds(1);
  auto blocking = std::make_shared<redis::Client>(executor, client_config);
  return std::make_unique<jobs::RedisBroker>(
      database, registry, std::move(client), std::move(blocking),
      jobs::RedisBrokerOptions{.prefix = config.broker_prefix, .relay = std::move(relay)},
      logger, std::move(executor));
}

}  // namespace parley
