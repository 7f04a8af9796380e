#include "db/repositories/job_repository.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "db/repositories/repo_test_fixture.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

class JobRepoTest : public RepoTest {
 protected:
  JobRepository jobs_{GetParam()};

  NewJob job(std::string task = "system.noop", std::string queue = "default") {
    return NewJob{.queue = std::move(queue),
                  .task = std::move(task),
                  .payload_json = R"({"n":1})",
                  .priority = 0,
                  .max_attempts = 2,
                  .backoff_ms = 1000,
                  .timeout_ms = 5000,
                  .delay_seconds = 0,
                  .dedupe_key = std::nullopt};
  }
  std::int64_t enqueue(const NewJob& j) {
    auto id = run(jobs_.enqueue(*db_, j));
    EXPECT_TRUE(id);
    return id.value_or(0);
  }
  std::vector<ClaimedJob> claim(const std::string& worker, int limit = 10, std::vector<std::string> queues = {},
                                double lease = 30) {
    return run(jobs_.claim(*db_, worker, queues, limit, lease));
  }
  std::int64_t count_rows(const char* sql) { return run(db_->execute(Query{"", sql})).one().int64(0); }
};

TEST_P(JobRepoTest, ClaimsDueJobsOnceByPriorityThenAge) {
  auto low = enqueue(job());
  auto high_job = job();
  high_job.priority = 10;
  auto high = enqueue(high_job);
  auto later = job();
  later.delay_seconds = 3600;
  enqueue(later);

  auto first = claim("w1", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, high) << "highest priority first";
  EXPECT_EQ(first[0].attempts, 1);
  EXPECT_EQ(first[0].payload_json.find("\"n\""), 1u);
  auto second = claim("w2");
  ASSERT_EQ(second.size(), 1u) << "the delayed job is not due, the high one is taken";
  EXPECT_EQ(second[0].id, low);
  EXPECT_TRUE(claim("w3").empty());
}

TEST_P(JobRepoTest, ClaimsOnlyTheAskedQueues) {
  auto mail = enqueue(job("mail.password_reset", "mail"));
  enqueue(job("system.noop", "default"));
  std::vector<std::string> queues{"mail", "webhooks"};
  auto claimed = claim("w", 10, queues);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, mail);
  EXPECT_EQ(claimed[0].queue, "mail");
}

TEST_P(JobRepoTest, CompletionDeletesAndNeedsTheLease) {
  auto id = enqueue(job());
  auto claimed = claim("w1");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_FALSE(run(jobs_.complete(*db_, id, "someone-else", 1)));
  EXPECT_FALSE(run(jobs_.complete(*db_, id, "w1", 2))) << "another attempt's number";
  EXPECT_TRUE(run(jobs_.complete(*db_, id, "w1", 1)));
  EXPECT_FALSE(run(jobs_.find(*db_, id)));
}

TEST_P(JobRepoTest, FailureRetriesWithDelayThenDies) {
  auto id = enqueue(job());  // max_attempts 2
  ASSERT_EQ(claim("w").size(), 1u);
  EXPECT_EQ(run(jobs_.fail(*db_, id, "w", 1, "boom", 3600)), FailOutcome::retried);
  auto row = run(jobs_.find(*db_, id));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "queued");
  EXPECT_EQ(row->last_error, std::optional<std::string>("boom"));
  EXPECT_TRUE(claim("w").empty()) << "not due before its backoff";

  ASSERT_EQ(run(jobs_.fail(*db_, id, "w", 1, "again", 0)), FailOutcome::lost) << "not running any more";
  // Make it due again and fail the last attempt.
  run(db_->execute(Query{"", "UPDATE jobs SET run_at = created_at"}));
  auto claimed = claim("w");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempts, 2);
  EXPECT_EQ(run(jobs_.fail(*db_, id, "w", 2, "still boom", 0)), FailOutcome::dead);
  row = run(jobs_.find(*db_, id));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "dead");
  EXPECT_TRUE(row->finished_at);
  auto dead = run(jobs_.list(*db_, "dead", kNoUpperId, 10));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, id);

  EXPECT_TRUE(run(jobs_.retry_dead(*db_, id)));
  EXPECT_FALSE(run(jobs_.retry_dead(*db_, id))) << "no longer dead";
  claimed = claim("w");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempts, 1) << "attempts start over";
}

