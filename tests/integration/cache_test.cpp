// The message-page cache through the real server (docs/caching.md): two instances on one
// PostgreSQL database, with the in-process store or Redis. A write answered by an instance is in
// the very next page read from that instance; the other instance sees it at once with Redis (the
// versions are shared) and within the event fan-out with the in-process store.
#include "db/pg_test_database.hpp"
#include "harness.hpp"
#include "messaging_fixture.hpp"
#include "redis/client.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace parley::testing {
namespace {

namespace json = boost::json;

class PageCacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto admin = db::testing::PgTestDatabase::admin_url_from_env();
    if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset (see scripts/test-servers)";
    if (GetParam() == "redis") {
      const char* redis = std::getenv("PARLEY_TEST_REDIS_URL");
      if (redis == nullptr || *redis == '\0') GTEST_SKIP() << "PARLEY_TEST_REDIS_URL is unset (see scripts/test-servers)";
      redis_url_ = redis;
      // Entries of an earlier run under the same conversation ids must not answer: start clean.
      prefix_clear_ = true;
    }
    pg_ = std::make_unique<db::testing::PgTestDatabase>(*admin);
    a_ = start_instance();
    b_ = start_instance();
    if (prefix_clear_) bump_everything();
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    pg_.reset();
  }

  std::unique_ptr<TestServer> start_instance() {
    std::map<std::string, std::string> env{{"PARLEY_DATABASE_URL", pg_->url()},
                                           {"PARLEY_AUTO_MIGRATE", "1"},
                                           {"PARLEY_CACHE", GetParam()},
                                           {"PARLEY_JWT_PRIVATE_KEY_FILE", key_.path()}};
    if (!redis_url_.empty()) env["PARLEY_REDIS_URL"] = redis_url_;
    return std::make_unique<TestServer>(test_config(env));
  }
  // Earlier runs used the same conversation and user ids (a fresh database) with the same shared
  // Redis: invalidate every entry first, as cache::Cache::bump("*") does.
  void bump_everything() {
    boost::asio::io_context io;
    auto client = std::make_shared<redis::Client>(io.get_executor(),
                                                  redis::ClientConfig{.url = parse_redis_url(redis_url_)});
    auto done = boost::asio::co_spawn(
        io,
        [client]() -> boost::asio::awaitable<void> {
          const std::vector<std::string> incr{"INCR", "parley:cache:ns:*"};
          auto reply = co_await client->command(incr);
          reply.throw_if_error();
          client->close();
        },
        boost::asio::use_future);
    io.run();
    done.get();
  }

  static TestUser user(TestServer& server, const std::string& name) { return register_and_login(server.port(), name); }
  static HttpResult call(TestServer& server, const TestUser& u, const std::string& method, const std::string& target,
                         const json::value& body = nullptr) {
    return call_as(server.port(), u, method, target, body);
  }
  static std::string page_target(std::int64_t conversation) {
    return "/api/v1/conversations/" + std::to_string(conversation) + "/messages?limit=50";
  }
  static std::vector<std::int64_t> page_ids(TestServer& server, const TestUser& u, std::int64_t conversation) {
    auto r = call(server, u, "GET", page_target(conversation));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::int64_t> ids;
    const auto page = r.json();
    for (const auto& m : page.at("results").as_array()) ids.push_back(m.at("id").as_int64());
    return ids;
  }
  static double page_hits(TestServer& server) {
    auto metrics = http_request(server.port(), "GET", "/metrics");
    const std::string name = "parley_cache_hits_total{cache=\"message_pages\"} ";
    auto at = metrics.body.find(name);
    return at == std::string::npos ? 0 : std::stod(metrics.body.substr(at + name.size()));
  }

  std::string redis_url_;
  bool prefix_clear_ = false;
  SigningKeyFile key_;
  std::unique_ptr<db::testing::PgTestDatabase> pg_;
  std::unique_ptr<TestServer> a_;
  std::unique_ptr<TestServer> b_;
};

TEST_P(PageCacheTest, NoPageIsStaleAfterAWriteIsAnsweredAndOtherInstancesFollow) {
  auto alice = user(*a_, "alice"), bob = user(*a_, "bob");
  auto created = call(*a_, alice, "POST", "/api/v1/conversations",
                      json::object{{"kind", "group"}, {"name", "g"}, {"member_ids", json::array{bob.id}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto conversation = created.json().at("id").as_int64();
  for (int i = 0; i < 10; ++i) {
    page_ids(*a_, bob, conversation);  // cached on A (and read again below: a hit until the write)
    page_ids(*a_, bob, conversation);
    auto sent = call(*a_, alice, "POST", page_target(conversation).substr(0, page_target(conversation).find('?')),
                     json::object{{"body", "message " + std::to_string(i)}});
    ASSERT_EQ(sent.status, 201) << sent.body;
    const auto id = sent.json().at("id").as_int64();
    auto on_a = page_ids(*a_, bob, conversation);
    ASSERT_FALSE(on_a.empty());
    EXPECT_EQ(on_a.back(), id) << "a page read after the send's 201 missed the message, round " << i;
    if (GetParam() == "redis") {
      EXPECT_EQ(page_ids(*b_, bob, conversation).back(), id) << "round " << i;
    } else {
      EXPECT_TRUE(eventually([&] { return page_ids(*b_, bob, conversation).back() == id; })) << "round " << i;
    }
  }
  // Repeated reads between writes are hits (with the in-process store the writer also bumps again
  // when its own event comes back, so a few of them miss).
  EXPECT_GE(page_hits(*a_), 5);
  // A display name shown on a cached page changes with the profile.
  page_ids(*a_, bob, conversation);
  auto renamed = call(*a_, alice, "PATCH", "/api/v1/users/me", json::object{{"display_name", "Alice Renamed"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  auto page = call(*a_, bob, "GET", page_target(conversation));
  EXPECT_NE(page.body.find("Alice Renamed"), std::string::npos);
  // Removed from the conversation: 404 at once, cached page or not.
  page_ids(*a_, bob, conversation);
  auto removed = call(*a_, alice, "DELETE",
                      "/api/v1/conversations/" + std::to_string(conversation) + "/members/" + std::to_string(bob.id));
  ASSERT_EQ(removed.status / 100, 2) << removed.body;
  EXPECT_EQ(call(*a_, bob, "GET", page_target(conversation)).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Stores, PageCacheTest, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
