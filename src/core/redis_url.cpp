#include "core/redis_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include "core/error.hpp"
#include "core/percent_decode.hpp"

namespace parley {
namespace {

[[noreturn]] void invalid(const std::string& reason) {
  throw AppError(500, "invalid_redis_url", "Invalid Redis URL", reason, "expected " + std::string(kRedisUrlForm));
}

// Percent-decodes `text`; `what` names the part in the error ("password").
std::string decoded(std::string_view text, std::string_view what) {
  auto out = percent_decode(text);
  if (!out) {
    invalid("the " + std::string(what) + " has an invalid percent-encoding ('%' must be followed by two hex digits)");
  }
  return std::move(*out);
}

template <typename Int>
std::optional<Int> parse_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool valid_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

RedisUrl parse_redis_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) invalid("no scheme");
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme == "rediss") invalid("rediss:// (Redis over TLS) is not supported; use redis:// on a private network");
  if (scheme != "redis") invalid("unsupported scheme '" + scheme + "://'");
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) invalid("query parameters and fragments are not supported");

  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  RedisUrl out;
  // The last '@' ends the user info: a password may hold '@' only percent-encoded, but a raw one
  // still parses the way the operator meant.
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      invalid("the user info needs a password: write user:password@ or :password@");
    }
    out.username = decoded(userinfo.substr(0, colon), "user name");
    out.password = decoded(userinfo.substr(colon + 1), "password");
    if (out.password.empty()) invalid("the password is empty; leave out the user info for no AUTH");
  }

  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) invalid("the IPv6 address has no closing ']'");
    std::string_view v6 = authority.substr(1, close - 1);
    if (v6.empty() || v6.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      invalid("'" + std::string(v6) + "' is not an IPv6 address");
    }
    out.host = std::string(v6);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') invalid("unexpected text after the IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) invalid("the host is missing");
    if (!valid_host_name(host)) invalid("'" + std::string(host) + "' is not a valid host name");
    out.host = std::string(host);
  }
  if (out.host.empty()) invalid("the host is missing");
  if (has_port) {
    auto port = parse_number<std::uint32_t>(port_text);
    if (!port || *port == 0 || *port > 65535) invalid("the port must be a number from 1 to 65535");
    out.port = static_cast<std::uint16_t>(*port);
  }

  if (!path.empty()) {
    auto db = parse_number<int>(path);
    if (!db) invalid("the database must be a non-negative number, such as /0");
    out.database = *db;
  }
  return out;
}

std::string RedisUrl::redacted() const {
  std::string out = "redis://";
  if (!password.empty()) out += username + ":********@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  if (database != 0) out += "/" + std::to_string(database);
  return out;
}

}  // namespace parley
