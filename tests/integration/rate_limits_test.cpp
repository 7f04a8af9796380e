// Request rate limits and the login lockout against the real server (docs/rate-limits.md): the
// 429 contract and its headers, no side effect of a refused request, per-IP limits for anonymous
// clients, buckets shared by two instances through Redis, and a Redis outage in the middle.
#include "messaging_fixture.hpp"
#include "redis/testing.hpp"

namespace parley::testing {
namespace {

namespace json = boost::json;

class RateLimits : public MessagingTest {
 protected:
  // Limits on, with `overrides`; the register limit off unless a test sets it (every test
  // registers its users from one IP).
  void start_with_limits(std::map<std::string, std::string> overrides) {
    std::map<std::string, std::string> env{{"PARLEY_RATE_LIMITS", "on"}, {"PARLEY_RATE_LIMIT_REGISTER", "off"}};
    for (auto& [name, value] : overrides) env[name] = value;
    start(env);
  }
  std::size_t message_count(const TestUser& by, std::int64_t conversation) {
    auto page = call(by, "GET", messages_path(conversation) + "?limit=200");
    EXPECT_EQ(page.status, 200) << page.body;
    return page.json().at("results").as_array().size();
  }
  HttpResult send_raw(const TestUser& by, std::int64_t conversation, const std::string& body) {
    return call(by, "POST", messages_path(conversation), json::object{{"body", body}});
  }
};

TEST_P(RateLimits, TheTwentyFirstSendOfABurstIsRefusedAndHasNoEffect) {
  // The shipped default for sends: 5/s, burst 20. A slow refill keeps the test independent of time.
  start_with_limits({{"PARLEY_RATE_LIMIT_MESSAGE_SEND", "1/m burst=20"}});
  auto alice = user("alice");
  auto bob = user("bob");
  auto room = group(alice, {bob.id});
  for (int i = 0; i < 20; ++i) {
    auto sent = send_raw(alice, room, "burst " + std::to_string(i));
    ASSERT_EQ(sent.status, 201) << i << ": " << sent.body;
    if (i == 0) {
      EXPECT_EQ(sent.header("RateLimit-Policy"), R"("user";q=200;w=10, "message_send";q=20;w=1200)");
      EXPECT_NE(sent.header("RateLimit").find(R"("message_send";r=19;t=)"), std::string::npos) << sent.header("RateLimit");
    }
  }
  auto refused = send_raw(alice, room, "one too many");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(refused.json().at("code"), "throttled");
  EXPECT_EQ(refused.header("Retry-After"), "60");  // one interval of 1/m
  EXPECT_NE(refused.header("RateLimit").find(R"("message_send";r=0;t=)"), std::string::npos) << refused.header("RateLimit");
  EXPECT_FALSE(refused.header("RateLimit-Policy").empty());

  // No side effect: 20 messages, not 21, and no event for the refused one.
  EXPECT_EQ(message_count(alice, room), 20u);
  // Reading is not sending, and bob has his own bucket.
  EXPECT_EQ(send_raw(bob, room, "my turn").status, 201);
}

TEST_P(RateLimits, AnonymousClientsAreLimitedPerIpAndProbesNever) {
  start_with_limits({{"PARLEY_RATE_LIMIT_ANONYMOUS", "1/m burst=2"}, {"PARLEY_TRUSTED_PROXIES", "127.0.0.1/32"}});
  auto from = [this](const std::string& ip, const std::string& target) {
    return http_request(port(), "GET", target, {{"X-Forwarded-For", ip}});
  };
  EXPECT_EQ(from("198.51.100.1", "/api/schema.json").status, 200);
  EXPECT_EQ(from("198.51.100.1", "/api/v1/users/me").status, 401);  // counted too: it reached the API
  auto refused = from("198.51.100.1", "/api/schema.json");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("RateLimit-Policy"), R"("anonymous";q=2;w=120)");
  // Another client has its own bucket; probes and scrapes are never limited.
  EXPECT_EQ(from("2001:db8::7", "/api/schema.json").status, 200);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(from("198.51.100.1", "/healthz").status, 200);
    EXPECT_EQ(from("198.51.100.1", "/metrics").status, 200);
  }
  auto metrics = from("198.51.100.2", "/metrics").body;
  EXPECT_NE(metrics.find(R"(parley_rate_limit_requests_total{result="limited",scope="anonymous"} 1)"), std::string::npos)
      << metrics.substr(0, 2000);
}

