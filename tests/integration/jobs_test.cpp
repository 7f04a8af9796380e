// Background jobs end to end (docs/jobs.md) on SQLite and PostgreSQL with the database broker, and
// on PostgreSQL with the Redis Streams and RabbitMQ brokers (a real Redis and RabbitMQ, keys and
// queues under a prefix of the test's own): the outbox, retries and dead letters through the admin endpoints, a worker killed with
// SIGKILL in the middle of a job, and two schedulers that fire a run once.
#include "child_process.hpp"
#include "messaging_fixture.hpp"

#include "amqp/connection.hpp"
#include "core/amqp_url.hpp"
#include "core/time.hpp"
#include "jobs/rabbitmq_broker.hpp"
#include "db/repositories/job_repository.hpp"
#include "db/testing.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <random>

namespace parley::testing {
namespace {

namespace json = boost::json;
namespace repo = db::repositories;
using namespace std::chrono_literals;

class JobsTest : public MessagingTest {
 protected:
  db::testing::TempDir scratch_;
  // This test's keys in the shared test Redis and queues in the shared RabbitMQ: suites running at
  // once never see each other's jobs.
  const std::string broker_prefix_ = "test" + std::to_string(std::random_device{}());

  void SetUp() override {
    if (message_broker() && broker_env().empty()) GTEST_SKIP() << broker_url_variable() << " is unset (see scripts/test-servers)";
    restart({});
  }

  // The broker under test: "database", "redis" or "rabbitmq" (GET /admin/jobs names it).
  std::string broker() const {
    if (GetParam() == "postgres_redis") return "redis";
    if (GetParam() == "postgres_rabbitmq") return "rabbitmq";
    return "database";
  }
  bool message_broker() const { return broker() != "database"; }
  const char* broker_url_variable() const {
    return broker() == "redis" ? "PARLEY_TEST_REDIS_URL" : "PARLEY_TEST_AMQP_URL";
  }
  // The broker's settings, for this fixture's servers and child processes.
  std::map<std::string, std::string> broker_env() {
    if (!message_broker()) return {};
    const char* url = std::getenv(broker_url_variable());
    if (url == nullptr || *url == '\0') return {};
    return {{"PARLEY_BROKER_URL", url}, {"PARLEY_BROKER_PREFIX", broker_prefix_}};
  }

  // Restarts the server with `env`, and returns its configuration (with the database URL of
  // this test's PostgreSQL database) for more servers or processes on the same database.
  Config restart(std::map<std::string, std::string> env) {
    if (GetParam() == "sqlite") {
      // A file several servers and processes open (the default database is private to one).
      env["PARLEY_DATABASE_URL"] = "sqlite://" + (scratch_.path() / "jobs.db").string();
    }
    env.merge(broker_env());
    start(env);
    return app().config();
  }
  void replace_server(const Config& config) {
    recorder_.reset();  // subscribed to the old server's bus
    server_->stop();
    server_.reset();
    server_ = std::make_unique<TestServer>(config);
    recorder_ = std::make_unique<EventRecorder>(server_->app());
  }

  // Enqueues testing.effect (jobs/builtin_tasks.hpp) with `payload` in a transaction of `app`,
  // committed unless `rollback`.
  std::optional<std::int64_t> enqueue(App& app, json::object payload, jobs::EnqueueOptions options = {},
                                      bool rollback = false) {
    return on_app_of(app,
                     [&app, payload = std::move(payload), options,
                      rollback]() -> boost::asio::awaitable<std::optional<std::int64_t>> {
                       auto tx = co_await app.database().begin();
                       auto id = co_await app.jobs().enqueue(*tx, "testing.effect", payload, options);
                       if (rollback) {
                         co_await tx->rollback();
                       } else {
                         co_await tx->commit();
                         app.jobs().committed();
                       }
                       co_return id;
                     }());
  }

  template <typename T>
  static T on_app_of(App& app, boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(app.primary_context(), std::move(task), boost::asio::use_future).get();
  }

