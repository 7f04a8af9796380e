#include "auth/password_policy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// The bundled list is loaded once for the suite (44k entries).
class PasswordPolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { policy_ = new PasswordPolicy(); }
  static void TearDownTestSuite() {
    delete policy_;
    policy_ = nullptr;
  }
  static PasswordPolicy* policy_;
};
PasswordPolicy* PasswordPolicyTest::policy_ = nullptr;

TEST_F(PasswordPolicyTest, AcceptsALongUncommonPassphrase) {
  EXPECT_THAT(policy_->validate("velvet otter juggles quietly", "alice", "alice@example.com"), IsEmpty());
  // No composition rules: all lower case, all digits-free, spaces allowed.
  EXPECT_THAT(policy_->validate("correct horse battery staple"), IsEmpty());
}

TEST_F(PasswordPolicyTest, LengthIsTwelveToOneHundredTwentyEightCharacters) {
  EXPECT_THAT(policy_->validate("tqbfjotld7!"), ElementsAre(PasswordPolicy::kTooShort));  // 11
  EXPECT_THAT(policy_->validate("tqbfjotld7!x"), IsEmpty());                              // 12
  EXPECT_THAT(policy_->validate(""), ElementsAre(PasswordPolicy::kTooShort));
  EXPECT_THAT(policy_->validate(repeat("k7", 64)), IsEmpty());                                    // 128
  EXPECT_THAT(policy_->validate(repeat("k7", 64) + "x"), ElementsAre(PasswordPolicy::kTooLong));  // 129
  EXPECT_EQ(PasswordPolicy::kTooShort, "This password is too short. It must contain at least 12 characters.");
  EXPECT_EQ(PasswordPolicy::kTooLong, "This password is too long. It may contain at most 128 characters.");
}

TEST_F(PasswordPolicyTest, LengthCountsCodePointsNotBytes) {
  const std::string e_acute = "\xC3\xA9";                                                       // é, 2 bytes
  const std::string snowman = "\xE2\x98\x83";                                                   // ☃, 3 bytes
  const std::string key = "\xF0\x9F\x94\x91";                                                   // 🔑, 4 bytes
  EXPECT_THAT(policy_->validate(repeat(e_acute, 11)), ElementsAre(PasswordPolicy::kTooShort));  // 22 bytes
  EXPECT_THAT(policy_->validate(repeat(e_acute, 12)), IsEmpty());
  EXPECT_THAT(policy_->validate(repeat(key, 11)), ElementsAre(PasswordPolicy::kTooShort));  // 44 bytes
  EXPECT_THAT(policy_->validate(repeat(snowman, 6) + repeat(key, 6)), IsEmpty());
  EXPECT_THAT(policy_->validate(repeat(key, 128)), IsEmpty());  // 512 bytes
  EXPECT_THAT(policy_->validate(repeat(key, 129)), ElementsAre(PasswordPolicy::kTooLong));
  EXPECT_THAT(policy_->validate(repeat(e_acute, 65)), IsEmpty());  // 130 bytes, 65 characters
}

TEST(PasswordUtf8, CountsCodePointsAndRejectsInvalidUtf8) {
  EXPECT_EQ(utf8_code_points(""), 0u);
  EXPECT_EQ(utf8_code_points("abc"), 3u);
  EXPECT_EQ(utf8_code_points("a\xC3\xA9\xE2\x98\x83\xF0\x9F\x94\x91"), 4u);
  EXPECT_EQ(utf8_code_points(std::string_view("a\0b", 3)), 3u);
  EXPECT_EQ(utf8_code_points("\xF4\x8F\xBF\xBF"), 1u);  // U+10FFFF, the last code point
  for (std::string_view bad : {
           std::string_view("\x80"),              // lone continuation byte
           std::string_view("abc\xC3"),           // truncated 2-byte sequence
           std::string_view("\xE2\x98"),          // truncated 3-byte sequence
           std::string_view("\xC3\x28"),          // bad continuation
           std::string_view("\xC0\xAF"),          // overlong '/'
           std::string_view("\xE0\x80\xAF"),      // overlong '/'
           std::string_view("\xF0\x80\x80\xAF"),  // overlong '/'
           std::string_view("\xED\xA0\x80"),      // surrogate U+D800
           std::string_view("\xF4\x90\x80\x80"),  // U+110000
           std::string_view("\xFF"),
           std::string_view("\xFE"),
           std::string_view("\xF8\x88\x80\x80\x80"),
       }) {
    EXPECT_FALSE(utf8_code_points(bad).has_value()) << testing::PrintToString(bad);
  }
}

