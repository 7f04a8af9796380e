// Email notifications end to end (docs/notifications.md) on SQLite and PostgreSQL, through the
// real SMTP server scripts/test-servers starts (aiosmtpd delivering into a Maildir): an offline
// user who is mentioned gets one digest; reading in time, or the setting "none", means no mail;
// mentions within the delay share one digest; a later digest does not repeat an earlier one; a
// user with an active socket gets none. The delay is short here (PARLEY_NOTIFY_DELAY) and every
// wait polls for an outcome with a deadline.
#include "messaging_fixture.hpp"
#include "ws_client.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace parley::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class NotificationsTest : public MessagingTest {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PARLEY_TEST_SMTP_URL");
    const char* maildir = std::getenv("PARLEY_TEST_SMTP_MAILDIR");
    if (url == nullptr || maildir == nullptr)
      GTEST_SKIP() << "PARLEY_TEST_SMTP_URL is not set (see scripts/test-servers)";
    maildir_ = fs::path(maildir) / "new";
    start_with_delay("1s");
  }

  void start_with_delay(const std::string& delay) {
    start({{"PARLEY_MAIL_URL", std::getenv("PARLEY_TEST_SMTP_URL")},
           {"PARLEY_PUBLIC_URL", "https://chat.example.com"},
           {"PARLEY_NOTIFY_DELAY", delay},
           // An active socket's user is marked seen every second (TTL / 3).
           {"PARLEY_PRESENCE_TTL", "3s"}});
    if (HasFatalFailure() || IsSkipped()) return;
    alice_ = user("alice" + suffix_);
    bob_ = user("bob" + suffix_);
    group_ = group(alice_, {bob_.id}, "team");
  }

  // The mails delivered to `u` so far, decoded from quoted-printable well enough to search.
  std::vector<std::string> mails_to(const TestUser& u) const {
    std::vector<std::string> out;
    if (!fs::exists(maildir_)) return out;
    const std::string to = "To: " + u.username + "@example.com\r\n";
    for (const auto& entry : fs::directory_iterator(maildir_)) {
      auto text = read_all(entry.path());
      // aiosmtpd's Mailbox may write LF line endings: accept both.
      if (text.find(to) == std::string::npos && text.find(to.substr(0, to.size() - 2) + "\n") == std::string::npos) {
        continue;
      }
      text = std::regex_replace(text, std::regex("=\r?\n"), "");
      text = std::regex_replace(text, std::regex("=3D"), "=");
      out.push_back(std::move(text));
    }
    return out;
  }

  std::int64_t count(std::string_view sql, std::int64_t user_id) {
    return on_app([this, sql, user_id]() -> boost::asio::awaitable<std::int64_t> {
      std::array<db::Value, 1> params{user_id};
      auto rs = co_await app().database().execute(db::Query{sql, sql}, params);
      co_return rs.one().int64(0);
    }());
  }
  std::int64_t scalar(std::string_view sql) {
    return on_app([this, sql]() -> boost::asio::awaitable<std::int64_t> {
      auto rs = co_await app().database().execute(db::Query{sql, sql});
      co_return rs.one().opt_int64(0).value_or(0);
    }());
  }

  // Everything committed so far went through: the dispatcher read the log to its head, and `u`
  // has no digest waiting, running or to be mailed.
  bool settled(const TestUser& u) {
    events().all();  // the log is numbered up to what committed
    return scalar("SELECT last_position FROM notification_dispatch") >= scalar("SELECT max(position) FROM events") &&
           count("SELECT count(*) FROM notification_pending WHERE user_id = $1", u.id) == 0 &&
           scalar("SELECT count(*) FROM jobs WHERE task = 'notifications.digest'") == 0;
  }

  std::int64_t mention_bob(const std::string& text) {
    return send(alice_, group_, "@" + bob_.username + " " + text).at("id").as_int64();
  }

  fs::path maildir_;
  std::string suffix_ = std::to_string(std::random_device{}() % 1000000);
  TestUser alice_, bob_;
  std::int64_t group_ = 0;
};

