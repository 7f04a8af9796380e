#include "analytics/middleware.hpp"

#include <chrono>

#include "http/router.hpp"

namespace parley::analytics {
namespace {

// The answer a route documents first (201 for a creation, 302 for a sign-in redirect, ...), or any
// success when it documents none: a direct conversation that existed already (200, not 201) was not
// created.
bool is_primary_success(const http::RouteDoc& doc, const http::Response& response) {
  return doc.responses.empty() ? response.status < 400 : response.status == doc.responses.front().status;
}

class AnalyticsMiddleware final : public http::Middleware {
 public:
  explicit AnalyticsMiddleware(Recorder& recorder) : recorder_(recorder) {}
  std::string_view name() const noexcept override { return "analytics"; }

  boost::asio::awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    const auto start = std::chrono::steady_clock::now();
    http::Response response = co_await next(req);
    // Probes and scrapes (the routes exempt from rate limits) are not usage; a WebSocket lives on
    // after its upgrade: its handshake is not a request's latency.
    if ((req.route && req.route->doc.rate_limit_exempt) || response.status == http::kSwitchingProtocols) {
      co_return response;
    }
    const std::optional<std::int64_t> user =
        req.principal ? std::optional<std::int64_t>(req.principal->user_id) : std::nullopt;
    recorder_.observe_request(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), user);
    if (response.status >= 500) {
      recorder_.record(Kind::error, user, response.status,
                       req.route ? std::string_view(req.route->path) : std::string_view("unmatched"));
    } else if (req.route && !req.route->doc.analytics_event.empty() && is_primary_success(req.route->doc, response)) {
      if (auto kind = kind_named(req.route->doc.analytics_event)) recorder_.record(*kind, user);
    }
    co_return response;
  }

 private:
  Recorder& recorder_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_analytics_middleware(Recorder& recorder) {
  return std::make_unique<AnalyticsMiddleware>(recorder);
}

}  // namespace parley::analytics
