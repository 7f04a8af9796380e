#include "http/middlewares.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <stdexcept>
#include <variant>

namespace parley::http {
namespace {

namespace ip = boost::asio::ip;

using Network = std::variant<ip::network_v4, ip::network_v6>;

Network parse_network(const std::string& cidr) {
  boost::system::error_code ec;
  std::string text = cidr;
  if (text.find('/') == std::string::npos) text += cidr.find(':') == std::string::npos ? "/32" : "/128";
  if (text.find(':') == std::string::npos) {
    auto net = ip::make_network_v4(text, ec);
    if (!ec) return net.canonical();
  } else {
    auto net = ip::make_network_v6(text, ec);
    if (!ec) return net.canonical();
  }
  throw std::invalid_argument("not a CIDR block: " + cidr);
}

bool contains(const Network& network, const ip::address& address) {
  if (const auto* v4 = std::get_if<ip::network_v4>(&network)) {
    if (!address.is_v4()) {
      if (address.is_v6() && address.to_v6().is_v4_mapped())
        return contains(network, ip::make_address_v4(ip::v4_mapped, address.to_v6()));
      return false;
    }
    return ip::network_v4(address.to_v4(), v4->prefix_length()).canonical() == *v4;
  }
  const auto& v6 = std::get<ip::network_v6>(network);
  if (!address.is_v6()) return false;
  return ip::network_v6(address.to_v6(), v6.prefix_length()).canonical() == v6;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

class ClientIpMiddleware final : public Middleware {
 public:
  explicit ClientIpMiddleware(const std::vector<std::string>& trusted) {
    for (const auto& cidr : trusted) trusted_.push_back(parse_network(cidr));
  }
  std::string_view name() const noexcept override { return "client_ip"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    req.client_ip = req.peer_ip;
    if (!trusted_.empty() && is_trusted(req.peer_ip)) {
      // Walk X-Forwarded-For from the nearest hop outwards; the first address that is not one of
      // our proxies is the client. Anything unparsable stops the walk (it was written by a client).
      // Every line of the header counts: a proxy may add its own line after the client's.
      const std::string header = req.header_list("X-Forwarded-For");
      std::string_view chain = header;
      while (!chain.empty()) {
        auto comma = chain.rfind(',');
        auto hop = trim(comma == std::string_view::npos ? chain : chain.substr(comma + 1));
        boost::system::error_code ec;
        auto address = ip::make_address(std::string(hop), ec);
        if (ec) break;
        req.client_ip = address.to_string();
        if (!is_trusted(address)) break;
        if (comma == std::string_view::npos) break;
        chain = chain.substr(0, comma);
      }
    }
    co_return co_await next(req);
  }

 private:
  bool is_trusted(const std::string& text) const {
    boost::system::error_code ec;
    auto address = ip::make_address(text, ec);
    return !ec && is_trusted(address);
  }
  bool is_trusted(const ip::address& address) const {
    for (const auto& network : trusted_) {
      if (contains(network, address)) return true;
    }
    return false;
  }

  std::vector<Network> trusted_;
};

}  // namespace

std::unique_ptr<Middleware> make_client_ip_middleware(const std::vector<std::string>& trusted_proxies) {
  return std::make_unique<ClientIpMiddleware>(trusted_proxies);
}

}  // namespace parley::http