TEST_P(NotificationsTest, OfflineUserMentionedGetsExactlyOneDigest) {
  const auto id = mention_bob("lunch-" + suffix_ + " <b>bold</b>?");
  ASSERT_TRUE(eventually([&] { return mails_to(bob_).size() == 1; }, 15s));
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  auto mails = mails_to(bob_);
  ASSERT_EQ(mails.size(), 1u);
  const auto& mail = mails.front();
  EXPECT_NE(mail.find("lunch-" + suffix_), std::string::npos);
  EXPECT_NE(mail.find("mentioned you in team"), std::string::npos);
  EXPECT_NE(
      mail.find("https://chat.example.com/conversations/" + std::to_string(group_) + "?message=" + std::to_string(id)),
      std::string::npos);
  EXPECT_NE(mail.find("List-Unsubscribe: <https://chat.example.com/settings/notifications>"), std::string::npos);
  EXPECT_NE(mail.find("Auto-Submitted: auto-generated"), std::string::npos);
  // The user's markup reaches the HTML part escaped, never as markup.
  EXPECT_NE(mail.find("&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(mail.find("<b>bold</b>"), mail.rfind("<b>bold</b>")) << "only the text part has it raw";
  EXPECT_TRUE(mails_to(alice_).empty()) << "the sender is never notified";
}

TEST_P(NotificationsTest, ReadingBeforeTheDelayMeansNoMail) {
  start_with_delay("2s");
  const auto id = mention_bob("read-me-" + suffix_);
  // Dispatched (a digest is scheduled with the message), then read before the digest runs.
  ASSERT_TRUE(
      eventually([&] { return count("SELECT count(*) FROM notification_pending WHERE user_id = $1", bob_.id) == 1; }));
  auto read = call(bob_, "POST", conversation_path(group_) + "/read", json::object{{"up_to_message_id", id}});
  ASSERT_TRUE(read.status == 200 || read.status == 204) << read.status << " " << read.body;
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  EXPECT_TRUE(mails_to(bob_).empty());
}

TEST_P(NotificationsTest, SwitchingToNoneCancelsWhatWaits) {
  start_with_delay("2s");
  mention_bob("cancelled-" + suffix_);
  ASSERT_TRUE(
      eventually([&] { return count("SELECT count(*) FROM notification_pending WHERE user_id = $1", bob_.id) == 1; }));
  auto patched = call(bob_, "PATCH", "/api/v1/users/me/settings", json::object{{"email_notifications", "none"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  EXPECT_TRUE(mails_to(bob_).empty());
}

TEST_P(NotificationsTest, NoneMeansNoMail) {
  auto patched = call(bob_, "PATCH", "/api/v1/users/me/settings", json::object{{"email_notifications", "none"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  mention_bob("ignored-" + suffix_);
  auto direct = conversation(alice_, {{"kind", "direct"}, {"member_ids", json::array{bob_.id}}}).at("id").as_int64();
  send(alice_, direct, "direct-ignored-" + suffix_);
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  EXPECT_TRUE(mails_to(bob_).empty());
}

TEST_P(NotificationsTest, MentionsWithinTheDelayShareOneDigest) {
  start_with_delay("2s");
  mention_bob("first-" + suffix_);
  auto direct = conversation(alice_, {{"kind", "direct"}, {"member_ids", json::array{bob_.id}}}).at("id").as_int64();
  send(alice_, direct, "second-" + suffix_);
  ASSERT_TRUE(eventually([&] { return mails_to(bob_).size() == 1; }, 15s));
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  auto mails = mails_to(bob_);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails.front().find("first-" + suffix_), std::string::npos);
  EXPECT_NE(mails.front().find("second-" + suffix_), std::string::npos);
  EXPECT_NE(mails.front().find("2 unread messages in 2 conversations"), std::string::npos);
  EXPECT_EQ(count("SELECT digests_sent FROM notification_state WHERE user_id = $1", bob_.id), 1);
}

TEST_P(NotificationsTest, ALaterDigestDoesNotRepeatAnEarlierOne) {
  mention_bob("earlier-" + suffix_);
  ASSERT_TRUE(eventually([&] { return mails_to(bob_).size() == 1; }, 15s));
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  mention_bob("later-" + suffix_);
  ASSERT_TRUE(eventually([&] { return mails_to(bob_).size() == 2; }, 15s));
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 15s));
  auto mails = mails_to(bob_);
  ASSERT_EQ(mails.size(), 2u);
  int with_earlier = 0;
  int with_later = 0;
  for (const auto& mail : mails) {
    with_earlier += mail.find("earlier-" + suffix_) != std::string::npos;
    with_later += mail.find("later-" + suffix_) != std::string::npos;
  }
  EXPECT_EQ(with_earlier, 1);
  EXPECT_EQ(with_later, 1);
}

TEST_P(NotificationsTest, UserWithAnActiveSocketGetsNoMail) {
  start_with_delay("4s");
  WsClient socket(port(), "/api/v1/realtime", {{"Authorization", "Bearer " + bob_.access}});
  ASSERT_TRUE(socket.accepted()) << socket.status();
  // The real-time layer marks an active user seen at once, then every TTL / 3 (1 s here): by the
  // time the digest runs, bob was seen after the message arrived.
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT count(*) FROM users WHERE id = $1 AND last_seen_at IS NOT NULL", bob_.id) == 1; },
      10s));
  mention_bob("while-online-" + suffix_);
  ASSERT_TRUE(eventually([&] { return settled(bob_); }, 20s));
  EXPECT_TRUE(mails_to(bob_).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, NotificationsTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
