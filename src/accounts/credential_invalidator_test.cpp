#include "accounts/credential_invalidator.hpp"

#include "core/testing.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace parley::accounts {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Kind = CredentialCache::Kind;

spdlog::logger& quiet_logger() {
  static auto logger =
      std::make_shared<spdlog::logger>("credentials-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return *logger;
}

// Caches one credential of `user_id` as if authentication had just read it.
void cache_one(CredentialCache& cache, const std::string& credential, std::int64_t user_id) {
  const auto now = CredentialCache::Clock::now();
  cache.insert(Kind::bearer, credential, http::Principal{.user_id = user_id, .role = "member"}, cache.ticket(now),
               now + 30s, now);
}

bool cached(CredentialCache& cache, const std::string& credential) {
  return cache.find(Kind::bearer, credential, CredentialCache::Clock::now()).has_value();
}

TEST(CredentialInvalidator, UserChangedInvalidatesHereAtOnceAndPublishesTheUserId) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  std::vector<std::string> published;
  CredentialInvalidator invalidator(
      cache,
      [&published](std::string payload) -> asio::awaitable<void> {
        published.push_back(std::move(payload));
        co_return;
      },
      quiet_logger());
  cache_one(cache, "alice", 1);
  cache_one(cache, "bob", 2);
  testing::run_awaitable(invalidator.user_changed(1));
  EXPECT_FALSE(cached(cache, "alice"));
  EXPECT_TRUE(cached(cache, "bob"));
  EXPECT_EQ(published, std::vector<std::string>{"1"});
}

TEST(CredentialInvalidator, AFailedPublishIsLoggedNotThrown) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  CredentialInvalidator invalidator(
      cache,
      [](std::string) -> asio::awaitable<void> {
        throw std::runtime_error("connection refused");
        co_return;
      },
      quiet_logger());
  cache_one(cache, "alice", 1);
  EXPECT_NO_THROW(testing::run_awaitable(invalidator.user_changed(1)));
  EXPECT_FALSE(cached(cache, "alice")) << "this process is invalidated whatever happens to the others";
}

TEST(CredentialInvalidator, WithoutAPublisherOnlyThisProcessIsInvalidated) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  CredentialInvalidator invalidator(cache, {}, quiet_logger());
  cache_one(cache, "alice", 1);
  testing::run_awaitable(invalidator.user_changed(1));
  EXPECT_FALSE(cached(cache, "alice"));
}

TEST(CredentialInvalidator, AReceivedUserIdInvalidatesThatUser) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  CredentialInvalidator invalidator(cache, {}, quiet_logger());
  cache_one(cache, "alice", 1);
  cache_one(cache, "bob", 2);
  invalidator.received("2");
  EXPECT_TRUE(cached(cache, "alice"));
  EXPECT_FALSE(cached(cache, "bob"));
}

TEST(CredentialInvalidator, AnUnreadablePayloadClearsEverything) {
  for (std::string_view payload : {"", "abc", "12x", " 1", "99999999999999999999"}) {
    CredentialCache cache({.capacity = 100, .max_ttl = 60s});
    CredentialInvalidator invalidator(cache, {}, quiet_logger());
    cache_one(cache, "alice", 1);
    cache_one(cache, "bob", 2);
    invalidator.received(payload);
    EXPECT_FALSE(cached(cache, "alice")) << payload;
    EXPECT_FALSE(cached(cache, "bob")) << payload;
  }
}

}  // namespace
}  // namespace parley::accounts
