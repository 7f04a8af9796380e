#include "accounts/csrf_middleware.hpp"

#include "accounts/sessions.hpp"
#include "auth/tokens.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <cctype>

namespace parley::accounts {
namespace {

AppError csrf_failed(std::string detail) {
  return AppError{403, "csrf_failed", "CSRF check failed", std::move(detail)};
}

bool is_websocket_upgrade(const http::Request& req) {
  const auto upgrade = req.header("Upgrade");
  return upgrade.size() == 9 && std::equal(upgrade.begin(), upgrade.end(), "websocket", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

bool is_safe(http::Method method) noexcept {
  return method == http::Method::get || method == http::Method::head || method == http::Method::options;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `host[:port]` lower-cased, without the port when it is the scheme's default.
std::string normalize_authority(std::string_view authority, std::string_view scheme) {
  std::string out = lower(authority);
  std::string_view default_port = scheme == "https" ? ":443" : ":80";
  // "[::1]:80" ends with ":80" too; a bare IPv6 literal ends with ']' and never matches.
  if (out.size() > default_port.size() && out.ends_with(default_port)) out.resize(out.size() - default_port.size());
  return out;
}

// The serialized origin "scheme://host[:port]" split up; nullopt for "null", paths, user info,
// or a scheme other than http/https.
struct Origin {
  std::string scheme;
  std::string authority;
};
std::optional<Origin> parse_origin(std::string_view origin) {
  auto sep = origin.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  auto scheme = lower(origin.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  auto authority = origin.substr(sep + 3);
  if (authority.empty() || authority.find_first_of("/?#@ \t") != std::string_view::npos) return std::nullopt;
  return Origin{scheme, normalize_authority(authority, scheme)};
}

class CsrfMiddleware final : public http::Middleware {
 public:
  explicit CsrfMiddleware(std::vector<std::string> trusted_origins) : trusted_origins_(std::move(trusted_origins)) {}
  std::string_view name() const noexcept override { return "csrf"; }

  boost::asio::awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    if (establishes_session(req)) {
      // OIDC's GET login and callback are top-level navigations from the provider (cross-site by
      // design); their CSRF defence is the one-time state bound to the browser.
      if (!is_safe(req.method())) check_login_origin(req);
    } else if (req.principal && req.principal->via == http::Principal::Via::session) {
      if (!is_safe(req.method())) {
        check_same_origin(req);
        check_token(req, req.principal->csrf_token_hash);
      } else if (is_websocket_upgrade(req)) {
        // Cross-site WebSocket hijacking: a GET, but one that opens a two-way channel with the
        // cookie's authority, and a browser sends no custom header on it: the Origin decides.
        check_same_origin(req);
      }
    }
    co_return co_await next(req);
  }

 private:
  bool trusted(std::string_view origin) const {
    return std::find(trusted_origins_.begin(), trusted_origins_.end(), origin) != trusted_origins_.end();
  }

  // Whether the Origin header value names this server or a trusted origin.
  bool origin_allowed(const http::Request& req, std::string_view origin_header) const {
    if (trusted(origin_header)) return true;
    auto origin = parse_origin(origin_header);
    if (!origin) return false;
    auto host = req.header("Host");
    return !host.empty() && origin->authority == normalize_authority(host, origin->scheme);
  }

  void check_same_origin(const http::Request& req) const {
    auto origin = req.header("Origin");
    if (!origin.empty()) {
      if (!origin_allowed(req, origin)) {
        throw csrf_failed("The Origin header (" + std::string(origin.substr(0, 200)) +
                          ") is not this site's origin.");
      }
      return;
    }
    auto fetch_site = req.header("Sec-Fetch-Site");
    if (fetch_site.empty()) {
      throw csrf_failed("A cookie-authenticated request must send an Origin header (or Sec-Fetch-Site: same-origin).");
    }
    if (fetch_site != "same-origin") {
      throw csrf_failed("Sec-Fetch-Site is '" + std::string(fetch_site.substr(0, 40)) + "', not 'same-origin'.");
    }
  }

  static void check_token(const http::Request& req, std::string_view expected_hash) {
    auto token = req.header(kCsrfHeader);
    if (token.empty()) throw csrf_failed("The X-CSRF-Token header is missing.");
    if (!auth::constant_time_equals(auth::token_hash(token), expected_hash)) {
      throw csrf_failed("The X-CSRF-Token header does not match this session's CSRF token.");
    }
  }

  // Login CSRF: another site must not log the browser into an account of its choosing.
  void check_login_origin(const http::Request& req) const {
    auto origin = req.header("Origin");
    if (!origin.empty()) {
      if (!origin_allowed(req, origin)) {
        throw csrf_failed("The Origin header (" + std::string(origin.substr(0, 200)) +
                          ") is not this site's origin.");
      }
      return;
    }
    auto fetch_site = req.header("Sec-Fetch-Site");
    if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none") {
      throw csrf_failed("Sec-Fetch-Site is '" + std::string(fetch_site.substr(0, 40)) + "', not 'same-origin'.");
    }
  }

  std::vector<std::string> trusted_origins_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_csrf_middleware(std::vector<std::string> trusted_origins) {
  // "*" grants no credentials in CORS, so it grants no trust here either.
  std::erase(trusted_origins, "*");
  return std::make_unique<CsrfMiddleware>(std::move(trusted_origins));
}

}  // namespace parley::accounts
