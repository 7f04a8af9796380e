#include "jobs/jobs.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::jobs {
namespace {

using namespace std::chrono_literals;

TEST(RetryDelay, DoublesPerAttemptWithinTheJitterBand) {
  EXPECT_EQ(retry_delay(1, 2000ms, 0.5), 2000ms) << "the middle of the band is the base";
  EXPECT_EQ(retry_delay(2, 2000ms, 0.5), 4000ms);
  EXPECT_EQ(retry_delay(4, 2000ms, 0.5), 16000ms);
  EXPECT_EQ(retry_delay(1, 2000ms, 0.0), 1500ms) << "-25%";
  EXPECT_EQ(retry_delay(1, 2000ms, 0.999999), 2500ms) << "just under +25%";
}

TEST(RetryDelay, IsCappedAtAnHourAndNeverNegative) {
  EXPECT_EQ(retry_delay(30, 2000ms, 0.5), 3600s);
  EXPECT_EQ(retry_delay(1000, 2000ms, 0.5), 3600s) << "no overflow for absurd attempts";
  EXPECT_EQ(retry_delay(0, 2000ms, 0.5), 2000ms);
  EXPECT_EQ(retry_delay(3, 0ms, 0.5), 0ms);
  EXPECT_EQ(retry_delay(1, 1000ms, -3.0), 750ms) << "a unit outside [0,1) is clamped";
}

TEST(TaskRegistry, RefusesBadAndDuplicateNames) {
  TaskRegistry registry;
  auto noop = [](JobContext&) -> boost::asio::awaitable<void> { co_return; };
  registry.add(Task{.name = "mail.password_reset", .defaults = {}, .handler = noop});
  EXPECT_THROW(registry.add(Task{.name = "mail.password_reset", .defaults = {}, .handler = noop}),
               std::invalid_argument);
  for (const char* bad : {"", "Mail.x", "mail..x", ".mail", "mail.", "mail-x", "mail x"}) {
    EXPECT_THROW(registry.add(Task{.name = bad, .defaults = {}, .handler = noop}), std::invalid_argument) << bad;
  }
  TaskDefaults bad_queue;
  bad_queue.queue = "Mail";
  EXPECT_THROW(registry.add(Task{.name = "a.b", .defaults = bad_queue, .handler = noop}), std::invalid_argument);
  EXPECT_THROW(registry.add(Task{.name = "a.c", .defaults = {}, .handler = {}}), std::invalid_argument);
  TaskDefaults mail;
  mail.queue = "mail";
  registry.add(Task{.name = "digest.send", .defaults = mail, .handler = noop});
  EXPECT_NE(registry.find("digest.send"), nullptr);
  EXPECT_EQ(registry.find("digest.sen"), nullptr);
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"digest.send", "mail.password_reset"}));
  EXPECT_EQ(registry.queues(), (std::vector<std::string>{"default", "mail"}));
}

TEST(QueueNames, AreLowerCaseLettersAndUnderscores) {
  EXPECT_TRUE(valid_queue_name("mail"));
  EXPECT_TRUE(valid_queue_name("web_hooks"));
  EXPECT_FALSE(valid_queue_name(""));
  EXPECT_FALSE(valid_queue_name("Mail"));
  EXPECT_FALSE(valid_queue_name("a-b"));
  EXPECT_FALSE(valid_queue_name(std::string(65, 'a')));
}

TEST(FailureBackoff, DoublesFromThePollUpToThirtySeconds) {
  using std::chrono::milliseconds;
  EXPECT_EQ(failure_backoff(milliseconds(1000), 1), milliseconds(2000));
  EXPECT_EQ(failure_backoff(milliseconds(1000), 4), milliseconds(16000));
  EXPECT_EQ(failure_backoff(milliseconds(1000), 5), milliseconds(30000));
  EXPECT_EQ(failure_backoff(milliseconds(100), 50), milliseconds(3200)) << "x32 at most";
}

}  // namespace
}  // namespace parley::jobs
