// Timeouts, connection limits, graceful shutdown and WebSockets against a real listener.
#include "harness.hpp"
#include "ws_client.hpp"
#include "test_routes.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace parley::testing {
namespace {

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

TEST(WebSocket, EchoesMessages) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  WsClient client(server->port(), "/test/ws");
  client.send("hello");
  EXPECT_EQ(client.read(), "hello");
  client.send(std::string(1000, 'x'));
  EXPECT_EQ(client.read()->size(), 1000u);
}

TEST(WebSocket, ServerSendsKeepAlivePings) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_WS_PING_INTERVAL", "100ms"}}, gate);
  WsClient client(server->port(), "/test/ws");
  EXPECT_TRUE(client.wait_for_pings(2, std::chrono::seconds(5)));
}

TEST(WebSocket, OversizedMessageClosesWith1009AndTheServerGoesOn) {
  auto gate = std::make_shared<Gate>();
  auto server = start({{"PARLEY_WS_MAX_MESSAGE", "1KiB"}}, gate);
  WsClient client(server->port(), "/test/ws");
  client.send(std::string(4096, 'x'));
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_code(), 1009);
  WsClient other(server->port(), "/test/ws");
  other.send("still here");
  EXPECT_EQ(other.read(), "still here");
}

TEST(WebSocket, EndpointErrorClosesWithPolicyCode) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  WsClient client(server->port(), "/test/ws");
  client.send("close-policy");
  EXPECT_EQ(client.read(), std::nullopt);
  EXPECT_EQ(client.close_code(), 1008);
}

TEST(WebSocket, ShutdownClosesWith1001) {
  auto gate = std::make_shared<Gate>();
  auto server = start({}, gate);
  WsClient client(server->port(), "/test/ws");
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