TEST_P(JobRepoTest, ExpiredLeasesAreReapedAndHeartbeatsKeepThem) {
  auto a = enqueue(job());
  auto b = enqueue(job());
  ASSERT_EQ(claim("alive", 1, {}, 30).size(), 1u);
  ASSERT_EQ(claim("crashed", 1, {}, 30).size(), 1u);
  // The crashed worker's lease runs out; the live one renews its own.
  run(db_->execute(Query{"", "UPDATE jobs SET locked_until = '2000-01-01T00:00:00.000Z' WHERE locked_by = 'crashed'"}));
  EXPECT_EQ(run(jobs_.heartbeat(*db_, "alive", 30)), 1);
  auto reaped = run(jobs_.reap_expired(*db_));
  EXPECT_EQ(reaped.requeued, 1);
  EXPECT_TRUE(reaped.dead_tasks.empty()) << "requeued, not dead";
  auto statuses = std::set<std::string>{run(jobs_.find(*db_, a))->status, run(jobs_.find(*db_, b))->status};
  EXPECT_EQ(statuses, (std::set<std::string>{"queued", "running"}));
  auto again = claim("other");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2) << "the lost attempt counts";
}

TEST_P(JobRepoTest, ReapingTheLastAttemptLeavesItDead) {
  auto one_shot = job();
  one_shot.max_attempts = 1;
  auto id = enqueue(one_shot);
  ASSERT_EQ(claim("crashed").size(), 1u);
  // Long past: created_at can equal SQLite's millisecond clock at the reap, and the lease would not
  // have run out yet.
  run(db_->execute(Query{"", "UPDATE jobs SET locked_until = '2000-01-01T00:00:00.000Z'"}));
  EXPECT_EQ(run(jobs_.reap_expired(*db_)).dead_tasks, std::vector<std::string>{"system.noop"});
  EXPECT_EQ(run(jobs_.find(*db_, id))->status, "dead");
}

TEST_P(JobRepoTest, RequeueOnShutdownDoesNotCountTheAttempt) {
  auto id = enqueue(job());
  ASSERT_EQ(claim("leaving").size(), 1u);
  EXPECT_EQ(run(jobs_.requeue_worker(*db_, "leaving")), 1);
  auto row = run(jobs_.find(*db_, id));
  EXPECT_EQ(row->status, "queued");
  EXPECT_EQ(row->attempts, 0);
}

TEST_P(JobRepoTest, ABrokersReturnKeepsTheIdReplacesTheRelaysCopyAndHappensOnce) {
  auto id = enqueue(job());
  auto relayed = claim("relay:a");
  ASSERT_EQ(relayed.size(), 1u);
  // A worker failed the job before the relay deleted its row: the return replaces that row...
  ReturnedJob retry{.job = relayed[0], .dead = false, .attempts = 1, .delay_seconds = 3600, .error = "boom"};
  EXPECT_TRUE(run(jobs_.return_job(*db_, retry)));
  const std::array<std::int64_t, 1> ids{id};
  EXPECT_EQ(run(jobs_.remove_relayed(*db_, ids, "relay:a")), 0) << "...and the relay's delete passes over it";
  auto row = run(jobs_.find(*db_, id));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "queued");
  EXPECT_EQ(row->attempts, 1);
  EXPECT_EQ(row->last_error, "boom");
  EXPECT_TRUE(claim("relay:a").empty()) << "due in an hour";
  EXPECT_FALSE(run(jobs_.return_job(*db_, retry))) << "a second return of the same delivery changes nothing";

  // Handed over and deleted, then returned dead under the same id.
  auto other = enqueue(job());
  auto handed = claim("relay:b");
  ASSERT_EQ(handed.size(), 1u);
  const std::array<std::int64_t, 1> other_ids{other};
  EXPECT_EQ(run(jobs_.remove_relayed(*db_, other_ids, "relay:b")), 1);
  EXPECT_FALSE(run(jobs_.find(*db_, other)));
  ReturnedJob dead{.job = handed[0], .dead = true, .attempts = 2, .delay_seconds = 0, .error = "gave up"};
  EXPECT_TRUE(run(jobs_.return_job(*db_, dead)));
  auto dead_row = run(jobs_.find(*db_, other));
  ASSERT_TRUE(dead_row);
  EXPECT_EQ(dead_row->status, "dead");
  EXPECT_TRUE(dead_row->finished_at);
  // Identity columns go on after returned ids.
  EXPECT_GT(enqueue(job()), other);
}

