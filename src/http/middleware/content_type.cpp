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

// How specifically the media range `range` ("*/*", "application/*", "application/json") covers
// `type`: 2 exact, 1 subtype wildcard, 0 any; -1 when it does not cover it.
int coverage(std::string_view range, std::string_view type) {
  if (range == "*/*") return 0;
  if (range.size() > 2 && range.ends_with("/*")) {
    auto prefix = range.substr(0, range.size() - 1);  // "application/"
    return type.size() > prefix.size() && iequals(type.substr(0, prefix.size()), prefix) ? 1 : -1;
  }
  return iequals(range, type) ? 2 : -1;
}

// The q parameter of one Accept element ("application/json;q=0.5"); 1 when absent or unreadable.
// Only zero matters here: "q=0", "q=0.", "q=0.0", "q=0.000" all refuse the range (RFC 9110 12.4.2).
bool refuses(std::string_view item) {
  auto semi = item.find(';');
  while (semi != std::string_view::npos) {
    item.remove_prefix(semi + 1);
    semi = item.find(';');
    auto param = trim(item.substr(0, semi));
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    auto value = trim(param.substr(2));
    if (value.empty() || value[0] != '0') return false;
    for (char c : value.substr(1)) {
      if (c != '.' && c != '0') return false;
    }
    return true;
  }
  return false;
}

}  // namespace

bool accept_allows(std::string_view accept, std::string_view produces) {
  auto type = media_type(produces);
  int best = -1;
  bool allowed = false;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = accept.substr(0, comma);
    int level = coverage(media_type(item), type);
    if (level > best) {
      best = level;
      allowed = !refuses(item);
    } else if (level == best && level >= 0) {
      allowed = allowed || !refuses(item);
    }
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return allowed;
}

namespace {

class ContentTypeMiddleware final : public Middleware {
 public:
  std::string_view name() const noexcept override { return "content_type"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    if (req.route != nullptr) {
      const auto& doc = req.route->doc;
      // A streamed body is still on the connection: its Content-Type is checked before any of it is read.
      bool has_body = !req.body().empty() || req.has_streamed_body();
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
      // A route whose success has no body (204) has nothing to negotiate: clients that only accept
      // problem+json there (Swagger UI does, for such routes) get their answer.
      const bool bodiless = !doc.responses.empty() && doc.responses.front().status == 204;
      auto accept = req.header("Accept");
      if (!accept.empty() && !doc.produces.empty() && !bodiless && !accept_allows(accept, doc.produces)) {
        bool alternative = false;
        for (const auto& other : doc.also_produces) alternative = alternative || accept_allows(accept, other);
        if (!alternative) {
          std::string types = doc.produces;
          for (const auto& other : doc.also_produces) types += " or " + other;
          throw AppError::not_acceptable("This endpoint produces " + types + ".");
        }
      }
    }
    co_return co_await next(req);
  }
};

}  // namespace

std::unique_ptr<Middleware> make_content_type_middleware() { return std::make_unique<ContentTypeMiddleware>(); }

}  // namespace parley::http
