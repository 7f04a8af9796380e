#include "http/middlewares.hpp"

namespace parley::http {
namespace {

// OWASP REST Security Cheat Sheet's response headers. A handler that serves HTML (API docs) sets
// its own Content-Security-Policy and Cache-Control, which are then left alone.
class SecurityHeadersMiddleware final : public Middleware {
 public:
  std::string_view name() const noexcept override { return "security_headers"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    Response response = co_await next(req);
    auto& h = response.headers;
    h.emplace_back("X-Content-Type-Options", "nosniff");
    h.emplace_back("X-Frame-Options", "DENY");
    h.emplace_back("Referrer-Policy", "no-referrer");
    h.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
    if (!response.has_header("Content-Security-Policy"))
      h.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (!response.has_header("Cache-Control")) h.emplace_back("Cache-Control", "no-store");
    if (req.secure) h.emplace_back("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    co_return response;
  }
};

}  // namespace

std::unique_ptr<Middleware> make_security_headers_middleware() {
  return std::make_unique<SecurityHeadersMiddleware>();
}

}  // namespace parley::http