TEST_P(RateLimits, RegistrationsArePerIpAndOffTurnsEveryLimitOff) {
  start_with_limits({{"PARLEY_RATE_LIMIT_REGISTER", "1/h burst=2 fail=closed"}});
  auto reg = [this](const std::string& name) {
    json::object body{{"username", name}, {"email", name + "@example.com"}, {"password", kMessagingPassword}};
    return http_request(port(), "POST", "/api/v1/auth/register", json_headers(), json::serialize(body));
  };
  EXPECT_EQ(reg("first").status, 201);
  EXPECT_EQ(reg("second").status, 201);
  auto third = reg("third");
  EXPECT_EQ(third.status, 429) << third.body;
  EXPECT_EQ(third.header("Retry-After"), "3600");  // 1/h: the next one fits an hour after the burst
  // Refused before the handler ran: no such account.
  boost::json::object login{{"login", "third"}, {"password", kMessagingPassword}};
  EXPECT_EQ(http_request(port(), "POST", "/api/v1/auth/token", json_headers(), json::serialize(login)).status, 401);

  start({{"PARLEY_RATE_LIMITS", "off"}, {"PARLEY_RATE_LIMIT_REGISTER", "1/h burst=1"}});
  EXPECT_EQ(reg("fourth").status, 201);
  auto fifth = reg("fifth");
  EXPECT_EQ(fifth.status, 201);
  EXPECT_TRUE(fifth.header("RateLimit").empty());
}

TEST_P(RateLimits, FailedLoginsByUsernameAndByEmailCountAgainstOneAccount) {
  start({});  // limits off: the lockout is not a request limit and stays on
  user("carol");
  for (int i = 0; i < 5; ++i) {
    const std::string login_name = i % 2 ? "carol@example.com" : "Carol";
    json::object body{{"login", login_name}, {"password", "wrong guess " + std::to_string(i)}};
    EXPECT_EQ(http_request(port(), "POST", "/api/v1/auth/token", json_headers(), json::serialize(body)).status, 401);
  }
  json::object right{{"login", "carol@example.com"}, {"password", kMessagingPassword}};
  auto refused = http_request(port(), "POST", "/api/v1/auth/token", json_headers(), json::serialize(right));
  EXPECT_EQ(refused.status, 429) << refused.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, RateLimits, ::testing::Values("sqlite", "postgres"), backend_name);

// Redis as the store: two instances share every bucket, and an outage in the middle of the test
// follows each scope's fail mode, then heals without a restart.
class RedisRateLimits : public RateLimits {};

