// Timeouts, connection limits, graceful shutdown and WebSockets against a real listener.
#include "harness.hpp"
#include "test_routes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include <future>
#include <thread>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::unique_ptr<TestServer> start(std::map<std::string, std::string> env, std::shared_ptr<Gate> gate) {
  return std::make_unique<TestServer>(test_config(env), [gate](http::Router& r) { add_test_routes(r, gate); });
}

TEST(Lifecycle, SlowClientIsDisconnectedAfterTheReadTimeout) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_READ_TIMEOUT", "300ms"}}, gate);
  RawConnection c(server->port());
  // A slowloris client: starts a request and never finishes its headers.
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  c.send("X-A: 1\r\n");
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(5)));
  // The server goes on serving others.
  EXPECT_EQ(http_request(server->port(), "GET", "/healthz").status, 200);
}

TEST(Lifecycle, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_IDLE_TIMEOUT", "300ms"}}, gate);
  RawConnection c(server->port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(5)));
}

TEST(Lifecycle, ConnectionsBeyondTheLimitGet503) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_MAX_CONNECTIONS", "2"}}, gate);
  RawConnection a(server->port()), b(server->port());
  a.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(a.read_response().status, 200);
  EXPECT_EQ(b.read_response().status, 200);
  RawConnection c(server->port());
  auto refused = c.read_response();
  EXPECT_EQ(refused.status, 503);
  EXPECT_FALSE(refused.header("Retry-After").empty());
}

TEST(Lifecycle, GracefulShutdownLetsInFlightRequestsFinish) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  auto port = server->port();

  RawConnection in_flight(port);
  in_flight.send("GET /test/gate HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return gate->entered.load() == 1; }));
  RawConnection idle(port);
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(idle.read_response().status, 200);

  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  // Idle keep-alive connections are closed at once; new connections are refused.
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::seconds(5)));
  EXPECT_TRUE(eventually([&] {
    try {
      RawConnection late(port);
      return late.closed_by_peer(std::chrono::milliseconds(200));
    } catch (const std::exception&) {
      return true;  // connection refused: the listener is closed
    }
  }));
  // The in-flight request completes, with Connection: close, and only then does the server stop.
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  gate->release_all();
  auto r = in_flight.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

// A blocking WebSocket client with deadlines.
class WsClient {
 public:
  explicit WsClient(std::uint16_t port) : ws_(io_) {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).connect(endpoint);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) ++pings_;
    });
    ws_.handshake("127.0.0.1", "/test/ws");
  }
  void send(const std::string& text) { ws_.write(asio::buffer(text)); }
  // Reads one message; returns nullopt when the connection closed (close_code() then tells why).
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    beast::flat_buffer buffer;
    boost::system::error_code result = asio::error::would_block;
    ws_.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
    io_.restart();
    io_.run_for(timeout);
    if (result == asio::error::would_block) {
      beast::get_lowest_layer(ws_).close();
      io_.restart();
      io_.run();
      throw std::runtime_error("websocket read timed out");
    }
    if (result) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }
  // Reads (answering pings, as a real client does) until `count` pings arrived or the deadline.
  bool wait_for_pings(int count, std::chrono::milliseconds timeout) {
    beast::flat_buffer buffer;
    ws_.async_read(buffer, [](boost::system::error_code, std::size_t) {});
    auto deadline = std::chrono::steady_clock::now() + timeout;
    io_.restart();
    while (pings_ < count && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(20));
    beast::get_lowest_layer(ws_).close();
    io_.restart();
    io_.run();
    return pings_ >= count;
  }
  int close_code() const { return ws_.reason().code; }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  int pings_ = 0;
};

TEST(WebSocket, EchoesMessages) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  WsClient client(server->port());
  client.send("hello");
  EXPECT_EQ(client.read(), "hello");
  client.send(std::string(1000, 'x'));
  EXPECT_EQ(client.read()->size(), 1000u);
}

TEST(WebSocket, ServerSendsKeepAlivePings) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_WS_PING_INTERVAL", "100ms"}}, gate);
  WsClient client(server->port());
  EXPECT_TRUE(client.wait_for_pings(2, std::chrono::seconds(5)));
}

TEST(WebSocket, OversizedMessageClosesWith1009AndTheServerGoesOn) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_WS_MAX_MESSAGE", "1KiB"}}, gate);
  WsClient client(server->port());
  client.send(std::string(4096, 'x'));
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_code(), 1009);
  WsClient other(server->port());
  other.send("still here");
  EXPECT_EQ(other.read(), "still here");
}

TEST(WebSocket, EndpointErrorClosesWithPolicyCode) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  WsClient client(server->port());
  client.send("close-policy");
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_code(), 1008);
}

TEST(WebSocket, ShutdownClosesWith1001) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  WsClient client(server->port());
  client.send("hi");
  ASSERT_EQ(client.read(), "hi");
  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_code(), 1001);
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(WebSocket, PlainGetOnAWebSocketRouteIs426) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  auto r = http_request(server->port(), "GET", "/test/ws");
  EXPECT_EQ(r.status, 426);
}

}  // namespace
}  // namespace parley::testing