  std::int64_t count(App& app, const std::string& sql) {
    return on_app_of(app, [&app, sql]() -> boost::asio::awaitable<std::int64_t> {
      auto rs = co_await app.database().execute(db::Query{"", sql});
      co_return rs.one().int64(0);
    }());
  }
  // How many times testing.effect made its effect for `key`.
  std::int64_t effects(App& app, const std::string& key) {
    // details is jsonb on PostgreSQL (printed with spaces), text on SQLite: match the quoted key alone.
    return count(app,
                 "SELECT count(*) FROM audit_log WHERE action = 'testing.effect' AND CAST(details AS text) LIKE '%\"" +
                     key + "\"%'");
  }
  std::int64_t jobs_with_id(App& app, std::int64_t id) {
    return count(app, "SELECT count(*) FROM jobs WHERE id = " + std::to_string(id));
  }
};

TEST_P(JobsTest, ACommittedJobRunsAndARolledBackOneNever) {
  auto rolled_back = enqueue(app(), {{"key", "rolled-back"}}, {}, /*rollback=*/true);
  ASSERT_TRUE(rolled_back);
  auto id = enqueue(app(), {{"key", "committed"}});
  ASSERT_TRUE(id);
  EXPECT_TRUE(eventually([&] { return effects(app(), "committed") == 1 && jobs_with_id(app(), *id) == 0; }));
  EXPECT_EQ(effects(app(), "rolled-back"), 0);
  EXPECT_EQ(jobs_with_id(app(), *rolled_back), 0);
}

TEST_P(JobsTest, ABacklogLargerThanTheConcurrencyIsWorkedOff) {
  // Jobs finish one by one while others still run: the worker claims again in batches and never
  // stalls with slots free (a spinning claim loop once starved the jobs' own completions).
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(enqueue(app(), {{"key", "backlog-" + std::to_string(i)}, {"sleep_ms", 5 + i % 7}}));
  // (With a message broker the jobs leave the table when handed over: count the effects.)
  EXPECT_TRUE(eventually(
      [&] {
        return count(app(), "SELECT count(*) FROM audit_log WHERE action = 'testing.effect'") == 40 &&
               count(app(), "SELECT count(*) FROM jobs") == 0;
      },
      20s));
  auto admin = user("root", "admin");
  auto stats = call(admin, "GET", "/api/v1/admin/jobs");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(stats.json().at("broker").as_string(), broker());
}

TEST_P(JobsTest, FailuresAreRetriedWithBackoffUntilTheTaskSucceeds) {
  auto id = enqueue(app(), {{"key", "flaky"}, {"fail_times", 2}});
  ASSERT_TRUE(id);
  EXPECT_TRUE(eventually([&] { return effects(app(), "flaky") == 1 && jobs_with_id(app(), *id) == 0; }, 10s));
}

TEST_P(JobsTest, ExhaustedJobsGoDeadAndAnAdminRetriesThem) {
  auto admin = user("root", "admin");
  auto member = user("mia");
  jobs::EnqueueOptions once;
  once.max_retries = 1;
  auto id = enqueue(app(), {{"key", "doomed"}, {"fail_times", 100}}, once);
  ASSERT_TRUE(id);
  EXPECT_TRUE(eventually(
      [&] {
        auto dead = call(admin, "GET", "/api/v1/admin/jobs/dead");
        return dead.status == 200 && !dead.json().at("results").as_array().empty();
      },
      10s));
  auto dead = call(admin, "GET", "/api/v1/admin/jobs/dead").json().at("results").as_array();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("id").as_int64(), *id);
  EXPECT_EQ(dead[0].at("task").as_string(), "testing.effect");
  EXPECT_EQ(dead[0].at("attempts").as_int64(), 2);
  EXPECT_NE(std::string(dead[0].at("last_error").as_string()).find("on purpose"), std::string::npos);
  EXPECT_EQ(effects(app(), "doomed"), 0);

  auto stats = call(admin, "GET", "/api/v1/admin/jobs");
  ASSERT_EQ(stats.status, 200) << stats.body;
  bool counted = false;
  const auto stats_json = stats.json();  // the loop below refers into it
  for (const auto& q : stats_json.at("queues").as_array()) {
    if (q.at("queue").as_string() == "default") counted = q.at("dead").as_int64() == 1;
  }
  EXPECT_TRUE(counted) << stats.body;

