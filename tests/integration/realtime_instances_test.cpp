// Real-time across `parley serve` instances (docs/realtime.md "Across instances"): two servers on
// one PostgreSQL database, each with its own sockets. The event log is the source of truth; the
// bus between them (PostgreSQL LISTEN/NOTIFY, or Redis pub/sub) makes delivery immediate and
// carries typing.
#include "child_process.hpp"
#include "db/pg_test_database.hpp"
#include "harness.hpp"
#include "messaging_fixture.hpp"
#include "ws_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class RealtimeInstancesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto admin = db::testing::PgTestDatabase::admin_url_from_env();
    if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset (see scripts/test-servers)";
    if (GetParam() == "redis") {
      const char* redis = std::getenv("PARLEY_TEST_REDIS_URL");
      if (redis == nullptr || *redis == '\0') GTEST_SKIP() << "PARLEY_TEST_REDIS_URL is unset (see scripts/test-servers)";
      redis_url_ = redis;
    }
    pg_ = std::make_unique<db::testing::PgTestDatabase>(*admin);
    a_ = start_instance();
    b_ = start_instance();
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    pg_.reset();
  }

  // The sweep is a minute: an event reaching the other instance sooner came over the bus.
  std::unique_ptr<TestServer> start_instance() {
    std::map<std::string, std::string> env{{"PARLEY_DATABASE_URL", pg_->url()},
                                           {"PARLEY_AUTO_MIGRATE", "1"},
                                           {"PARLEY_EVENT_SWEEP_INTERVAL", "60s"},
                                           {"PARLEY_JWT_PRIVATE_KEY_FILE", key_.path()}};
    if (!redis_url_.empty()) env["PARLEY_REDIS_URL"] = redis_url_;
    return std::make_unique<TestServer>(test_config(env));
  }

  static TestUser user(TestServer& server, const std::string& name) { return register_and_login(server.port(), name); }
  static HttpResult call(TestServer& server, const TestUser& u, const std::string& method, const std::string& target,
                         const json::value& body = nullptr) {
    return call_as(server.port(), u, method, target, body);
  }
  static std::unique_ptr<WsClient> live_socket(TestServer& server, const TestUser& u, const std::string& query = "") {
    auto ws = std::make_unique<WsClient>(server.port(), "/api/v1/realtime" + query,
                                         std::map<std::string, std::string>{{"Authorization", "Bearer " + u.access}});
    EXPECT_TRUE(ws->accepted()) << ws->status();
    ws->next_of("ready");
    return ws;
  }
  static std::int64_t group(TestServer& server, const TestUser& by, std::int64_t other) {
    auto r = call(server, by, "POST", "/api/v1/conversations",
                  json::object{{"kind", "group"}, {"name", "g"}, {"member_ids", json::array{other}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("id").as_int64();
  }
  static json::object send(TestServer& server, const TestUser& by, std::int64_t conversation, const std::string& body) {
    auto r = call(server, by, "POST", "/api/v1/conversations/" + std::to_string(conversation) + "/messages",
                  json::object{{"body", body}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().as_object();
  }

  std::string redis_url_;
  SigningKeyFile key_;  // both instances sign and verify with one key, as replicas do
  std::unique_ptr<db::testing::PgTestDatabase> pg_;
  std::unique_ptr<TestServer> a_;
  std::unique_ptr<TestServer> b_;
};

TEST_P(RealtimeInstancesTest, AMessagePostedThroughOneInstanceReachesASocketOnTheOther) {
  auto alice = user(*a_, "alice"), bob = user(*a_, "bob");
  auto conversation = group(*a_, alice, bob.id);
  auto bob_on_b = live_socket(*b_, bob);
  EXPECT_EQ(b_->app().realtime().fanout_name(), GetParam());
  auto sent = send(*a_, alice, conversation, "across");
  auto frame = bob_on_b->next_of("message.created", 5s);
  EXPECT_EQ(frame.at("data").at("id").as_int64(), sent.at("id").as_int64());
}

TEST_P(RealtimeInstancesTest, TypingCrossesInstances) {
  auto alice = user(*a_, "alice"), bob = user(*a_, "bob");
  auto conversation = group(*a_, alice, bob.id);
  auto bob_on_b = live_socket(*b_, bob);
  auto alice_on_a = live_socket(*a_, alice);
  alice_on_a->send(R"({"type":"typing","conversation_id":)" + std::to_string(conversation) + "}");
  auto typing = bob_on_b->next_of("typing", 5s);
  EXPECT_EQ(typing.at("data").at("user_id").as_int64(), alice.id);
}

TEST_P(RealtimeInstancesTest, WhenAnInstanceGoesAwayTheClientResumesOnTheOtherWithNothingMissing) {
  auto alice = user(*a_, "alice"), bob = user(*a_, "bob");
  auto conversation = group(*a_, alice, bob.id);
  auto bob_on_a = live_socket(*a_, bob);
  send(*b_, alice, conversation, "first");
  const auto last_seen = bob_on_a->next_of("message.created").at("id").as_int64();
  std::vector<std::int64_t> sent_ids;
  sent_ids.push_back(send(*b_, alice, conversation, "while a stops").at("id").as_int64());
  // Instance A goes away: its sockets close with 1001 (going away), once their clients answer the
  // close handshake, which bob's does while A stops.
  std::thread stopping([this] { a_->stop(); });
  EXPECT_EQ(bob_on_a->wait_closed(), 1001);
  stopping.join();
  sent_ids.push_back(send(*b_, alice, conversation, "while bob reconnects").at("id").as_int64());
  WsClient bob_on_b(b_->port(), "/api/v1/realtime?last_event_id=" + std::to_string(last_seen),
                    {{"Authorization", "Bearer " + bob.access}});
  ASSERT_TRUE(bob_on_b.accepted()) << bob_on_b.status();
  sent_ids.push_back(send(*b_, alice, conversation, "after").at("id").as_int64());
  EXPECT_EQ(next_created_message_ids(bob_on_b, sent_ids.size()), sent_ids);
}

TEST_P(RealtimeInstancesTest, AnInstanceKilledMidStreamLosesNothingForItsClients) {
  // Instance A is a separate `parley serve` process on the same database (and Redis), killed with
  // SIGKILL while bob's socket is open on it: no close frame, no graceful anything.
  std::map<std::string, std::string> env{{"PARLEY_DATABASE_URL", pg_->url()},
                                         {"PARLEY_JWT_PRIVATE_KEY_FILE", key_.path()},
                                         {"PARLEY_LISTEN", "127.0.0.1:0"},
                                         {"PARLEY_LOG_LEVEL", "info"},
                                         {"PARLEY_THREADS", "2"}};
  if (!redis_url_.empty()) env["PARLEY_REDIS_URL"] = redis_url_;
  Child a({parley_binary().string(), "serve"}, env, std::filesystem::temp_directory_path());
  static const std::regex kServing(R"(serving on http://127\.0\.0\.1:(\d+))");
  auto serving = a.wait_for_stderr(kServing, std::chrono::seconds(30));
  ASSERT_TRUE(serving.has_value()) << a.err();
  const auto a_port = static_cast<std::uint16_t>(std::stoi((*serving)[1].str()));

  auto alice = user(*b_, "alice"), bob = user(*b_, "bob");
  auto conversation = group(*b_, alice, bob.id);
  WsClient bob_on_a(a_port, "/api/v1/realtime", {{"Authorization", "Bearer " + bob.access}});
  ASSERT_TRUE(bob_on_a.accepted()) << bob_on_a.status();
  bob_on_a.next_of("ready");
  send(*b_, alice, conversation, "seen on A");
  const auto last_seen = bob_on_a.next_of("message.created", 5s).at("id").as_int64();

  std::vector<std::int64_t> sent_ids;
  sent_ids.push_back(send(*b_, alice, conversation, "just before the kill").at("id").as_int64());
  ASSERT_EQ(::kill(a.pid(), SIGKILL), 0);
  ASSERT_TRUE(a.wait_for_exit(10s));
  EXPECT_EQ(bob_on_a.wait_closed(), 1006) << "no close handshake from a killed process";
  sent_ids.push_back(send(*b_, alice, conversation, "while bob reconnects").at("id").as_int64());

  WsClient bob_on_b(b_->port(), "/api/v1/realtime?last_event_id=" + std::to_string(last_seen),
                    {{"Authorization", "Bearer " + bob.access}});
  ASSERT_TRUE(bob_on_b.accepted()) << bob_on_b.status();
  sent_ids.push_back(send(*b_, alice, conversation, "after").at("id").as_int64());
  EXPECT_EQ(next_created_message_ids(bob_on_b, sent_ids.size()), sent_ids);
}

INSTANTIATE_TEST_SUITE_P(Buses, RealtimeInstancesTest, ::testing::Values("postgres", "redis"), backend_name);

}  // namespace
}  // namespace parley::testing
