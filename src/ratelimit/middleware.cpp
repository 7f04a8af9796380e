#include "ratelimit/middleware.hpp"

#include <stdexcept>

#include "core/error.hpp"

namespace parley::ratelimit {

namespace asio = boost::asio;

namespace {

class RateLimitMiddleware final : public http::Middleware {
 public:
  explicit RateLimitMiddleware(RateLimiter& limiter) : limiter_(limiter) {}
  std::string_view name() const noexcept override { return "rate_limit"; }

  asio::awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    if (req.route != nullptr && req.route->doc.rate_limit_exempt) co_return co_await next(req);
    std::string subject;
    std::string_view general;
    if (req.principal) {
      subject = "u" + std::to_string(req.principal->user_id);
      general = "user";
    } else {
      subject = req.client_ip;
      general = "anonymous";
    }
    std::string_view route_scope;
    if (req.route != nullptr) route_scope = req.route->doc.rate_limit;
    auto outcome = co_await limiter_.take(general, route_scope, subject);
    if (!outcome.allowed) {
      auto error = AppError::too_many_requests(static_cast<int>(outcome.retry_after.count()));
      error.with_header("RateLimit-Policy", outcome.policy_field).with_header("RateLimit", outcome.state_field);
      throw error;
    }
    auto response = co_await next(req);
    if (!outcome.policy_field.empty()) {
      response.set_header("RateLimit-Policy", std::move(outcome.policy_field));
      response.set_header("RateLimit", std::move(outcome.state_field));
    }
    co_return response;
  }

 private:
  RateLimiter& limiter_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_rate_limit_middleware(RateLimiter& limiter, const http::Router& router) {
  for (const auto& route : router.routes()) {
    if (!route->doc.rate_limit.empty() && !limiter.knows(route->doc.rate_limit)) {
      throw std::invalid_argument("route " + route->path + " declares the unknown rate-limit scope '" +
                                  route->doc.rate_limit + "'");
    }
  }
  return std::make_unique<RateLimitMiddleware>(limiter);
}

}  // namespace parley::ratelimit
