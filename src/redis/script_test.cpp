// redis::Script against a real redis-server (skipped without PARLEY_TEST_REDIS_URL): EVALSHA when
// the server has the script, EVAL after SCRIPT FLUSH, and a script's own error as data.
#include "redis/script.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "redis/testing.hpp"

namespace parley::redis {
namespace {

namespace asio = boost::asio;

asio::awaitable<Reply> run_script(std::shared_ptr<Client> client, const Script* script, std::vector<std::string> keys,
                                  std::vector<std::string> args) {
  co_return co_await script->run(*client, keys, args);
}

asio::awaitable<Reply> one(std::shared_ptr<Client> client, std::vector<std::string> args) {
  co_return co_await client->command(args);
}

TEST(ScriptTest, Sha1IsTheOneRedisComputes) {
  // SHA-1 of "return 1", as `redis-cli SCRIPT LOAD "return 1"` prints it.
  EXPECT_EQ(Script("return 1").sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(ScriptTest, RunsByShaAndLoadsItselfAfterAFlush) {
  auto url = testing::url_from_env();
  if (!url) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL not set (see scripts/test-servers)";
  testing::IoThreads threads;
  auto client = std::make_shared<Client>(threads.io().get_executor(), ClientConfig{.url = *url});
  const std::string key = "parley:test:" + std::to_string(::getpid()) + ":script";
  threads.run(one(client, {"DEL", key}));
  const Script incr_by("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  // NOSCRIPT after a flush: the script is sent with EVAL and runs once.
  threads.run(one(client, {"SCRIPT", "FLUSH"}));
  EXPECT_EQ(threads.run(run_script(client, &incr_by, {key}, {"2"})), Reply::number(2));
  // Loaded now: EVALSHA alone finds it.
  EXPECT_EQ(threads.run(one(client, {"SCRIPT", "EXISTS", incr_by.sha1()})), Reply::array({Reply::number(1)}));
  EXPECT_EQ(threads.run(run_script(client, &incr_by, {key}, {"3"})), Reply::number(5));

  const Script failing("return redis.error_reply('BUSTED on purpose')");
  auto reply = threads.run(run_script(client, &failing, {}, {}));
  ASSERT_TRUE(reply.is_error());
  EXPECT_EQ(reply.error_code(), "BUSTED");
  threads.run(one(client, {"DEL", key}));
  client->close();
}

}  // namespace
}  // namespace parley::redis
