#include "core/error.hpp"
#include "http/middlewares.hpp"

namespace parley::http {
namespace {

// Django's ALLOWED_HOSTS: an exact host name, or ".example.com" for the domain and its subdomains.
// Probes and scrapes (/healthz, /readyz, /metrics) pass with any Host: kubelets, load balancers
// and Prometheus address a replica by its IP, and these answer nothing a forged Host could abuse.
class AllowedHostsMiddleware final : public Middleware {
 public:
  explicit AllowedHostsMiddleware(std::vector<std::string> hosts) : hosts_(std::move(hosts)) {}
  std::string_view name() const noexcept override { return "allowed_hosts"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    const auto path = req.path();
    const bool probe = path == "/healthz" || path == "/readyz" || path == "/metrics";
    if (!hosts_.empty() && !probe) {
      auto host = req.header("Host");
      // Strip the port: "[::1]:8000" -> "[::1]", "chat.example.com:443" -> "chat.example.com".
      auto colon = host.rfind(':');
      if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) host = host.substr(0, colon);
      bool ok = false;
      for (const auto& allowed : hosts_) {
        ok |= allowed == "*" || iequals(allowed, host) ||
              (allowed.starts_with('.') && (host.ends_with(allowed) || iequals(host, allowed.substr(1))));
      }
      if (!ok) throw AppError::bad_request("Invalid Host header.", "disallowed_host");
    }
    co_return co_await next(req);
  }

 private:
  std::vector<std::string> hosts_;
};

}  // namespace

std::unique_ptr<Middleware> make_allowed_hosts_middleware(std::vector<std::string> hosts) {
  return std::make_unique<AllowedHostsMiddleware>(std::move(hosts));
}

}  // namespace parley::http
