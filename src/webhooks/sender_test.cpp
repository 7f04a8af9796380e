#include "webhooks/sender.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <cctype>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/testing.hpp"
#include "webhooks/signature.hpp"

namespace parley::webhooks {
namespace {

namespace asio = boost::asio;
using asio::ip::make_address;
using asio::ip::tcp;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// check_url

TEST(WebhookTarget, AcceptsHttpAndHttpsUrls) {
  for (const char* url :
       {"https://example.com/hook", "http://example.com", "https://example.com:8443/a/b?c=d&e=f",
        "https://hooks.example.com./x", "https://93.184.216.34/hook", "https://[2606:4700::1111]:443/hook",
        "https://example.com:1/", "https://example.com:65535/", "https://xn--bcher-kva.example/",
        "https://example.com/path%20with%20escapes", "http://127.0.0.1:8080/hook", "http://localhost/"}) {
    EXPECT_EQ(check_url(url), std::nullopt) << url;
  }
  EXPECT_EQ(check_url("https://example.com/" + std::string(2000 - 20, 'a')), std::nullopt) << "2000 characters";
}

TEST(WebhookTarget, RefusesOtherUrlsWithAReason) {
  struct Case {
    std::string url;
    std::string words;  // part of the expected problem
  };
  const Case cases[] = {
      {"", "Enter a URL"},
      {"example.com/hook", "http:// or https://"},
      {"//example.com/hook", "http:// or https://"},
      {"ftp://example.com/", "http:// or https://"},
      {"javascript:alert(1)", "http:// or https://"},
      {"HTTPS://example.com/", "http:// or https://"},
      {"https:/example.com/", "http:// or https://"},
      {"https://", "host"},
      {"https:///hook", "host"},
      {"https://?x", "host"},
      {"https://:443/", "valid URL"},
      {"https://user@example.com/", "user name or password"},
      {"https://user:pw@example.com/", "user name or password"},
      {"https://@example.com/", "user name or password"},
      {"https://example.com/#frag", "fragment"},
      {"https://example.com/#", "fragment"},
      {"https://example.com:0/", "port"},
      {"https://example.com:65536/", "port"},
      {"https://example.com:99999999/", "port"},
      {"https://example.com:x/", "port"},
      {"https://exa mple.com/", "ASCII"},
      {"https://example.com/a b", "ASCII"},
      {"https://example.com/\n", "ASCII"},
      {"https://example.com/\t", "ASCII"},
      {std::string("https://example.com/\0", 21), "ASCII"},
      {"https://bücher.example/", "punycode"},
      {"https://example.com\\@evil.example/", "backslash"},
      {"https://[fe80::1%25eth0]/", "zone id"},
      {"https://example.com/" + std::string(2000 - 19, 'a'), "2000 characters"},
  };
  for (const Case& c : cases) {
    const auto problem = check_url(c.url);
    ASSERT_TRUE(problem.has_value()) << c.url;
    EXPECT_NE(problem->find(c.words), std::string::npos) << c.url << " -> " << *problem;
  }
}

// ---------------------------------------------------------------------------------------------
// is_forbidden_address

bool forbidden(const char* text) { return is_forbidden_address(make_address(text)); }

TEST(WebhookTarget, ForbidsInternalIpv4Ranges) {
  for (const char* a : {
           "0.0.0.0",     "0.255.255.255",                       // this network
           "10.0.0.0",    "10.1.2.3",        "10.255.255.255",   // private
           "172.16.0.0",  "172.20.1.1",      "172.31.255.255",   //
           "192.168.0.0", "192.168.1.1",     "192.168.255.255",  //
           "100.64.0.0",  "100.100.100.100", "100.127.255.255",  // CGNAT
           "127.0.0.1",   "127.0.0.0",       "127.255.255.254",  // loopback
           "169.254.0.0", "169.254.169.254", "169.254.255.255",  // link-local, cloud metadata
           "192.0.0.8",   "192.0.0.170",                         // IETF protocol assignments
           "192.88.99.1",                                        // 6to4 relays
           "198.18.0.0",  "198.19.255.255",                      // benchmarking
           "192.0.2.1",   "198.51.100.7",    "203.0.113.9",      // documentation
           "224.0.0.1",   "239.255.255.250",                     // multicast
           "240.0.0.1",   "250.1.2.3",       "255.255.255.255",  // reserved, broadcast
       }) {
    EXPECT_TRUE(forbidden(a)) << a;
  }
}

TEST(WebhookTarget, AllowsPublicIpv4AndTheEdgesOfEachRange) {
  for (const char* a :
       {"8.8.8.8",         "1.1.1.1",    "93.184.216.34",   "1.0.0.0",        "9.255.255.255",  "11.0.0.0",
        "172.15.255.255",  "172.32.0.0", "192.167.255.255", "192.169.0.0",    "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.0",  "169.253.255.255", "169.255.0.0",    "192.0.1.255",    "192.0.3.0",
        "198.17.255.255",  "198.20.0.0", "203.0.112.255",   "223.255.255.255"}) {
    EXPECT_FALSE(forbidden(a)) << a;
  }
}

TEST(WebhookTarget, ForbidsInternalIpv6Ranges) {
  struct Case {
    const char* address;
    const char* range;
  };
  const Case cases[] = {
      {"::1", "loopback"},
      {"::", "unspecified"},
      {"::127.0.0.1", "IPv4-compatible (deprecated)"},
      {"::8.8.8.8", "IPv4-compatible (deprecated)"},
      {"fc00::1", "unique local"},
      {"fd12:3456:789a::1", "unique local"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"fec0::1", "site-local (deprecated)"},
      {"ff02::1", "multicast"},
      {"ffff::1", "multicast"},
      {"100::1", "discard"},
      {"64:ff9b:1::1", "local-use NAT64"},
      {"2001::1", "Teredo"},
      {"2001:0:4136:e378::1", "Teredo"},
      {"2001:2::1", "benchmarking"},
      {"2001:db8::1", "documentation"},
      {"2001:db8:ffff::1", "documentation"},
      {"3fff::1", "documentation (RFC 9637)"},
      {"3fff:fff::1", "documentation (RFC 9637)"},
      {"::ffff:127.0.0.1", "IPv4-mapped loopback"},
      {"::ffff:10.0.0.1", "IPv4-mapped private"},
      {"::ffff:169.254.169.254", "IPv4-mapped cloud metadata"},
      {"::ffff:0.0.0.0", "IPv4-mapped this network"},
      {"64:ff9b::7f00:1", "NAT64 of 127.0.0.1"},
      {"64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"},
      {"64:ff9b::192.168.0.1", "NAT64 of 192.168.0.1"},
      {"2002:7f00:1::1", "6to4 of 127.0.0.1"},
      {"2002:a00:1::", "6to4 of 10.0.0.1"},
      {"4000::1", "outside global unicast"},
      {"e000::1", "outside global unicast"},
  };
  for (const Case& c : cases) EXPECT_TRUE(forbidden(c.address)) << c.address << " (" << c.range << ")";
}

TEST(WebhookTarget, AllowsPublicIpv6) {
  for (const char* a : {"2606:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888", "2001:200::1", "2000::1",
                        "3ffe::1", "2001:db9::1", "3fff:1000::1", "::ffff:8.8.8.8", "64:ff9b::808:808",
                        "64:ff9b::93.184.216.34", "2002:808:808::1"}) {
    EXPECT_FALSE(forbidden(a)) << a;
  }
}

// ---------------------------------------------------------------------------------------------
// Sender against a local server

// An HTTP/1.1 server on 127.0.0.1 (or ::1), port 0, on its own thread. It reads each request (the
// head and a Content-Length body), records it, and answers with what `respond` returns for it;
// nullopt: no answer, the connection stays open until the client closes it. Stopping it (the
// destructor) never waits for a client.
class TestServer {
 public:
  using Responder = std::function<std::optional<std::string>(const std::string& request)>;