TEST_P(RedisRateLimits, TwoInstancesShareOneBucketAndAnOutageHealsByItself) {
  redis::testing::OwnServer redis;
  redis.start();
  SigningKeyFile key;  // both instances sign and verify with one key, as replicas do
  start_with_limits({{"PARLEY_REDIS_URL", redis.url()},
                     {"PARLEY_JWT_PRIVATE_KEY_FILE", key.path()},
                     {"PARLEY_RATE_LIMIT_MESSAGE_SEND", "1/m burst=3"},
                     {"PARLEY_RATE_LIMIT_REGISTER", "1/h burst=10 fail=closed"}});
  auto alice = user("alice");
  auto room = group(alice, {});
  std::unique_ptr<TestServer> second;
  if (GetParam() == "postgres") {
    // A second instance on the same database and Redis: alice's bucket is the same one there.
    second = std::make_unique<TestServer>(test_config({{"PARLEY_DATABASE_URL", pg_->url()},
                                                       {"PARLEY_REDIS_URL", redis.url()},
                                                       {"PARLEY_JWT_PRIVATE_KEY_FILE", key.path()},
                                                       {"PARLEY_RATE_LIMITS", "on"},
                                                       {"PARLEY_RATE_LIMIT_MESSAGE_SEND", "1/m burst=3"}}));
  }
  const auto other_port = second ? second->port() : port();
  auto send_on = [&](std::uint16_t on, const std::string& text) {
    return http_request(on, "POST", messages_path(room),
                        {{"Authorization", "Bearer " + alice.access}, {"Content-Type", "application/json"}},
                        json::serialize(json::object{{"body", text}}));
  };
  EXPECT_EQ(send_on(port(), "one").status, 201);
  EXPECT_EQ(send_on(other_port, "two").status, 201);
  auto third = send_on(other_port, "three");
  EXPECT_EQ(third.status, 201);
  EXPECT_NE(third.header("RateLimit").find(R"("message_send";r=0)"), std::string::npos) << third.header("RateLimit");
  EXPECT_EQ(send_on(port(), "four").status, 429);

  // Redis goes away. Sends fail open (through, without headers); registration fails closed; the
  // login lockout counts in the process meanwhile, so logging in still works.
  EXPECT_EQ(http_request(port(), "GET", "/readyz").json().at("checks").at("redis").at("status"), "ok");
  redis.stop();
  // Still ready (the instance stays in rotation), with Redis reported as degraded.
  auto ready = http_request(port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json().at("checks").at("redis").at("status"), "degraded") << ready.body;
  auto during = send_on(port(), "during the outage");
  EXPECT_EQ(during.status, 201) << during.body;
  EXPECT_TRUE(during.header("RateLimit").empty());
  json::object reg{{"username", "dave"}, {"email", "dave@example.com"}, {"password", kMessagingPassword}};
  auto refused = http_request(port(), "POST", "/api/v1/auth/register", json_headers(), json::serialize(reg));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_FALSE(refused.header("Retry-After").empty());
  json::object login{{"login", "alice"}, {"password", kMessagingPassword}};
  EXPECT_EQ(http_request(port(), "POST", "/api/v1/auth/token", json_headers(), json::serialize(login)).status, 200);

  // Redis is back (empty): limits apply again without a restart.
  redis.start();
  HttpResult after;
  ASSERT_TRUE(eventually([&] {
    after = send_on(port(), "after the outage");
    return !after.header("RateLimit").empty();
  }, std::chrono::seconds(10)));
  EXPECT_EQ(after.status, 201);
  EXPECT_EQ(http_request(port(), "POST", "/api/v1/auth/register", json_headers(), json::serialize(reg)).status, 201);
  if (second) second->stop();
}

TEST_P(RedisRateLimits, StartsAndServesWhileRedisIsDownAndPicksItUpLater) {
  redis::testing::OwnServer redis;  // not started: Redis is down when the server starts
  start_with_limits({{"PARLEY_REDIS_URL", redis.url()}});
  auto alice = user("alice");
  auto room = group(alice, {});
  auto sent = send_raw(alice, room, "no Redis yet");
  EXPECT_EQ(sent.status, 201) << sent.body;
  EXPECT_TRUE(sent.header("RateLimit").empty());  // failed open
  EXPECT_EQ(http_request(port(), "GET", "/readyz").json().at("checks").at("redis").at("status"), "degraded");

  redis.start();
  ASSERT_TRUE(eventually([&] {
    return !send_raw(alice, room, "Redis is up").header("RateLimit").empty();
  }, std::chrono::seconds(10)));
  EXPECT_TRUE(eventually([&] {
    return http_request(port(), "GET", "/readyz").json().at("checks").at("redis").at("status") == "ok";
  }, std::chrono::seconds(10)));
}

INSTANTIATE_TEST_SUITE_P(Backends, RedisRateLimits, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
