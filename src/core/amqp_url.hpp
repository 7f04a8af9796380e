#pragma once
// AMQP 0-9-1 URLs (RabbitMQ's URI spec, without TLS and without query parameters):
//
//   amqp://[user[:password]@]host[:port][/vhost]
//
// User, password and vhost are percent-decoded ("%2f" is the vhost "/"). Defaults: port 5672,
// vhost "/" (also for an empty path: RabbitMQ has no vhost named ""), user and password "guest"
// (RabbitMQ's default user, which it accepts from loopback only) when the URL names no user; a user
// without ":password" has an empty password. IPv6 hosts go in brackets.
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::amqp {

inline constexpr std::string_view kUrlForm = "amqp://[user[:password]@]host[:port][/vhost]";

struct Url {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 5672;
  std::string username = "guest";
  std::string password = "guest";
  std::string vhost = "/";

  // The URL with the password masked ("amqp://parley:****@127.0.0.1:5672/%2f"), for logs and errors.
  std::string redacted() const;
};

// Parses and validates `url`. Throws std::invalid_argument whose message says what is wrong and
// names the expected form; it never contains the password.
Url parse_url(std::string_view url);

}  // namespace parley::amqp
