// Integration tests of redis::Client against a real redis-server. Skipped unless
// PARLEY_TEST_REDIS_URL is set (scripts/test-servers start <dir> writes it to <dir>/env); the
// tests that need no server (backoff, connect timeout) always run.
#include "redis/client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"
#include "redis/testing.hpp"

namespace parley::redis {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace std::chrono_literals;

// The AppError that running `task` throws; fails the test when it does not throw one.
template <typename T>
AppError error_of(testing::IoThreads& threads, awaitable<T> task) {
  try {
    threads.run(std::move(task));
  } catch (const AppError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an AppError";
  return AppError::internal("no error");
}

std::string retry_after(const AppError& e) {
  for (const auto& [name, value] : e.headers()) {
    if (name == "Retry-After") return value;
  }
  return "";
}

awaitable<Reply> one(std::shared_ptr<Client> client, std::vector<std::string> args) {
  co_return co_await client->command(args);
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::url_from_env();
    if (!url) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL not set (see scripts/test-servers)";
    config_.url = *url;
    config_.connect_timeout = 5s;
    config_.command_timeout = 5s;
    config_.reconnect_backoff_initial = 20ms;
    config_.reconnect_backoff_max = 200ms;
    prefix_ = "parley:test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  }
  void TearDown() override {
    for (auto& client : clients_) client->close();
  }

  std::shared_ptr<Client> make(ClientConfig config) {
    clients_.push_back(std::make_shared<Client>(threads_.io().get_executor(), std::move(config)));
    return clients_.back();
  }
  std::shared_ptr<Client> client() {
    if (!client_) client_ = make(config_);
    return client_;
  }
  Reply run(std::vector<std::string> args) { return threads_.run(one(client(), std::move(args))); }

  testing::IoThreads threads_{2};
  ClientConfig config_;
  std::string prefix_;
  std::vector<std::shared_ptr<Client>> clients_;
  std::shared_ptr<Client> client_;
};

TEST_F(RedisClientTest, RunsCommandsAndReturnsEveryReplyType) {
  const std::string key = prefix_ + "k";
  const std::string binary("a\r\n\0b", 5);
  EXPECT_EQ(run({"SET", key, binary}), Reply::simple("OK"));
  EXPECT_EQ(run({"GET", key}), Reply::bulk(binary));
  EXPECT_EQ(run({"GET", prefix_ + "missing"}), Reply::nil());
  EXPECT_EQ(run({"DEL", key}), Reply::number(1));
  EXPECT_EQ(run({"INCRBY", key, "5"}), Reply::number(5));
  run({"RPUSH", prefix_ + "list", "a", "b"});
  EXPECT_EQ(run({"LRANGE", prefix_ + "list", "0", "-1"}), Reply::array({Reply::bulk("a"), Reply::bulk("b")}));
  // A Redis error reply is data, not an exception.
  const Reply wrong_type = run({"INCR", prefix_ + "list"});
  EXPECT_TRUE(wrong_type.is_error());
  EXPECT_EQ(wrong_type.error_code(), "WRONGTYPE");
  run({"DEL", key, prefix_ + "list"});
  // The initializer-list overload, started outside the co_await expression (GCC 12 rejects a
  // braced list inside one).
  auto echo = threads_.run([](std::shared_ptr<Client> c, std::string text) -> awaitable<Reply> {
    auto pending = c->command({"ECHO", text});
    co_return co_await std::move(pending);
  }(client(), "listed"));
  EXPECT_EQ(echo, Reply::bulk("listed"));
}

// 500 callers on two threads at once, each echoing its own token: every caller gets its own
// token back, and many commands were in flight on the one connection at the same time.
TEST_F(RedisClientTest, PipelinesConcurrentCallersAndMatchesRepliesToThem) {
  constexpr int kCallers = 500;
  auto c = client();
  run({"PING"});  // connected before the burst, so the burst shares one connection
  std::vector<std::future<bool>> results;
  for (int i = 0; i < kCallers; ++i) {
    auto task = [](std::shared_ptr<Client> c, std::string key, std::string token) -> awaitable<bool> {
      const std::vector<std::string> set{"SET", key, token};
      const std::vector<std::string> get{"GET", key};
      const std::vector<std::string> echo{"ECHO", token};
      const Reply stored = co_await c->command(set);
      const Reply read = co_await c->command(get);
      const Reply echoed = co_await c->command(echo);
      co_return stored == Reply::simple("OK") && read == Reply::bulk(token) && echoed == Reply::bulk(token);
    }(c, prefix_ + std::to_string(i), "token-" + std::to_string(i * 7919));
    results.push_back(asio::co_spawn(threads_.io(), std::move(task), asio::use_future));
  }
  int matched = 0;
  for (auto& result : results) {
    ASSERT_EQ(result.wait_for(testing::kDeadline), std::future_status::ready);
    matched += result.get() ? 1 : 0;
  }
  EXPECT_EQ(matched, kCallers);
  EXPECT_GT(c->stats().max_in_flight, 1u);
  EXPECT_EQ(c->stats().connects, 1u);
  // A pipeline is one write: its replies come back in order.
  std::vector<std::vector<std::string>> batch;
  for (int i = 0; i < 10; ++i) batch.push_back({"ECHO", std::to_string(i)});
  auto replies = threads_.run([](std::shared_ptr<Client> c, std::vector<std::vector<std::string>> batch)
                                  -> awaitable<std::vector<Reply>> { co_return co_await c->pipeline(batch); }(c, batch));
  ASSERT_EQ(replies.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(replies[i], Reply::bulk(std::to_string(i)));
}

TEST_F(RedisClientTest, APoolSpreadsCommandsOverItsConnections) {
  auto config = config_;
  config.connections = 3;
  auto c = make(config);
  std::vector<std::future<Reply>> results;
  for (int i = 0; i < 60; ++i) {
    results.push_back(asio::co_spawn(threads_.io(), one(c, {"ECHO", std::to_string(i)}), asio::use_future));
  }
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(results[i].wait_for(testing::kDeadline), std::future_status::ready);
    EXPECT_EQ(results[i].get(), Reply::bulk(std::to_string(i)));
  }
  EXPECT_EQ(c->stats().connects, 3u);  // each connection opened once, on first use
  // Three connections of this client are open on the server.
  auto list = threads_.run(one(c, {"CLIENT", "LIST"}));
  std::size_t ours = 0;
  for (std::size_t at = 0; (at = list.text.find("cmd=", at)) != std::string::npos; ++at) ++ours;
  EXPECT_GE(ours, 3u);
}

TEST_F(RedisClientTest, WrongPasswordFailsWithAClearError) {
  ClientConfig config = config_;
  config.url.password = "not-the-password";
  const AppError e = error_of(threads_, one(make(config), {"PING"}));
  EXPECT_EQ(e.status(), 503);
  EXPECT_NE(e.internal_detail().find("AUTH on 127.0.0.1:"), std::string::npos) << e.internal_detail();
  EXPECT_NE(e.internal_detail().find("WRONGPASS"), std::string::npos) << e.internal_detail();
  EXPECT_EQ(e.public_message().find("not-the-password"), std::string::npos);
  EXPECT_EQ(e.internal_detail().find("not-the-password"), std::string::npos);

  config.url.password.clear();
  const AppError missing = error_of(threads_, one(make(config), {"PING"}));
  EXPECT_EQ(missing.status(), 503);
  EXPECT_NE(missing.internal_detail().find("NOAUTH"), std::string::npos) << missing.internal_detail();
  EXPECT_NE(missing.internal_detail().find("the server wants a password"), std::string::npos);

  config = config_;
  config.url.username = "nobody";
  const AppError user = error_of(threads_, one(make(config), {"PING"}));
  EXPECT_NE(user.internal_detail().find("AUTH as user 'nobody'"), std::string::npos) << user.internal_detail();
}

TEST_F(RedisClientTest, AuthWithTheDefaultUserName) {
  ClientConfig config = config_;
  config.url.username = "default";
  EXPECT_EQ(threads_.run(one(make(config), {"PING"})), Reply::simple("PONG"));
}

TEST_F(RedisClientTest, SelectsTheDatabaseOfTheUrl) {
  ClientConfig db3 = config_;
  db3.url.database = 3;
  auto in_db3 = make(db3);
  const std::string key = prefix_ + "db";
  EXPECT_EQ(threads_.run(one(in_db3, {"SET", key, "three"})), Reply::simple("OK"));
  EXPECT_EQ(run({"GET", key}), Reply::nil());  // database 0
  EXPECT_EQ(threads_.run(one(in_db3, {"GET", key})), Reply::bulk("three"));
  threads_.run(one(in_db3, {"DEL", key}));
  ClientConfig bad = config_;
  bad.url.database = 100000;
  const AppError e = error_of(threads_, one(make(bad), {"PING"}));
  EXPECT_NE(e.internal_detail().find("SELECT 100000"), std::string::npos) << e.internal_detail();
}

// BLPOP holds its reply for a second; the client gives up after 200 ms. The command behind it
// fails too (its reply would have been matched to the wrong caller), the connection is reset, and
// the next command runs on a new one.
TEST_F(RedisClientTest, TimedOutCommandFailsAndResetsTheConnection) {
  config_.command_timeout = 200ms;
  auto c = client();
  run({"PING"});
  auto blocked = asio::co_spawn(threads_.io(), one(c, {"BLPOP", prefix_ + "empty", "1"}), asio::use_future);
  // ECHO goes out once BLPOP is blocking in the server, so it is queued behind it.
  auto admin = make(config_);
  const auto deadline = std::chrono::steady_clock::now() + testing::kDeadline;
  while (threads_.run(one(admin, {"INFO", "clients"})).text.find("blocked_clients:1") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "BLPOP never blocked";
  }
  auto behind = asio::co_spawn(threads_.io(), one(c, {"ECHO", "behind"}), asio::use_future);
  for (auto* future : {&blocked, &behind}) {
    ASSERT_EQ(future->wait_for(testing::kDeadline), std::future_status::ready);
    try {
      future->get();
      ADD_FAILURE() << "expected a timeout";
    } catch (const AppError& e) {
      EXPECT_EQ(e.status(), 503);
      EXPECT_NE(e.internal_detail().find("no reply within 200 ms"), std::string::npos) << e.internal_detail();
    }
  }
  EXPECT_EQ(run({"ECHO", "after"}), Reply::bulk("after"));
  EXPECT_EQ(c->stats().connects, 2u);
}

// CLIENT KILL TYPE normal from another connection drops the client's connection (and fails the
// command it had in flight with 503); the next command reconnects.
TEST_F(RedisClientTest, RecoversAfterTheServerKillsItsConnection) {
  auto c = client();
  run({"PING"});
  auto blocked = asio::co_spawn(threads_.io(), one(c, {"BLPOP", prefix_ + "never", "0"}), asio::use_future);
  auto admin = make(config_);
  // Kill until the blocked command is gone: BLPOP may reach the server just after a kill.
  const auto deadline = std::chrono::steady_clock::now() + testing::kDeadline;
  while (blocked.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() < deadline) {
    const Reply killed = threads_.run(one(admin, {"CLIENT", "KILL", "TYPE", "normal"}));
    ASSERT_EQ(killed.type, Reply::Type::integer) << killed.debug_string();
    blocked.wait_for(50ms);  // a bounded wait for the outcome, not a sleep before checking
  }
  ASSERT_EQ(blocked.wait_for(0s), std::future_status::ready);
  try {
    blocked.get();
    ADD_FAILURE() << "expected the in-flight command to fail";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 503) << e.internal_detail();
  }
  EXPECT_EQ(testing::eventually([&] { return run({"ECHO", "back"}); }), Reply::bulk("back"));
  EXPECT_EQ(c->stats().connects, 2u);
  EXPECT_TRUE(c->stats().connected);
}

// No server needed: nothing listens on the port. The first command fails connecting; the next
// ones fail at once with Retry-After while the reconnect backs off.
TEST(RedisClient, FailsFastWithRetryAfterWhileBackingOff) {
  testing::IoThreads threads;
  asio::ip::tcp::acceptor probe(threads.io(), {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  ClientConfig config;
  config.url = parse_redis_url("redis://127.0.0.1:" + std::to_string(port));
  config.reconnect_backoff_initial = 5s;
  config.reconnect_backoff_max = 10s;
  auto client = std::make_shared<Client>(threads.io().get_executor(), config);
  const AppError first = error_of(threads, one(client, {"PING"}));
  EXPECT_EQ(first.status(), 503);
  EXPECT_NE(first.internal_detail().find("connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << first.internal_detail();
  const auto started = std::chrono::steady_clock::now();
  const AppError second = error_of(threads, one(client, {"PING"}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);  // no connect attempt: failed fast
  EXPECT_EQ(second.status(), 503);
  EXPECT_NE(second.internal_detail().find("reconnect backing off"), std::string::npos) << second.internal_detail();
  const int seconds = std::stoi(retry_after(second));
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 5);
  client->close();
}

// No server needed: a listener that accepts and never answers. The handshake (PING) gets no reply
// and the connect fails at connect_timeout.
TEST(RedisClient, ConnectTimesOut) {
  testing::IoThreads threads;
  asio::ip::tcp::acceptor silent(threads.io(), {asio::ip::make_address("127.0.0.1"), 0});
  ClientConfig config;
  config.url = parse_redis_url("redis://127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  config.connect_timeout = 200ms;
  auto client = std::make_shared<Client>(threads.io().get_executor(), config);
  const AppError e = error_of(threads, one(client, {"PING"}));
  EXPECT_EQ(e.status(), 503);
  EXPECT_NE(e.internal_detail().find("timed out after 200 ms"), std::string::npos) << e.internal_detail();
  client->close();
}

}  // namespace
}  // namespace parley::redis
