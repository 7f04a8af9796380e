#include "core/error.hpp"
#include "http/middlewares.hpp"
#include "http/problem.hpp"

#include <spdlog/logger.h>

#include <optional>

namespace parley::http {
namespace {

class ErrorMiddleware final : public Middleware {
 public:
  explicit ErrorMiddleware(spdlog::logger& logger) : logger_(logger) {}
  std::string_view name() const noexcept override { return "error"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    std::optional<AppError> failure;
    try {
      co_return co_await next(req);
    } catch (const AppError& e) {
      failure = e;
    } catch (const std::exception& e) {
      failure = AppError::internal(e.what());
    }
    if (failure->status() >= 500) {
      logger_.error("{} {} failed with {}: {} rid={}", req.method_text(), req.path(), failure->status(),
                    failure->internal_detail().empty() ? failure->public_message() : failure->internal_detail(),
                    req.request_id);
    } else if (!failure->internal_detail().empty()) {
      logger_.debug("{} {} -> {}: {} rid={}", req.method_text(), req.path(), failure->status(),
                    failure->internal_detail(), req.request_id);
    }
    co_return problem_response(*failure, req.path(), req.request_id);
  }

 private:
  spdlog::logger& logger_;
};

}  // namespace

std::unique_ptr<Middleware> make_error_middleware(spdlog::logger& logger) {
  return std::make_unique<ErrorMiddleware>(logger);
}

}  // namespace parley::http
