#include "core/error.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

namespace parley::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view media_type(std::string_view header) { return trim(header.substr(0, header.find(';'))); }

// True when the media range `range` ("*/*", "application/*", "application/json") covers `type`.
bool range_covers(std::string_view range, std::string_view type) {
  if (range == "*/*") return true;
  if (range.size() > 2 && range.ends_with("/*")) return type.starts_with(range.substr(0, range.size() - 1));
  return iequals(range, type);
}

bool accept_allows(std::string_view accept, std::string_view produces) {
  auto type = media_type(produces);
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = accept.substr(0, comma);
    auto range = media_type(item);
    bool refused = item.find("q=0") != std::string_view::npos && item.find("q=0.") == std::string_view::npos;
    if (!refused && range_covers(range, type)) return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

class ContentTypeMiddleware final : public Middleware {
 public:
  std::string_view name() const noexcept override { return "content_type"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    if (req.route != nullptr) {
      const auto& doc = req.route->doc;
      bool has_body = !req.body().empty();
      if (has_body) {
        auto content_type = req.header("Content-Type");
        auto type = media_type(content_type);
        bool accepted = false;
        for (const auto& c : doc.consumes) accepted |= iequals(type, c);
        if (doc.consumes.empty()) throw AppError::unsupported_media_type("This endpoint does not take a request body.");
        if (!accepted) {
          std::string expected;
          for (const auto& c : doc.consumes) expected += (expected.empty() ? "" : " or ") + c;
          throw AppError::unsupported_media_type(
              content_type.empty() ? "Missing Content-Type; expected " + expected + "."
                                   : "Unsupported media type \"" + std::string(type) + "\"; expected " + expected + ".");
        }
        auto charset = content_type.find("charset=");
        if (charset != std::string_view::npos) {
          auto value = trim(content_type.substr(charset + 8));
          value = value.substr(0, value.find(';'));
          if (!iequals(trim(value), "utf-8") && !iequals(trim(value), "\"utf-8\""))
            throw AppError::unsupported_media_type("Only the UTF-8 charset is accepted.");
        }
      }
      auto accept = req.header("Accept");
      if (!accept.empty() && !doc.produces.empty() && !accept_allows(accept, doc.produces))
        throw AppError::not_acceptable("This endpoint produces " + doc.produces + ".");
    }
    co_return co_await next(req);
  }
};

class AllowedHostsMiddleware final : public Middleware {
 public:
  explicit AllowedHostsMiddleware(std::vector<std::string> hosts) : hosts_(std::move(hosts)) {}
  std::string_view name() const noexcept override { return "allowed_hosts"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    if (!hosts_.empty()) {
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

std::unique_ptr<Middleware> make_content_type_middleware() { return std::make_unique<ContentTypeMiddleware>(); }

std::unique_ptr<Middleware> make_allowed_hosts_middleware(std::vector<std::string> hosts) {
  return std::make_unique<AllowedHostsMiddleware>(std::move(hosts));
}

}  // namespace parley::http
