#include "auth/password_hasher.hpp"

#include <argon2.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <string>
#include <thread>

namespace parley::auth {
namespace {

// Makes a PHC string with arbitrary (possibly weak) parameters, as an old deployment would have.
std::string hash_with(std::uint32_t t, std::uint32_t m, std::uint32_t p, std::string_view password,
                      argon2_type type = Argon2_id, std::size_t salt_len = 16, std::size_t hash_len = 32) {
  std::array<unsigned char, 32> salt{};
  salt.fill(7);
  std::string out(
      argon2_encodedlen(t, m, p, static_cast<std::uint32_t>(salt_len), static_cast<std::uint32_t>(hash_len), type),
      '\0');
  int rc = argon2_hash(t, m, p, password.data(), password.size(), salt.data(), salt_len, nullptr, hash_len, out.data(),
                       out.size(), type, ARGON2_VERSION_13);
  if (rc != ARGON2_OK) throw std::runtime_error(argon2_error_message(rc));
  out.resize(out.find('\0'));
  return out;
}

// One hasher for the whole suite.
class PasswordHasherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { hasher_ = new PasswordHasher(); }
  static void TearDownTestSuite() {
    delete hasher_;
    hasher_ = nullptr;
  }
  static PasswordHasher* hasher_;
};
PasswordHasher* PasswordHasherTest::hasher_ = nullptr;

TEST_F(PasswordHasherTest, HashIsArgon2idPhcWithOwaspParameters) {
  std::string encoded = hasher_->hash_blocking("correct horse battery staple");
  EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << encoded;

  auto phc = parse_phc_argon2(encoded);
  ASSERT_TRUE(phc.has_value()) << encoded;
  EXPECT_EQ(phc->algorithm, "argon2id");
  EXPECT_EQ(phc->version, 19u);
  EXPECT_GE(phc->params.memory_kib, 19456u);
  EXPECT_GE(phc->params.iterations, 2u);
  EXPECT_EQ(phc->params.parallelism, 1u);
  EXPECT_EQ(phc->salt_bytes, 16u);
  EXPECT_EQ(phc->hash_bytes, 32u);
  EXPECT_EQ(encoded.find('\0'), std::string::npos);
}

TEST_F(PasswordHasherTest, VerifyAcceptsTheRightPasswordOnly) {
  std::string encoded = hasher_->hash_blocking("correct horse battery staple");
  EXPECT_TRUE(hasher_->verify_blocking("correct horse battery staple", encoded));
  EXPECT_FALSE(hasher_->verify_blocking("correct horse battery stapl", encoded));
  EXPECT_FALSE(hasher_->verify_blocking("Correct horse battery staple", encoded));
  EXPECT_FALSE(hasher_->verify_blocking("", encoded));
}

TEST_F(PasswordHasherTest, PasswordsWithNulAndMultiByteCharactersRoundTrip) {
  std::string password("p\0ssw\xC3\xB6rd \xF0\x9F\x94\x91 long enough", 27);
  std::string encoded = hasher_->hash_blocking(password);
  EXPECT_TRUE(hasher_->verify_blocking(password, encoded));
  EXPECT_FALSE(hasher_->verify_blocking(std::string_view(password).substr(0, 1), encoded));
}

TEST_F(PasswordHasherTest, SamePasswordGetsDifferentSaltsAndHashes) {
  std::string a = hasher_->hash_blocking("the same password twice");
  std::string b = hasher_->hash_blocking("the same password twice");
  EXPECT_NE(a, b);
  // The salt is the 5th '$'-separated field, the hash the 6th.
  auto field = [](const std::string& s, int n) {
    std::size_t pos = 0;
    for (int i = 0; i < n; ++i) pos = s.find('$', pos) + 1;
    return s.substr(pos, s.find('$', pos) - pos);
  };
  EXPECT_NE(field(a, 4), field(b, 4));
  EXPECT_NE(field(a, 5), field(b, 5));
  EXPECT_TRUE(hasher_->verify_blocking("the same password twice", a));
  EXPECT_TRUE(hasher_->verify_blocking("the same password twice", b));
}

TEST_F(PasswordHasherTest, MalformedOrForeignHashesDoNotVerify) {
  const std::string password = "correct horse battery staple";
  std::string good = hasher_->hash_blocking(password);
  EXPECT_FALSE(hasher_->verify_blocking(password, ""));
  EXPECT_FALSE(hasher_->verify_blocking(password, "not a hash"));
  EXPECT_FALSE(hasher_->verify_blocking(password, good.substr(0, good.size() - 5)));
  std::string tampered = good;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(hasher_->verify_blocking(password, tampered));
  // argon2i of the same password: refused, only argon2id is accepted.
  EXPECT_FALSE(hasher_->verify_blocking(password, hash_with(2, 19456, 1, password, Argon2_i)));
  EXPECT_FALSE(hasher_->verify_blocking(std::string(PasswordHasher::kMaxPasswordBytes + 1, 'a'), good));
}

TEST_F(PasswordHasherTest, VerifyAcceptsOlderArgon2idHashes) {
  std::string weak = hash_with(1, 4096, 1, "an old password from 2019");
  EXPECT_TRUE(hasher_->verify_blocking("an old password from 2019", weak));
  EXPECT_TRUE(hasher_->needs_rehash(weak));
}

TEST_F(PasswordHasherTest, NeedsRehashWhenParametersAreBelowCurrent) {
  EXPECT_FALSE(hasher_->needs_rehash(hasher_->hash_blocking("a current password")));
  EXPECT_TRUE(hasher_->needs_rehash(hash_with(2, 19455, 1, "x")));  // less memory
  EXPECT_TRUE(hasher_->needs_rehash(hash_with(1, 19456, 1, "x")));  // fewer iterations
  EXPECT_TRUE(hasher_->needs_rehash(hash_with(2, 19456, 2, "x")));  // other parallelism
  EXPECT_TRUE(hasher_->needs_rehash(hash_with(2, 19456, 1, "x", Argon2_i)));
  EXPECT_TRUE(hasher_->needs_rehash(hash_with(2, 19456, 1, "x", Argon2_id, 8)));       // short salt
  EXPECT_TRUE(hasher_->needs_rehash(hash_with(2, 19456, 1, "x", Argon2_id, 16, 16)));  // short hash
  EXPECT_TRUE(hasher_->needs_rehash("$2b$12$abcdefghijklmnopqrstuv"));                 // bcrypt
  EXPECT_TRUE(hasher_->needs_rehash(""));
  // Stronger than current: kept.
  EXPECT_FALSE(hasher_->needs_rehash(hash_with(3, 19456, 1, "x")));
  EXPECT_FALSE(hasher_->needs_rehash(hash_with(2, 32768, 1, "x")));
}

TEST(PasswordHasherOptions, RefusesParametersWeakerThanOwasp) {
  EXPECT_THROW(PasswordHasher({.params = {.memory_kib = 19455, .iterations = 2, .parallelism = 1}}),
               std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.params = {.memory_kib = 19456, .iterations = 1, .parallelism = 1}}),
               std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.params = {.memory_kib = 19456, .iterations = 2, .parallelism = 0}}),
               std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.params = {}, .threads = 0}), std::invalid_argument);
}

