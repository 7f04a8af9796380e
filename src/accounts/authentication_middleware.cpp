#include "accounts/authentication_middleware.hpp"

#include "core/error.hpp"
#include "http/cookies.hpp"
#include "http/response.hpp"

namespace parley::accounts {
namespace {

class AuthenticationMiddleware final : public http::Middleware {
 public:
  explicit AuthenticationMiddleware(Accounts& accounts) : accounts_(accounts) {}
  std::string_view name() const noexcept override { return "authentication"; }

  boost::asio::awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    auto header = req.header("Authorization");
    if (!header.empty()) {
      auto space = header.find(' ');
      auto scheme = header.substr(0, space);
      if (!http::iequals(scheme, "Bearer") || space == std::string_view::npos) {
        throw AppError{401, "not_authenticated", "Not authenticated", "Use 'Authorization: Bearer <token>'."}
            .with_header("WWW-Authenticate", R"(Bearer realm="parley", error="invalid_request")");
      }
      auto credential = header.substr(space + 1);
      while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
      req.principal = co_await accounts_.authenticate_bearer(credential);
      req.user_id = req.principal->user_id;
    } else if (!establishes_session(req)) {
      // No Authorization: the browser session cookie, if any. A login ignores it (sessions.hpp).
      auto cookies = req.header("Cookie");
      if (auto session_id = http::find_cookie(cookies, kSessionCookie)) {
        req.principal = co_await accounts_.authenticate_session(*session_id);
        req.user_id = req.principal->user_id;
      }
    }
    co_return co_await next(req);
  }

 private:
  Accounts& accounts_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_authentication_middleware(Accounts& accounts) {
  return std::make_unique<AuthenticationMiddleware>(accounts);
}

}  // namespace parley::accounts
