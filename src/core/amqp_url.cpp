#include "core/amqp_url.hpp"

#include "core/percent_decode.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace parley::amqp {
namespace {

[[noreturn]] void invalid(const std::string& reason) {
  throw std::invalid_argument("invalid AMQP URL: " + reason + " (expected " + std::string(kUrlForm) + ")");
}

// Percent-decodes `text`; `what` names the part in the error ("the password"), never its value.
std::string decoded(std::string_view text, std::string_view what) {
  auto out = percent_decode(text);
  if (!out) invalid(std::string(what) + " has an invalid percent-encoding ('%' must be followed by two hex digits)");
  return std::move(*out);
}

bool valid_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_'; });
}

// Characters a percent-encoded URL part may hold as they are (RFC 3986 unreserved).
bool unreserved(unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~'; }

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : text) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string Url::redacted() const {
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "amqp://" + percent_encode(username) + ":****@" + shown_host + ":" + std::to_string(port) + "/" +
         percent_encode(vhost);
}

Url parse_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) invalid("no scheme");
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme == "amqps") invalid("amqps:// (AMQP over TLS) is not supported; use amqp:// on a private network");
  if (scheme != "amqp") invalid("unsupported scheme '" + scheme + "://'");
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) invalid("query parameters and fragments are not supported");

  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const bool has_path = slash != std::string_view::npos;
  const std::string_view path = has_path ? rest.substr(slash + 1) : std::string_view{};

  Url out;
  // The last '@' ends the user information: a password may hold a raw '@' (RabbitMQ's tools accept it).
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    out.username = decoded(userinfo.substr(0, colon), "the user name");
    out.password =
        colon == std::string_view::npos ? std::string{} : decoded(userinfo.substr(colon + 1), "the password");
    if (out.username.empty()) invalid("the user name is empty");
  }

  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) invalid("an IPv6 host lacks its closing ']'");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) invalid("unexpected text after the IPv6 host");
    if (!after.empty()) port_text = after.substr(1);
    if (out.host.empty() || out.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      invalid("the IPv6 host is not an IPv6 address");
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (out.host.empty()) invalid("no host");
    if (!valid_host_name(out.host)) invalid("the host '" + out.host + "' has characters a host name cannot have");
  }
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      invalid("the port must be a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }

  if (path.find('/') != std::string_view::npos) invalid("the vhost has a '/': write it as %2f");
  if (!path.empty()) out.vhost = decoded(path, "the vhost");
  return out;
}

}  // namespace parley::amqp
