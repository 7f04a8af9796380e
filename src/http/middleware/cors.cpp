#include "core/error.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

#include <algorithm>

namespace parley::http {
namespace {

constexpr std::string_view kAllowedRequestHeaders =
    "Authorization, Content-Type, Accept, X-CSRF-Token, X-Request-Id, Idempotency-Key";
constexpr std::string_view kExposedHeaders =
    "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Location";

// CORS for the configured origins. Only explicit origins get credentials; "*" allows any origin
// without credentials. A preflight from an origin not on the list is refused with 403 so the
// misconfiguration is visible instead of a silent browser failure.
class CorsMiddleware final : public Middleware {
 public:
  explicit CorsMiddleware(std::vector<std::string> origins) : origins_(std::move(origins)) {
    any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
  }
  std::string_view name() const noexcept override { return "cors"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    auto origin = req.header("Origin");
    bool preflight = req.method() == Method::options && req.has_header("Access-Control-Request-Method");
    if (origin.empty() || (origins_.empty() && !preflight)) co_return co_await next(req);

    bool explicitly_allowed = std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
    bool allowed = explicitly_allowed || any_;
    if (preflight) {
      if (!allowed) throw AppError::forbidden("Origin " + std::string(origin) + " is not allowed by CORS.");
      Response response = Response::no_content();
      decorate(response, origin, explicitly_allowed);
      std::string methods = req.route ? std::string(method_name(req.route->method)) : req.allow;
      if (methods.empty()) methods = "GET, POST, PUT, PATCH, DELETE";
      response.set_header("Access-Control-Allow-Methods", methods);
      response.set_header("Access-Control-Allow-Headers", std::string(kAllowedRequestHeaders));
      response.set_header("Access-Control-Max-Age", "600");
      co_return response;
    }
    Response response = co_await next(req);
    if (allowed) {
      decorate(response, origin, explicitly_allowed);
      response.set_header("Access-Control-Expose-Headers", std::string(kExposedHeaders));
    }
    co_return response;
  }

 private:
  static void decorate(Response& response, std::string_view origin, bool with_credentials) {
    response.set_header("Access-Control-Allow-Origin", with_credentials ? std::string(origin) : "*");
    if (with_credentials) response.set_header("Access-Control-Allow-Credentials", "true");
    response.set_header("Vary", "Origin");
  }

  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace

std::unique_ptr<Middleware> make_cors_middleware(std::vector<std::string> origins) {
  return std::make_unique<CorsMiddleware>(std::move(origins));
}

}  // namespace parley::http