TEST_F(PasswordPolicyTest, InvalidUtf8IsRefusedAlone) {
  EXPECT_THAT(policy_->validate("a long enough password \xC3\x28"), ElementsAre(PasswordPolicy::kInvalidUtf8));
  EXPECT_THAT(policy_->validate("\xED\xA0\x80"), ElementsAre(PasswordPolicy::kInvalidUtf8));
}

TEST_F(PasswordPolicyTest, BundledListHoldsRealCommonPasswords) {
  EXPECT_GE(policy_->common_password_count(), 10'000u);
  for (std::string_view common : {"qwerty123456", "123456789012", "password1234", "password12345", "1qaz2wsx3edc",
                                  "iloveyou1234", "passwordpassword"}) {
    EXPECT_TRUE(policy_->is_common(common)) << common;
    EXPECT_THAT(policy_->validate(common), ElementsAre(PasswordPolicy::kTooCommon)) << common;
  }
  EXPECT_FALSE(policy_->is_common("velvet otter juggles quietly"));
}

TEST_F(PasswordPolicyTest, CommonListMatchIgnoresCase) {
  EXPECT_TRUE(policy_->is_common("QWERTY123456"));
  EXPECT_TRUE(policy_->is_common("PassWord1234"));
  EXPECT_THAT(policy_->validate("Qwerty123456"), ElementsAre(PasswordPolicy::kTooCommon));
}

TEST_F(PasswordPolicyTest, RefusesTheUsernameIgnoringCase) {
  EXPECT_THAT(policy_->validate("alice_wonderland", "alice_wonderland", "a@example.com"),
              ElementsAre(PasswordPolicy::kSameAsUsername));
  EXPECT_THAT(policy_->validate("Alice_Wonderland", "alice_wonderland", "a@example.com"),
              ElementsAre(PasswordPolicy::kSameAsUsername));
  // Equality only: containing the username is allowed.
  EXPECT_THAT(policy_->validate("alice_wonderland and tea", "alice_wonderland", "a@example.com"), IsEmpty());
}

TEST_F(PasswordPolicyTest, RefusesTheEmailAndItsLocalPartIgnoringCase) {
  EXPECT_THAT(policy_->validate("alice.liddell@example.com", "alice", "alice.liddell@example.com"),
              ElementsAre(PasswordPolicy::kSameAsEmail));
  EXPECT_THAT(policy_->validate("ALICE.LIDDELL@EXAMPLE.COM", "alice", "alice.liddell@example.com"),
              ElementsAre(PasswordPolicy::kSameAsEmail));
  EXPECT_THAT(policy_->validate("Alice.Liddell.1865", "alice", "alice.liddell.1865@example.com"),
              ElementsAre(PasswordPolicy::kSameAsEmail));
  EXPECT_THAT(policy_->validate("example.com.au", "alice", "alice.liddell.1865@example.com.au"), IsEmpty());
  // Empty username and email are not compared.
  EXPECT_THAT(policy_->validate("velvet otter juggles quietly", "", ""), IsEmpty());
}

TEST_F(PasswordPolicyTest, ReportsEveryFailingRule) {
  PasswordPolicy policy(std::vector<std::string>{"bob"});
  EXPECT_THAT(policy.validate("Bob", "bob", "bob@example.com"),
              ElementsAre(PasswordPolicy::kTooShort, PasswordPolicy::kTooCommon, PasswordPolicy::kSameAsUsername,
                          PasswordPolicy::kSameAsEmail));
}

TEST(PasswordPolicyList, LoadsAConfiguredFileWithCrLfAndBlankLines) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "parley-password-policy-list.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "Velvet Otter Juggles\r\n\nsecond entry here\n";
  }
  PasswordPolicy policy(path);
  std::filesystem::remove(path);
  EXPECT_EQ(policy.common_password_count(), 2u);
  EXPECT_TRUE(policy.is_common("velvet otter juggles"));
  EXPECT_TRUE(policy.is_common("SECOND ENTRY HERE"));
  EXPECT_FALSE(policy.is_common("qwerty123456"));
}

TEST(PasswordPolicyList, MissingOrEmptyFileIsAnErrorAtConstruction) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  EXPECT_THROW(PasswordPolicy(dir / "parley-no-such-list.txt"), std::runtime_error);
  const auto empty = dir / "parley-empty-list.txt";
  { std::ofstream out(empty, std::ios::binary); }
  EXPECT_THROW(PasswordPolicy{empty}, std::runtime_error);
  std::filesystem::remove(empty);
}