  explicit TestServer(Responder respond, const char* host = "127.0.0.1") : respond_(std::move(respond)) {
    tcp::acceptor acceptor(io_, tcp::endpoint(make_address(host), 0));
    port_ = acceptor.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(std::move(acceptor)), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();  // the coroutines and their sockets go with io_
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int connections() const { return connections_.load(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // A complete response with `status` and `body`, plus `extra` header lines.
  static std::string response(int status, std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " Whatever\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n" + std::string(extra) + "\r\n" + std::string(body);
  }

 private:
  asio::awaitable<void> accept_loop(tcp::acceptor acceptor) {
    while (true) {
      tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
      ++connections_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    try {
      std::string data;
      const std::size_t head =
          co_await asio::async_read_until(socket, asio::dynamic_buffer(data), "\r\n\r\n", asio::use_awaitable);
      const std::size_t total = head + content_length(data.substr(0, head));
      if (data.size() < total) {
        co_await asio::async_read(socket, asio::dynamic_buffer(data), asio::transfer_exactly(total - data.size()),
                                  asio::use_awaitable);
      }
      data.resize(total);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(data);
      }
      const std::optional<std::string> answer = respond_(data);
      if (!answer) {
        char byte = 0;  // wait for the client to give up
        while (true) co_await socket.async_read_some(asio::buffer(&byte, 1), asio::use_awaitable);
      }
      co_await asio::async_write(socket, asio::buffer(*answer), asio::use_awaitable);
    } catch (const std::exception&) {
      // the client went away
    }
  }

  static std::size_t content_length(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\ncontent-length:");
    return at == std::string::npos ? 0 : std::stoul(lower.substr(at + 17));
  }

  Responder respond_;
  asio::io_context io_;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

TestServer::Responder answer(int status, std::string body = "", std::string extra = "") {
  return [=](const std::string&) -> std::optional<std::string> { return TestServer::response(status, body, extra); };
}

SenderOptions fast_options() {
  SenderOptions options;
  options.connect_timeout = 2s;
  options.total_timeout = 5s;
  options.threads = 2;
  return options;
}

TargetPolicy allow_private() {
  TargetPolicy policy;
  policy.allow_private = true;
  return policy;
}

Delivery delivery_to(std::string url, std::string body = R"({"type":"message.created"})") {
  Delivery delivery;
  delivery.url = std::move(url);
  delivery.body = std::move(body);
  return delivery;
}

// The value of header `name` in a raw request ("" when absent); names compare case-insensitively.
std::string header_value(const std::string& request, std::string_view name) {
  std::size_t at = request.find("\r\n");
  while (at != std::string::npos && at + 2 < request.size()) {
    const std::size_t end = request.find("\r\n", at + 2);
    const std::string line = request.substr(at + 2, end - at - 2);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == name.size() && std::equal(name.begin(), name.end(), line.begin(),
                                           [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return line.substr(line.find_first_not_of(' ', colon + 1));
    }
    at = end;
  }
  return "";
}

std::string request_body(const std::string& request) { return request.substr(request.find("\r\n\r\n") + 4); }

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(WebhookSender, PostsTheBodyAndHeadersAndReportsTheAnswer) {
  TestServer server(answer(200, "thanks"));
  Sender sender(fast_options(), allow_private());
  const std::string body = R"({"type":"message.created","data":{"text":")" + std::string(64 * 1024, 'x') + "\"}}";
  const std::int64_t now = 1'700'000'000;
  Delivery delivery = delivery_to(server.url("/hook?a=1"), body);
  delivery.headers = {
      {"Parley-Signature", sign("whsec_test", now, body)}, {"Parley-Event", "message.created"}, {"X-Empty", ""}};

  const auto caller = std::this_thread::get_id();
  std::thread::id resumed_on;
  const DeliveryResult result = testing::run_awaitable([&]() -> asio::awaitable<DeliveryResult> {
    Delivery copy = delivery;
    DeliveryResult r = co_await sender.post(std::move(copy));
    resumed_on = std::this_thread::get_id();
    co_return r;
  }());

  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(result.succeeded());
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.response_excerpt, "thanks");
  EXPECT_GE(result.duration.count(), 0);
  EXPECT_EQ(resumed_on, caller) << "the coroutine resumes on its own executor";

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& request = requests[0];
  EXPECT_TRUE(request.starts_with("POST /hook?a=1 HTTP/1.1\r\n")) << request.substr(0, 200);
  EXPECT_EQ(request_body(request), body);
  EXPECT_EQ(header_value(request, "Content-Type"), "application/json");
  EXPECT_EQ(header_value(request, "Parley-Event"), "message.created");
  EXPECT_EQ(header_value(request, "User-Agent"), "Parley-Webhooks/1");
  EXPECT_TRUE(contains(request, "\r\nX-Empty:")) << "an empty value is sent, not dropped";
  EXPECT_EQ(header_value(request, "Expect"), "") << "no 100-continue round trip";
  // The receiver's side of the contract.
  EXPECT_TRUE(verify("whsec_test", header_value(request, "Parley-Signature"), request_body(request), now));
}

TEST(WebhookSender, KeepsAKibibyteOfTheResponseAsValidUtf8) {
  // 'x' and 1000 two-byte characters: the 1024th byte is the first half of a character.
  std::string text = "x";
  for (int i = 0; i < 1000; ++i) text += "\xC3\xA9";
  TestServer server(answer(200, text));
  Sender sender(fast_options(), allow_private());
  const DeliveryResult result = sender.post_blocking(delivery_to(server.url()));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.response_excerpt, text.substr(0, 1023));

  TestServer binary(answer(500, std::string("a\0b\xff", 4)));
  const DeliveryResult bad = sender.post_blocking(delivery_to(binary.url()));
  EXPECT_EQ(bad.status, 500);
  EXPECT_EQ(bad.response_excerpt,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(WebhookSender, StopsReadingAResponseAfterOneMebibyte) {
  TestServer server(answer(200, std::string(3 * 1024 * 1024, 'z')));
  Sender sender(fast_options(), allow_private());
  const DeliveryResult result = sender.post_blocking(delivery_to(server.url()));
  EXPECT_EQ(result.status, 200) << result.error;
  EXPECT_TRUE(result.succeeded());
  EXPECT_EQ(result.response_excerpt, std::string(1024, 'z'));
}

TEST(WebhookSender, RefusesAPrivateTargetWithoutConnecting) {
  TestServer server(answer(200, "thanks"));
  Sender sender(fast_options(), TargetPolicy{});
  const DeliveryResult result = testing::run_awaitable(sender.post(delivery_to(server.url())));
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.succeeded());
  EXPECT_TRUE(contains(result.error, "private, loopback")) << result.error;
  EXPECT_TRUE(contains(result.error, "127.0.0.1")) << result.error;

  // Had the refused delivery connected, the server would accept that connection before this one.
  Sender probe(fast_options(), allow_private());
  ASSERT_EQ(probe.post_blocking(delivery_to(server.url("/probe"))).status, 200);
  EXPECT_EQ(server.connections(), 1);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].starts_with("POST /probe ")) << requests[0].substr(0, 100);
}

TEST(WebhookSender, RefusesLocalhostAndOtherSpellingsOfLoopback) {
  TestServer server(answer(200));
  Sender sender(fast_options(), TargetPolicy{});
  const std::string port = std::to_string(server.port());
  for (const std::string& url :
       {"http://localhost:" + port + "/", "http://LOCALHOST:" + port + "/", "http://127.1:" + port + "/",
        "http://2130706433:" + port + "/", "http://0x7f.0.0.1:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/",
        "http://[::1]:" + port + "/", "http://0.0.0.0:" + port + "/",
        std::string("http://169.254.169.254/latest/meta-data/")}) {
    const DeliveryResult result = sender.post_blocking(delivery_to(url));
    EXPECT_EQ(result.status, 0) << url;
    EXPECT_TRUE(contains(result.error, "refused: ")) << url << " -> " << result.error;
    EXPECT_TRUE(contains(result.error, "private, loopback")) << url << " -> " << result.error;
  }
  EXPECT_EQ(server.connections(), 0);
}

TEST(WebhookSender, RefusesWhenAnyResolvedAddressIsForbidden) {
  // One public and one private answer: a rebinding setup that alternates between them must not get
  // through on the lucky draw.
  TestServer server(answer(200));
  SenderOptions options = fast_options();
  std::atomic<int> lookups{0};
  options.resolve = [&](const std::string& host) -> std::vector<asio::ip::address> {
    ++lookups;
    EXPECT_EQ(host, "rebind.example");
    return {make_address("93.184.216.34"), make_address("127.0.0.1")};
  };
  Sender sender(options, TargetPolicy{});
  const DeliveryResult result =
      sender.post_blocking(delivery_to("http://Rebind.Example:" + std::to_string(server.port()) + "/"));
  EXPECT_EQ(result.status, 0);
  EXPECT_TRUE(contains(result.error, "rebind.example resolves to 127.0.0.1, a private, loopback")) << result.error;
  EXPECT_EQ(lookups.load(), 1);
  EXPECT_EQ(server.connections(), 0);
}

TEST(WebhookSender, ConnectsOnlyToTheCheckedAddress) {
  // "pinned.invalid" exists in no DNS: the request arrives only if libcurl used the address the
  // sender resolved and checked, not a lookup of its own.
  TestServer server(answer(204));
  SenderOptions options = fast_options();
  options.resolve = [](const std::string&) -> std::vector<asio::ip::address> { return {make_address("127.0.0.1")}; };
  Sender sender(options, allow_private());
  const std::string port = std::to_string(server.port());
  for (const std::string& url : {"http://pinned.invalid:" + port + "/a", "http://PINNED.Invalid:" + port + "/b"}) {
    const DeliveryResult result = sender.post_blocking(delivery_to(url));
    EXPECT_EQ(result.status, 204) << url << " -> " << result.error;
  }
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(header_value(requests[0], "Host"), "pinned.invalid:" + port);
}

TEST(WebhookSender, PinsIpv6Addresses) {
  std::optional<TestServer> server;
  try {
    server.emplace(answer(200, "six"), "::1");
  } catch (const std::exception&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  SenderOptions options = fast_options();
  options.resolve = [](const std::string&) -> std::vector<asio::ip::address> { return {make_address("::1")}; };
  Sender sender(options, allow_private());
  const DeliveryResult result =
      sender.post_blocking(delivery_to("http://six.invalid:" + std::to_string(server->port()) + "/"));
  EXPECT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.response_excerpt, "six");
}

TEST(WebhookSender, ReportsANon2xxAnswer) {
  TestServer server(answer(500, "database on fire"));
  Sender sender(fast_options(), allow_private());
  const DeliveryResult result = sender.post_blocking(delivery_to(server.url()));
  EXPECT_EQ(result.status, 500);
  EXPECT_FALSE(result.succeeded());
  EXPECT_EQ(result.error, "HTTP 500");
  EXPECT_EQ(result.response_excerpt, "database on fire");
}

TEST(WebhookSender, DoesNotFollowRedirects) {
  TestServer server([](const std::string& request) -> std::optional<std::string> {
    if (request.starts_with("POST /hook ")) return TestServer::response(302, "", "Location: /elsewhere\r\n");
    return TestServer::response(200, "followed");
  });
  Sender sender(fast_options(), allow_private());
  const DeliveryResult result = sender.post_blocking(delivery_to(server.url()));
  EXPECT_EQ(result.status, 302);
  EXPECT_FALSE(result.succeeded());
  EXPECT_TRUE(contains(result.error, "redirects are not followed")) << result.error;
  EXPECT_TRUE(contains(result.error, "/elsewhere")) << result.error;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(WebhookSender, GivesUpOnASilentTargetAtTheTotalTimeout) {
  TestServer server([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  SenderOptions options = fast_options();
  options.total_timeout = 300ms;
  Sender sender(options, allow_private());
  const auto started = std::chrono::steady_clock::now();
  const DeliveryResult result = testing::run_awaitable(sender.post(delivery_to(server.url())));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.status, 0);
  EXPECT_TRUE(contains(result.error, "timed out")) << result.error;
  // libcurl checks its deadline at millisecond granularity on its own clock: allow a little early.
  EXPECT_GE(result.duration, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(server.requests().size(), 1u) << "the request was sent, the answer never came";
}

TEST(WebhookSender, ReportsAClosedPort) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  Sender sender(fast_options(), allow_private());
  const DeliveryResult result = sender.post_blocking(delivery_to("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(result.status, 0);
  EXPECT_TRUE(contains(result.error, "could not connect")) << result.error;
}

TEST(WebhookSender, ReportsAnInvalidStatusLine) {
  TestServer server([](const std::string&) -> std::optional<std::string> {
    return "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  });
  Sender sender(fast_options(), allow_private());
  const DeliveryResult result = sender.post_blocking(delivery_to(server.url()));
  EXPECT_EQ(result.status, 0) << "a status the database would refuse is no answer";
  EXPECT_FALSE(result.error.empty());
}

TEST(WebhookSender, RefusesBadUrlsAndHeadersWithoutThrowing) {
  TestServer server(answer(200));
  Sender sender(fast_options(), allow_private());
  const DeliveryResult bad_url = sender.post_blocking(delivery_to("ftp://example.com/"));
  EXPECT_EQ(bad_url.status, 0);
  EXPECT_TRUE(contains(bad_url.error, "refused: The URL must start with http:// or https://")) << bad_url.error;

  for (const auto& header : std::vector<std::pair<std::string, std::string>>{{"X-Split", "a\r\nInjected: yes"},
                                                                             {"Bad Name", "x"},
                                                                             {"", "x"},
                                                                             {"Host", "evil.example"},
                                                                             {"content-length", "0"},
                                                                             {"Transfer-Encoding", "chunked"},
                                                                             {"Content-Type", "text/plain"}}) {
    Delivery delivery = delivery_to(server.url());
    delivery.headers = {header};
    const DeliveryResult result = sender.post_blocking(delivery);
    EXPECT_EQ(result.status, 0) << header.first;
    EXPECT_TRUE(contains(result.error, "refused: ")) << header.first << " -> " << result.error;
  }
  EXPECT_EQ(server.connections(), 0);
}

TEST(WebhookSender, ReportsAnUnresolvableHost) {
  SenderOptions options = fast_options();
  options.resolve = [](const std::string&) -> std::vector<asio::ip::address> { return {}; };
  Sender sender(options, TargetPolicy{});
  const DeliveryResult result = sender.post_blocking(delivery_to("https://nowhere.invalid/"));
  EXPECT_EQ(result.status, 0);
  EXPECT_TRUE(contains(result.error, "could not resolve nowhere.invalid")) << result.error;
}

TEST(WebhookSender, RunsDeliveriesConcurrently) {
  TestServer server([](const std::string& request) -> std::optional<std::string> {
    return TestServer::response(200, request_body(request));
  });
  Sender sender(fast_options(), allow_private());
  asio::io_context io;
  std::vector<DeliveryResult> results(6);
  for (std::size_t i = 0; i < results.size(); ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          Delivery delivery = delivery_to(server.url(), "{\"n\":" + std::to_string(i) + "}");
          results[i] = co_await sender.post(std::move(delivery));
        },
        asio::detached);
  }
  io.run();
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].status, 200) << results[i].error;
    EXPECT_EQ(results[i].response_excerpt, "{\"n\":" + std::to_string(i) + "}");
  }
}

TEST(WebhookSender, RefusesBadOptions) {
  SenderOptions no_threads;
  no_threads.threads = 0;
  EXPECT_THROW(Sender(no_threads, TargetPolicy{}), std::invalid_argument);
  SenderOptions no_time;
  no_time.total_timeout = 0ms;
  EXPECT_THROW(Sender(no_time, TargetPolicy{}), std::invalid_argument);
}

}  // namespace
}  // namespace parley::webhooks