TEST_P(JobRepoTest, DedupeKeyHoldsWhileQueuedOrRunning) {
  auto keyed = job();
  keyed.dedupe_key = "digest:7";
  auto id = enqueue(keyed);
  EXPECT_FALSE(run(jobs_.enqueue(*db_, keyed))) << "already queued";
  ASSERT_EQ(claim("w").size(), 1u);
  EXPECT_FALSE(run(jobs_.enqueue(*db_, keyed))) << "already running";
  ASSERT_TRUE(run(jobs_.complete(*db_, id, "w", 1)));
  EXPECT_TRUE(run(jobs_.enqueue(*db_, keyed))) << "finished: a new one may be queued";
}

TEST_P(JobRepoTest, EnqueueInARolledBackTransactionLeavesNothing) {
  {
    auto tx = run(db_->begin());
    EXPECT_TRUE(run(jobs_.enqueue(*tx, job())));
    run(tx->rollback());
  }
  EXPECT_EQ(count_rows("SELECT count(*) FROM jobs"), 0);
}

TEST_P(JobRepoTest, CountsByQueueAndState) {
  enqueue(job("a.b", "default"));
  auto later = job("a.b", "default");
  later.delay_seconds = 600;
  enqueue(later);
  enqueue(job("a.b", "mail"));
  std::vector<std::string> mail{"mail"};
  ASSERT_EQ(claim("w", 10, mail).size(), 1u);
  auto counts = run(jobs_.counts(*db_));
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].queue, "default");
  EXPECT_EQ(counts[0].queued, 2);
  EXPECT_EQ(counts[0].due, 1);
  EXPECT_TRUE(counts[0].oldest_due_at);
  EXPECT_EQ(counts[1].queue, "mail");
  EXPECT_EQ(counts[1].running, 1);
}

TEST_P(JobRepoTest, EffectsAreClaimedOnce) {
  EXPECT_TRUE(run(jobs_.claim_effect(*db_, "job:1:mail")));
  EXPECT_FALSE(run(jobs_.claim_effect(*db_, "job:1:mail")));
  EXPECT_TRUE(run(jobs_.claim_effect(*db_, "job:2:mail")));
  EXPECT_EQ(run(jobs_.purge_effects(*db_, 3600)), 0) << "nothing that old";
  EXPECT_EQ(run(jobs_.purge_effects(*db_, -3600)), 2) << "a cutoff in the future takes every key";
}

TEST_P(JobRepoTest, OneLeaseHolderAtATimeAndTheFenceGrowsOnTakeover) {
  auto first = run(jobs_.acquire_lease(*db_, "scheduler", "a", 30));
  ASSERT_TRUE(first);
  EXPECT_EQ(run(jobs_.acquire_lease(*db_, "scheduler", "a", 30)), first) << "renewal keeps the fence";
  EXPECT_FALSE(run(jobs_.acquire_lease(*db_, "scheduler", "b", 30))) << "held by a";
  run(jobs_.release_lease(*db_, "scheduler", "a"));
  auto second = run(jobs_.acquire_lease(*db_, "scheduler", "b", 30));
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first);

  // a's stale fence records nothing; b's records each run once.
  EXPECT_FALSE(run(jobs_.record_firing(*db_, "cleanup", "2026-12-04T10:00:00.000Z", "scheduler", "a", *first)));
  EXPECT_TRUE(run(jobs_.record_firing(*db_, "cleanup", "2026-12-04T10:00:00.000Z", "scheduler", "b", *second)));
  EXPECT_FALSE(run(jobs_.record_firing(*db_, "cleanup", "2026-12-04T10:00:00.000Z", "scheduler", "b", *second)));
  EXPECT_TRUE(run(jobs_.record_firing(*db_, "cleanup", "2026-12-04T11:00:00.000Z", "scheduler", "b", *second)));
  EXPECT_EQ(run(jobs_.last_firing(*db_, "cleanup")), std::optional<std::string>("2026-12-04T11:00:00.000Z"));
  EXPECT_EQ(run(jobs_.last_firing(*db_, "other")), std::nullopt);
}

PARLEY_INSTANTIATE_REPO_TEST(JobRepoTest);

}  // namespace
}  // namespace parley::db::repositories
