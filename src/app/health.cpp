#include "app/health.hpp"

#include "core/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace parley {

namespace asio = boost::asio;

void HealthChecks::add(std::string name, Check check, bool required) {
  checks_.push_back(Entry{std::move(name), std::move(check), required});
}

asio::awaitable<HealthChecks::Report> HealthChecks::run(std::chrono::milliseconds timeout) const {
  using namespace asio::experimental::awaitable_operators;
  Report report;
  for (const auto& [name, check, required] : checks_) {
    auto start = std::chrono::steady_clock::now();
    boost::json::object entry;
    std::string failure;
    try {
      asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
      auto result = co_await (check() || deadline.async_wait(asio::use_awaitable));
      if (result.index() == 1) failure = "timed out after " + std::to_string(timeout.count()) + "ms";
    } catch (const AppError& e) {
      failure = e.public_message();
    } catch (const std::exception& e) {
      failure = "check failed";
    }
    entry["status"] = failure.empty() ? "ok" : (required ? "failing" : "degraded");
    if (!failure.empty()) entry["error"] = failure;
    entry["duration_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    report.ready &= failure.empty() || !required;
    report.checks[name] = std::move(entry);
  }
  if (draining()) {
    report.ready = false;
    report.draining = true;
  }
  co_return report;
}

}  // namespace parley