TEST(PasswordHasherOptions, StrongerParametersAreUsedAndOlderHashesNeedRehash) {
  PasswordHasher strong({.params = {.memory_kib = 24576, .iterations = 3, .parallelism = 1}, .threads = 1});
  std::string encoded = strong.hash_blocking("a password for the strong hasher");
  EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=24576,t=3,p=1$", 0), 0u) << encoded;
  EXPECT_TRUE(strong.verify_blocking("a password for the strong hasher", encoded));
  EXPECT_TRUE(strong.needs_rehash(hash_with(2, 19456, 1, "x")));
}

TEST(PasswordPhcParse, ParsesAndRejects) {
  auto phc = parse_phc_argon2("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG");
  ASSERT_TRUE(phc.has_value());
  EXPECT_EQ(phc->algorithm, "argon2id");
  EXPECT_EQ(phc->version, 19u);
  EXPECT_EQ(phc->params, (Argon2Params{.memory_kib = 65536, .iterations = 3, .parallelism = 4}));
  EXPECT_EQ(phc->salt_bytes, 8u);
  EXPECT_EQ(phc->hash_bytes, 24u);

  auto old = parse_phc_argon2("$argon2i$m=4096,t=3,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->version, 16u);

  for (std::string_view bad :
       {"", "$", "argon2id$v=19$m=1,t=1,p=1$c29tZQ$c29tZQ", "$argon2x$v=19$m=1,t=1,p=1$c29tZQ$c29tZQ",
        "$argon2id$v=19$t=1,m=1,p=1$c29tZQ$c29tZQ", "$argon2id$v=19$m=1,t=1$c29tZQ$c29tZQ",
        "$argon2id$v=19$m=-1,t=1,p=1$c29tZQ$c29tZQ", "$argon2id$v=19$m=99999999999,t=1,p=1$c29tZQ$c29tZQ",
        "$argon2id$v=19$m=1,t=1,p=1$c29t!Q$c29tZQ", "$argon2id$v=19$m=1,t=1,p=1$c29tZQ==$c29tZQ",
        "$argon2id$v=19$m=1,t=1,p=1$c29tZQ$", "$argon2id$v=19$m=1,t=1,p=1$c29tZQ$c29tZQ$x"}) {
    EXPECT_FALSE(parse_phc_argon2(bad).has_value()) << bad;
  }
}

TEST_F(PasswordHasherTest, DummyVerifyIsAlwaysFalse) {
  EXPECT_FALSE(hasher_->dummy_verify_blocking("correct horse battery staple"));
  EXPECT_FALSE(hasher_->dummy_verify_blocking(""));
}

// The dummy hash costs a verification the same work as a real one: libargon2 accepts it, derives
// a hash with its parameters (the current ones) and only then finds the mismatch.
TEST(PasswordHasherDummy, UnmatchableHashIsAWellFormedArgon2idStringThatNothingVerifies) {
  Argon2Params params{};
  std::string dummy = unmatchable_argon2id_phc(params);
  auto phc = parse_phc_argon2(dummy);
  ASSERT_TRUE(phc.has_value()) << dummy;
  EXPECT_EQ(phc->algorithm, "argon2id");
  EXPECT_EQ(phc->version, static_cast<std::uint32_t>(ARGON2_VERSION_13));
  EXPECT_EQ(phc->params, params);
  EXPECT_EQ(phc->salt_bytes, PasswordHasher::kSaltBytes);
  EXPECT_EQ(phc->hash_bytes, PasswordHasher::kHashBytes);
  EXPECT_FALSE(PasswordHasher().needs_rehash(dummy));
  for (std::string_view password : {"correct horse battery staple", ""}) {
    EXPECT_EQ(argon2id_verify(dummy.c_str(), password.data(), password.size()), ARGON2_VERIFY_MISMATCH) << dummy;
  }
  EXPECT_NE(unmatchable_argon2id_phc(params), dummy) << "random salt and hash each time";
  Argon2Params stronger{.memory_kib = 32768, .iterations = 3, .parallelism = 1};
  EXPECT_EQ(parse_phc_argon2(unmatchable_argon2id_phc(stronger))->params, stronger);
}

// The awaitable API: the hashing runs on the hasher's pool, never on the caller's thread, and the
// coroutine continues on the caller's io_context thread afterwards.
TEST_F(PasswordHasherTest, AwaitableApiRunsOnThePoolAndResumesOnTheCallersThread) {
  boost::asio::io_context io;
  struct Seen {
    std::thread::id before, after_hash, after_verify, after_wrong, after_dummy;
    std::string encoded;
    bool good = false, wrong = true, dummy = true;
  } seen;

  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        seen.before = std::this_thread::get_id();
        seen.encoded = co_await hasher_->hash("an awaited password");
        seen.after_hash = std::this_thread::get_id();
        seen.good = co_await hasher_->verify("an awaited password", seen.encoded);
        seen.after_verify = std::this_thread::get_id();
        seen.wrong = co_await hasher_->verify("another password", seen.encoded);
        seen.after_wrong = std::this_thread::get_id();
        seen.dummy = co_await hasher_->dummy_verify("an awaited password");
        seen.after_dummy = std::this_thread::get_id();
      },
      boost::asio::detached);
  io.run();  // returns only once the coroutine has finished: the pending hashes keep `io` busy

  const auto main_thread = std::this_thread::get_id();
  EXPECT_EQ(seen.before, main_thread);
  EXPECT_EQ(seen.after_hash, main_thread);
  EXPECT_EQ(seen.after_verify, main_thread);
  EXPECT_EQ(seen.after_wrong, main_thread);
  EXPECT_EQ(seen.after_dummy, main_thread);
  EXPECT_TRUE(hasher_->verify_blocking("an awaited password", seen.encoded));
  EXPECT_TRUE(seen.good);
  EXPECT_FALSE(seen.wrong);
  EXPECT_FALSE(seen.dummy);
}

