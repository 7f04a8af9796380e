#include "accounts/ip_rules_middleware.hpp"

#include "core/error.hpp"

namespace parley::accounts {
namespace {

class IpRulesMiddleware final : public http::Middleware {
 public:
  explicit IpRulesMiddleware(const IpRules& rules) : rules_(rules) {}
  std::string_view name() const noexcept override { return "ip_rules"; }

  boost::asio::awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    if (rules_.any() && !is_probe(req) && !rules_.decide(req.client_ip, IpRules::Clock::now()).allowed) {
      throw AppError(403, "ip_forbidden", "Forbidden", "Requests from your network address are not allowed.");
    }
    co_return co_await next(req);
  }

 private:
  static bool is_probe(const http::Request& req) noexcept {
    return req.path() == "/healthz" || req.path() == "/readyz";
  }

  const IpRules& rules_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_ip_rules_middleware(const IpRules& rules) {
  return std::make_unique<IpRulesMiddleware>(rules);
}

}  // namespace parley::accounts
