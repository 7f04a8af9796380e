#pragma once
// The job broker PARLEY_BROKER_URL names (jobs/broker.hpp), built for the composition root and
// for `parley jobs`.
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

#include "core/config.hpp"
#include "db/database.hpp"
#include "jobs/broker.hpp"
#include "jobs/jobs.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog
namespace parley::redis {
class Client;
}  // namespace parley::redis

namespace parley {

// `shared_redis` is the process's client for PARLEY_REDIS_URL (may be null): a Redis broker on the
// same URL shares it for its short commands. `relay_name` names this process's relay (unique
// among processes: the worker's name).
std::unique_ptr<jobs::Broker> make_broker(const Config& config, db::Database& database,
                                          const jobs::TaskRegistry& registry,
                                          const std::shared_ptr<redis::Client>& shared_redis,
                                          boost::asio::any_io_executor executor, spdlog::logger& logger,
                                          std::string relay_name);

}  // namespace parley