  EXPECT_EQ(call(member, "GET", "/api/v1/admin/jobs").status, 403);
  EXPECT_EQ(call(member, "POST", "/api/v1/admin/jobs/" + std::to_string(*id) + "/retry").status, 403);
  EXPECT_EQ(call(admin, "POST", "/api/v1/admin/jobs/999999/retry").status, 404);
  auto retried = call(admin, "POST", "/api/v1/admin/jobs/" + std::to_string(*id) + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json().at("attempts").as_int64(), 0);
  EXPECT_EQ(count(app(),
                  "SELECT count(*) FROM audit_log WHERE action = 'job.retried' AND target_id = " + std::to_string(*id)),
            1);
  // It fails again, twice, and is dead again: a second retry is allowed, a retry of a queued job is not.
  EXPECT_TRUE(eventually([&] { return count(app(), "SELECT count(*) FROM jobs WHERE status = 'dead'") == 1; }, 10s));
}

TEST_P(JobsTest, DelayedJobsWaitAndUniqueKeysDeduplicate) {
  auto admin = user("root", "admin");
  jobs::EnqueueOptions later;
  later.delay = 1h;
  later.unique_key = "digest:42";
  auto first = enqueue(app(), {{"key", "later"}}, later);
  ASSERT_TRUE(first);
  EXPECT_FALSE(enqueue(app(), {{"key", "later"}}, later)) << "the same unique key is queued";
  auto stats = call(admin, "GET", "/api/v1/admin/jobs").json();
  bool scheduled = false;
  for (const auto& q : stats.at("queues").as_array()) {
    if (q.at("queue").as_string() == "default")
      scheduled = q.at("scheduled").as_int64() == 1 && q.at("due").as_int64() == 0;
  }
  EXPECT_TRUE(scheduled) << json::serialize(stats);
  EXPECT_EQ(effects(app(), "later"), 0);
}

TEST_P(JobsTest, AWorkerKilledInTheMiddleOfAJobLosesItAndTheEffectHappensOnce) {
  auto config = restart({{"PARLEY_JOB_LEASE", "1s"}});
  // The in-process server must not take the job: it runs without a worker while the child works.
  auto no_worker = config;
  no_worker.run_worker = false;
  replace_server(no_worker);
  std::map<std::string, std::string> child_env{{"PARLEY_DATABASE_URL", config.database_url},
                                               {"PARLEY_LISTEN", "127.0.0.1:0"},
                                               {"PARLEY_JOB_LEASE", "1s"},
                                               {"PARLEY_TEST_TASKS", "1"},
                                               {"PARLEY_LOG_LEVEL", "info"},
                                               {"PARLEY_AUTO_MIGRATE", "1"},
                                               {"PATH", "/usr/bin:/bin"}};
  child_env.merge(broker_env());
  Child worker({parley_binary().string(), "worker"}, child_env, scratch_.path());
  ASSERT_TRUE(worker.wait_for_stderr(std::regex("worker .* started"), 20s)) << worker.err();
  auto id = enqueue(app(), {{"key", "killed"}, {"sleep_ms", 60000}});
  ASSERT_TRUE(id);
  // The effect is made, then the task sleeps: kill the worker now.
  ASSERT_TRUE(eventually([&] { return effects(app(), "killed") == 1; }, 20s)) << worker.err();
  ::kill(worker.pid(), SIGKILL);
  ASSERT_TRUE(worker.wait_for_exit(10s));

  // A live worker takes the job back once the lease ran out and runs it again (the sleep is for
  // the attempt that made the effect only): the job ends, and the effect was not made twice.
  replace_server(config);
  EXPECT_TRUE(eventually([&] { return jobs_with_id(app(), *id) == 0; }, 20s));
  // It ran to its end on the new worker (with a message broker the row left the table before).
  EXPECT_TRUE(eventually(
      [&] {
        auto metrics = http_request(port(), "GET", "/metrics");
        return metrics.body.find(R"(parley_jobs_finished_total{outcome="succeeded",task="testing.effect"} 1)") !=
               std::string::npos;
      },
      20s));
  EXPECT_EQ(effects(app(), "killed"), 1);
}

TEST_P(JobsTest, RabbitMqDeadLettersAJobWhoseWorkersKeepDyingAndDropsMessagesThatAreNotJobs) {
  if (broker() != "rabbitmq") GTEST_SKIP() << "RabbitMQ's delivery limit and dead-letter exchange";
  const std::string jobs_queue = broker_prefix_ + ".jobs.default";
  const std::string dead_queue = broker_prefix_ + ".dead";
  // Runs `body` with a connection of its own to the test RabbitMQ.
  auto with_rabbitmq = [&]<typename T>(std::function<boost::asio::awaitable<T>(amqp::Connection&)> body) {
    return on_app_of(app(), [&]() -> boost::asio::awaitable<T> {
      amqp::ConnectionConfig config{.url = amqp::parse_url(std::getenv("PARLEY_TEST_AMQP_URL"))};
      auto connection = co_await amqp::Connection::open(config);
      auto result = co_await body(*connection);
      co_await connection->close();
      co_return result;
    }());
  };
  // Messages ready in the job queue and the dead queue; nullopt until the worker declared them.
  using Depths = std::optional<std::pair<std::uint32_t, std::uint32_t>>;
  auto depths = [&] {
    return with_rabbitmq.operator()<Depths>([&](amqp::Connection& connection) -> boost::asio::awaitable<Depths> {
      try {
        auto jobs = co_await connection.inspect_queue(jobs_queue);
        auto dead = co_await connection.inspect_queue(dead_queue);
        co_return std::pair(jobs.messages, dead.messages);
      } catch (const amqp::Error&) {  // 404: not declared yet
        co_return std::nullopt;
      }
    });
  };
  ASSERT_TRUE(eventually([&] { return depths().has_value(); }, 10s));

  // No worker now. A job as the relay publishes it, and a message that is not a job.
  auto config = app().config();
  auto no_worker = config;
  no_worker.run_worker = false;
  replace_server(no_worker);
  with_rabbitmq.operator()<bool>([&](amqp::Connection& connection) -> boost::asio::awaitable<bool> {
    amqp::Message job;
    job.routing_key = jobs_queue;
    job.body = R"({"key":"crash-loop"})";
    job.properties.message_id = "987654";
    job.properties.type = "testing.effect";
    job.properties.headers = {{"queue", "default"}, {"attempts", 1},       {"max_attempts", 3},
                              {"backoff_ms", 1000}, {"timeout_ms", 60000}, {"priority", 0},
                              {"waited_ms", 0},     {"relayed_at_ms", 0}};
    co_await connection.publish(job);
    co_return true;
  });
  // Workers that take it and die (their connection closes before the ack), again and again:
  // RabbitMQ redelivers it up to its delivery limit, then dead-letters it.
  int deliveries = 0;
  for (; deliveries < 2 * jobs::RabbitMqBroker::kDeliveryLimit; ++deliveries) {
    ASSERT_TRUE(eventually([&] { return depths() != Depths(std::pair(0u, 0u)); }, 10s));
    if (depths()->second == 1) break;  // dead-lettered
    with_rabbitmq.operator()<bool>([&](amqp::Connection& connection) -> boost::asio::awaitable<bool> {
      auto consumer = co_await connection.consume(jobs_queue);
      auto delivery = co_await consumer->next();
      co_return delivery.has_value();  // closing the connection without an ack: a worker dying
    });
  }
  EXPECT_EQ(deliveries, jobs::RabbitMqBroker::kDeliveryLimit + 1);
  ASSERT_EQ(depths(), Depths(std::pair(0u, 1u)));
  with_rabbitmq.operator()<bool>([&](amqp::Connection& connection) -> boost::asio::awaitable<bool> {
    amqp::Message garbage;
    garbage.routing_key = jobs_queue;
    garbage.body = "not a job";
    co_await connection.publish(garbage);
    co_return true;
  });

  // A worker again: the dead-lettered job goes to the table, dead; the other message is rejected
  // to the dead queue and dropped from there.
  replace_server(config);
  auto admin = user("root", "admin");
  EXPECT_TRUE(eventually(
      [&] { return count(app(), "SELECT count(*) FROM jobs WHERE id = 987654 AND status = 'dead'") == 1; }, 10s));
  auto dead = call(admin, "GET", "/api/v1/admin/jobs/dead");
  ASSERT_EQ(dead.status, 200) << dead.body;
  const auto dead_json = dead.json();  // the reference below points into it
  const auto& listed = dead_json.at("results").as_array();
  ASSERT_EQ(listed.size(), 1u) << dead.body;
  EXPECT_EQ(listed[0].at("id").as_int64(), 987654);
  EXPECT_NE(std::string(listed[0].at("last_error").as_string()).find("dead-lettered"), std::string::npos) << dead.body;
  EXPECT_EQ(effects(app(), "crash-loop"), 0);
  EXPECT_TRUE(eventually([&] { return depths() == Depths(std::pair(0u, 0u)); }, 10s));
  // A retry from the admin endpoints runs it through RabbitMQ once more.
  ASSERT_EQ(call(admin, "POST", "/api/v1/admin/jobs/987654/retry").status, 200);
  EXPECT_TRUE(eventually([&] { return effects(app(), "crash-loop") == 1 && jobs_with_id(app(), 987654) == 0; }, 10s));
}

TEST_P(JobsTest, WhenTheMessageBrokerIsDownTheRelayPutsJobsBackAtOnceUncounted) {
  if (!message_broker()) GTEST_SKIP() << "the database broker has no relay";
  auto healthy = http_request(port(), "GET", "/readyz").json();
  EXPECT_EQ(healthy.at("checks").at("broker").at("status"), "ok") << healthy;
  // A broker nobody listens on: the relay claims the job, fails to hand it over, and gives the
  // row back at once instead of holding it for its lease.
  auto config = app().config();
  config.broker_url = broker() == "redis" ? "redis://127.0.0.1:1" : "amqp://guest:guest@127.0.0.1:1/";
  LogCapture logs;
  recorder_.reset();
  server_->stop();
  server_ = std::make_unique<TestServer>(config, nullptr, &logs);
  recorder_ = std::make_unique<EventRecorder>(server_->app());
  auto id = enqueue(app(), {{"key", "undelivered"}});
  ASSERT_TRUE(id);
  ASSERT_TRUE(eventually([&] { return logs.contents().find("jobs not handed over") != std::string::npos; }, 10s))
      << logs.contents();
  // Back in its queue (the relay retries after a growing pause, each try holding the row for a
  // moment only); held for the relay's 30 s lease it would not be.
  EXPECT_TRUE(eventually(
      [&] {
        return count(app(), "SELECT count(*) FROM jobs WHERE id = " + std::to_string(*id) +
                                " AND status = 'queued' AND attempts = 0 AND locked_by IS NULL") == 1;
      },
      10s));
  EXPECT_EQ(effects(app(), "undelivered"), 0);
  // Readiness names the broker: a worker cannot work without it, an API replica only degrades.
  auto ready = http_request(port(), "GET", "/readyz");
  EXPECT_EQ(ready.json().at("checks").at("broker").at("status"), config.run_worker ? "failing" : "degraded")
      << ready.body;
  EXPECT_EQ(ready.status, config.run_worker ? 503 : 200);
}

TEST_P(JobsTest, TwoSchedulersFireEachRunOnce) {
  auto config = restart({{"PARLEY_SCHEDULES", "minutely=* * * * * missed=catch_up testing.effect; cleanup=off; "
                                          "orphaned_uploads=off; deleted_messages=off; analytics_rollup=off"}});
  // A firing three minutes ago: the runs due since were missed, and catch_up fires the latest once.
  on_app_of(app(), [this]() -> boost::asio::awaitable<void> {
    auto& db = app().database();
    const auto past = format_rfc3339(std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now()) - 3min);
    std::array<db::Value, 1> params{past};
    co_await db.execute(db::Query{"", db.dialect() == db::Dialect::postgres
                                          ? "INSERT INTO schedule_runs (schedule, fire_at, fence) VALUES "
                                            "('minutely', CAST($1 AS timestamptz), 0)"
                                          : "INSERT INTO schedule_runs (schedule, fire_at, fence) VALUES "
                                            "('minutely', $1, 0)"},
                        params);
  }());
  config.run_scheduler = true;
  replace_server(config);
  TestServer other(config);
  auto& app_a = app();
  auto& app_b = other.app();
  EXPECT_TRUE(eventually([&] { return count(app_a, "SELECT count(*) FROM schedule_runs WHERE fence > 0") >= 1; }, 10s));
  // Both schedulers stop; then every recorded run has made exactly one effect.
  on_app_of(app_a, app_a.scheduler()->stop());
  on_app_of(app_b, app_b.scheduler()->stop());
  const auto runs = count(app_a, "SELECT count(*) FROM schedule_runs WHERE fence > 0");
  EXPECT_GE(runs, 1);
  EXPECT_TRUE(eventually(
      [&] {
        return count(app_a, "SELECT count(*) FROM jobs") == 0 &&
               count(app_a, "SELECT count(*) FROM audit_log WHERE action = 'testing.effect'") == runs;
      },
      10s))
      << count(app_a, "SELECT count(*) FROM audit_log WHERE action = 'testing.effect'") << " effects for " << runs
      << " runs";
  other.stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, JobsTest, ::testing::Values("sqlite", "postgres", "postgres_redis", "postgres_rabbitmq"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