// A list that holds no password is only found out by the background load: then every check
// fails (throws) rather than passing unchecked.
TEST(PasswordPolicyList, ListWithoutAPasswordFailsEveryCheck) {
  const auto blank = std::filesystem::path(::testing::TempDir()) / "parley-blank-list.txt";
  {
    std::ofstream out(blank, std::ios::binary);
    out << "\n\r\n";
  }
  PasswordPolicy policy{blank};
  std::filesystem::remove(blank);
  EXPECT_THROW(policy.wait_until_loaded(), std::runtime_error);
  EXPECT_TRUE(policy.loaded());
  EXPECT_THROW((void)policy.validate("a perfectly long passphrase"), std::runtime_error);
  EXPECT_THROW((void)policy.is_common("a perfectly long passphrase"), std::runtime_error);
  EXPECT_THROW((void)policy.common_password_count(), std::runtime_error);
}

// The list arrives through a FIFO that this test writes, so the load provably cannot end before
// the test lets it: two checks on other threads begin while the policy has read only part of the
// list, the test waits until both are waiting for the rest, then writes the last entry. Their
// answers must reflect the whole list (one depends on that last entry).
TEST(PasswordPolicyList, ACheckMadeWhileTheListIsLoadingWaitsForTheWholeList) {
  const auto fifo = std::filesystem::path(::testing::TempDir()) / "parley-password-policy-fifo";
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // Declared before the writer so that they go after it: closing the writer ends the load, which
  // the checks' futures and the policy wait for when they go.
  std::optional<PasswordPolicy> policy;
  std::future<std::vector<std::string>> last_entry;
  std::future<bool> uncommon;
  // O_RDWR does not block on a FIFO (Linux), and keeps a writer so the policy's open does not block
  // either. The loader sees end of file only once this descriptor is closed.
  struct Writer {
    int fd;
    void close() {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    ~Writer() { close(); }
  } writer{::open(fifo.c_str(), O_RDWR | O_CLOEXEC)};
  ASSERT_GE(writer.fd, 0) << std::strerror(errno);
  auto write_all = [&](std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::write(writer.fd, text.data(), text.size());
      ASSERT_GT(n, 0) << std::strerror(errno);
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  };
  policy.emplace(fifo);
  std::filesystem::remove(fifo);  // open on both ends: the data still flows

  write_all("first entry here\nSecond Entry Here\r\n");
  EXPECT_FALSE(policy->loaded()) << "the load cannot end before the FIFO's writer closes";
  last_entry = std::async(std::launch::async, [&] { return policy->validate("The Very Last Entry"); });
  uncommon = std::async(std::launch::async, [&] { return policy->is_common("velvet otter juggles"); });
  while (policy->checks_that_waited() < 2) std::this_thread::yield();  // both checks are waiting
  EXPECT_FALSE(policy->loaded());
  write_all("the very last entry\n");
  writer.close();  // end of file for the loader

  EXPECT_THAT(last_entry.get(), ElementsAre(PasswordPolicy::kTooCommon));
  EXPECT_FALSE(uncommon.get());
  EXPECT_TRUE(policy->loaded());
  EXPECT_EQ(policy->common_password_count(), 3u);
  EXPECT_TRUE(policy->is_common("second entry here"));
  EXPECT_EQ(policy->checks_that_waited(), 2u) << "checks after the load do not wait";
}

// The policy can be destroyed while its list is still loading: the destructor waits for the load
// (which reads a file it already opened) instead of leaving a thread behind.
TEST(PasswordPolicyList, DestroyedWhileLoadingWaitsForTheLoad) {
  for (int i = 0; i < 3; ++i) {
    PasswordPolicy policy;
  }
  PasswordPolicy policy;
  EXPECT_TRUE(policy.is_common("qwerty123456"));
}

TEST(PasswordPolicyList, ListFromAVectorIsLoadedAtOnce) {
  PasswordPolicy policy(std::vector<std::string>{"Velvet Otter Juggles"});
  EXPECT_TRUE(policy.loaded());
  EXPECT_TRUE(policy.is_common("velvet otter JUGGLES"));
  EXPECT_EQ(policy.checks_that_waited(), 0u);
}

TEST(PasswordPolicyList, BundledFileIsLowerCasedDeduplicatedAndInRange) {
  std::ifstream in(default_common_passwords_path(), std::ios::binary);
  ASSERT_TRUE(in) << default_common_passwords_path();
  std::unordered_set<std::string> seen;
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    ASSERT_FALSE(line.empty()) << "line " << lines;
    ASSERT_EQ(line, ascii_lower(line)) << "line " << lines;
    ASSERT_TRUE(seen.insert(line).second) << "duplicate " << line;
    auto length = utf8_code_points(line);
    ASSERT_TRUE(length.has_value()) << "line " << lines;
    ASSERT_GE(*length, PasswordPolicy::kMinLength) << line;
    ASSERT_LE(*length, PasswordPolicy::kMaxLength) << line;
  }
  EXPECT_GE(lines, 10'000u);
}

}  // namespace
}  // namespace parley::auth