TEST_F(PasswordHasherTest, PoolWorkRunsOnAnotherThreadAndResumesOnTheCaller) {
  boost::asio::io_context io;
  std::thread::id caller, inside, after;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        caller = std::this_thread::get_id();
        inside = co_await hasher_->run_on_pool([] { return std::this_thread::get_id(); });
        after = std::this_thread::get_id();
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(caller, std::this_thread::get_id());
  EXPECT_NE(inside, caller);
  EXPECT_NE(inside, std::thread::id{});
  EXPECT_EQ(after, caller);
}

TEST_F(PasswordHasherTest, CallersThreadStaysFreeWhileAHashIsInFlight) {
  // One io thread, two coroutines queued in order: the first starts a hash and suspends; the second
  // then runs on the same (only) io thread before the first resumes. Had the hash run on the io
  // thread, the first would have finished before the second got to run.
  boost::asio::io_context io;
  bool hashed = false;
  bool other_ran_while_hashing = false;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        std::string encoded = co_await hasher_->hash("a password hashed in the background");
        hashed = !encoded.empty();
      },
      boost::asio::detached);
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        other_ran_while_hashing = !hashed;
        co_return;
      },
      boost::asio::detached);
  io.run();
  EXPECT_TRUE(other_ran_while_hashing);
  EXPECT_TRUE(hashed);
}

TEST_F(PasswordHasherTest, AwaitableErrorsReachTheCaller) {
  boost::asio::io_context io;
  bool threw = false;
  std::thread::id where;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        try {
          co_await hasher_->hash(std::string(PasswordHasher::kMaxPasswordBytes + 1, 'x'));
        } catch (const std::invalid_argument&) {
          threw = true;
          where = std::this_thread::get_id();
        }
      },
      boost::asio::detached);
  io.run();
  EXPECT_TRUE(threw);
  EXPECT_EQ(where, std::this_thread::get_id());
}

}  // namespace
}  // namespace parley::auth
