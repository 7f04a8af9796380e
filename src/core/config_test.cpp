#include "core/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace parley {
namespace {

Config::Loaded load(std::map<std::string, std::string> env) {
  return Config::load([&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Config, DefaultsWithoutEnvironment) {
  auto loaded = load({});
  EXPECT_TRUE(loaded.problems.empty());
  EXPECT_EQ(loaded.config.listen.host, "127.0.0.1");
  EXPECT_EQ(loaded.config.listen.port, 8000);
  EXPECT_GE(loaded.config.threads, 1u);
  EXPECT_TRUE(loaded.config.uses_sqlite());
  EXPECT_TRUE(loaded.config.effective_auto_migrate());
  EXPECT_EQ(loaded.config.effective_log_format(), "text");
}

TEST(Config, ParsesTypedValues) {
  auto loaded = load({{"PARLEY_LISTEN", "[::1]:0"},
                      {"PARLEY_READ_TIMEOUT", "250ms"},
                      {"PARLEY_MAX_BODY_BYTES", "2MiB"},
                      {"PARLEY_CORS_ORIGINS", "https://a.example, http://localhost:3000"},
                      {"PARLEY_ENV", "production"}});
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems.front();
  EXPECT_EQ(loaded.config.listen.host, "::1");
  EXPECT_EQ(loaded.config.listen.port, 0);
  EXPECT_EQ(loaded.config.read_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(loaded.config.max_body_bytes, 2u << 20);
  EXPECT_EQ(loaded.config.cors_origins.size(), 2u);
  EXPECT_EQ(loaded.config.effective_log_format(), "json");
}

TEST(Config, ProblemsNameTheVariableAndTheExpectedForm) {
  auto loaded = load({{"PARLEY_LISTEN", "nonsense"},
                      {"PARLEY_READ_TIMEOUT", "soon"},
                      {"PARLEY_DEBUG", "maybe"},
                      {"PARLEY_TRUSTED_PROXIES", "10.0.0.0/33"},
                      {"PARLEY_DATABASE_URL", "mysql://x"}});
  ASSERT_EQ(loaded.problems.size(), 5u);
  EXPECT_NE(loaded.problems[0].find("PARLEY_DEBUG: expected a boolean"), std::string::npos);
  bool saw_listen = false;
  for (const auto& p : loaded.problems) saw_listen |= p.starts_with("PARLEY_LISTEN: expected host:port");
  EXPECT_TRUE(saw_listen);
}

TEST(Config, SecretsAreMaskedInProblems) {
  auto loaded = load({{"PARLEY_DATABASE_URL", "mysql://root:hunter2@db/x"}});
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_EQ(loaded.problems[0].find("hunter2"), std::string::npos);
}

TEST(Config, UploadSettings) {
  auto defaults = load({}).config;
  EXPECT_EQ(defaults.upload_dir, "var/uploads");
  EXPECT_EQ(defaults.upload_max_bytes, 25u * 1024 * 1024);
  EXPECT_EQ(defaults.upload_threads, 2u);
  auto set = load({{"PARLEY_UPLOAD_DIR", "/srv/parley/uploads"},
                   {"PARLEY_UPLOAD_MAX_BYTES", "100MiB"},
                   {"PARLEY_UPLOAD_THREADS", "4"}});
  EXPECT_TRUE(set.problems.empty());
  EXPECT_EQ(set.config.upload_dir, "/srv/parley/uploads");
  EXPECT_EQ(set.config.upload_max_bytes, 100u * 1024 * 1024);
  EXPECT_EQ(set.config.upload_threads, 4u);
  auto bad = load({{"PARLEY_UPLOAD_DIR", ""}, {"PARLEY_UPLOAD_MAX_BYTES", "0"}, {"PARLEY_UPLOAD_THREADS", "0"}});
  ASSERT_EQ(bad.problems.size(), 3u);
  EXPECT_NE(bad.problems[0].find("PARLEY_UPLOAD_DIR"), std::string::npos);
  EXPECT_EQ(load({{"PARLEY_UPLOAD_MAX_BYTES", "65GiB"}}).problems.size(), 1u);
  EXPECT_EQ(load({{"PARLEY_UPLOAD_MAX_BYTES", "lots"}}).problems.size(), 1u);
}

TEST(Config, MessageEditWindow) {
  EXPECT_EQ(load({}).config.message_edit_window.count(), 0) << "no limit by default";
  EXPECT_EQ(load({{"PARLEY_MESSAGE_EDIT_WINDOW", "15m"}}).config.message_edit_window, std::chrono::minutes(15));
  EXPECT_EQ(load({{"PARLEY_MESSAGE_EDIT_WINDOW", "0"}}).config.message_edit_window.count(), 0);
  for (const char* bad : {"500ms", "-1s", "soon", ""}) {
    auto loaded = load({{"PARLEY_MESSAGE_EDIT_WINDOW", bad}});
    ASSERT_EQ(loaded.problems.size(), 1u) << bad;
    EXPECT_NE(loaded.problems[0].find("PARLEY_MESSAGE_EDIT_WINDOW"), std::string::npos);
  }
}

TEST(Config, TlsNeedsBothFiles) {
  auto loaded = load({{"PARLEY_TLS_CERT", "/tmp/cert.pem"}});
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_NE(loaded.problems[0].find("set both"), std::string::npos);
}

TEST(Config, DeployRulesRejectUnsafeSettings) {
  auto unsafe = load({{"PARLEY_DEBUG", "1"}}).config;
  auto problems = deploy_problems(unsafe);
  EXPECT_GE(problems.size(), 5u);

  auto safe = load({{"PARLEY_ENV", "production"},
                    {"PARLEY_SECRET_KEY", "k2v9Qx7LmN3pR8sT1uW4yZ6aB0cD5eF-gHjK"},
                    {"PARLEY_ALLOWED_HOSTS", "chat.example.com"},
                    {"PARLEY_TRUSTED_PROXIES", "10.0.0.0/8"},
                    {"PARLEY_DATABASE_URL", "postgresql://parley:pw@db:5432/parley"},
                    {"PARLEY_JWT_PRIVATE_KEY_FILE", "/etc/parley/jwt.pem"}})
                  .config;
  EXPECT_TRUE(deploy_problems(safe).empty());
}

TEST(Config, DatabasePasswordMaskedWhenShown) {
  auto loaded = load({{"PARLEY_DATABASE_URL", "postgresql://parley:hunter2@db:5432/parley"}});
  for (const auto& s : settings()) {
    if (s.name == "PARLEY_DATABASE_URL") {
      EXPECT_EQ(s.show(loaded.config), "postgresql://parley:********@db:5432/parley");
    }
  }
}

TEST(Config, RedisUrlIsOptionalValidatedAndMasked) {
  EXPECT_EQ(load({}).config.redis_url, "");
  auto loaded = load({{"PARLEY_REDIS_URL", "redis://app:hunter2@cache:6380/1"}});
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems.front();
  EXPECT_EQ(loaded.config.redis_url, "redis://app:hunter2@cache:6380/1");
  for (const auto& s : settings()) {
    if (s.name == "PARLEY_REDIS_URL") {
      EXPECT_EQ(s.show(loaded.config), "redis://app:********@cache:6380/1");
    }
  }
  auto bad = load({{"PARLEY_REDIS_URL", "redis://app:hunter2@cache:99999"}});
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_TRUE(bad.problems[0].starts_with("PARLEY_REDIS_URL: expected redis://[[user]:password@]host[:port][/db] "
                                          "(the port must be a number from 1 to 65535), got ********"))
      << bad.problems[0];
  EXPECT_EQ(bad.problems[0].find("hunter2"), std::string::npos);
}

TEST(Config, JobAndWebhookSettingsRefuseWhatTheyCannotDo) {
  auto bad = load({{"PARLEY_BROKER_URL", "amqp://guest:guest@127.0.0.1:0/"},
                   {"PARLEY_BROKER_PREFIX", "parley jobs"},
                   {"PARLEY_WORKER_QUEUES", "mail,Default"},
                   {"PARLEY_WORKER_CONCURRENCY", "0"},
                   {"PARLEY_JOB_LEASE", "10ms"},
                   {"PARLEY_WEBHOOK_DISABLE_AFTER", "0s"}});
  ASSERT_EQ(bad.problems.size(), 6u);
  EXPECT_TRUE(bad.problems[0].starts_with("PARLEY_BROKER_URL: expected amqp://[user[:password]@]host[:port][/vhost] ("))
      << bad.problems[0];
  EXPECT_EQ(bad.problems[0].find("guest"), std::string::npos) << "a broker URL may hold a password";
  auto bad_redis = load({{"PARLEY_BROKER_URL", "redis://:hunter2@cache:99999"}});
  ASSERT_EQ(bad_redis.problems.size(), 1u);
  EXPECT_EQ(bad_redis.problems[0].find("hunter2"), std::string::npos) << bad_redis.problems[0];
  auto good = load({{"PARLEY_WORKER_QUEUES", " mail , default "},
                    {"PARLEY_JOB_DEAD_RETENTION", "7d"},
                    {"PARLEY_BROKER_URL", "redis://:secret@127.0.0.1:6380/2"},
                    {"PARLEY_BROKER_PREFIX", "acme:parley"}});
  EXPECT_TRUE(good.problems.empty());
  EXPECT_EQ(good.config.broker_url, "redis://:secret@127.0.0.1:6380/2");
  EXPECT_EQ(good.config.broker_prefix, "acme:parley");
  auto rabbit = load({{"PARLEY_BROKER_URL", "amqp://parley:s3cret@mq:5673/%2fjobs"}});
  ASSERT_TRUE(rabbit.problems.empty()) << rabbit.problems.front();
  for (const auto& s : settings()) {
    if (s.name == "PARLEY_BROKER_URL") {
      EXPECT_EQ(s.show(rabbit.config), "amqp://parley:****@mq:5673/%2fjobs");
    }
  }
  auto tls = load({{"PARLEY_BROKER_URL", "amqps://mq/"}});
  ASSERT_EQ(tls.problems.size(), 1u);
  EXPECT_NE(tls.problems[0].find("not supported"), std::string::npos) << tls.problems[0];
  EXPECT_EQ(good.config.worker_queues, (std::vector<std::string>{"mail", "default"}));
  EXPECT_EQ(good.config.dead_job_retention, std::chrono::hours(24 * 7));
  auto production = load({{"PARLEY_TEST_TASKS", "1"}, {"PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "1"}});
  auto problems = deploy_problems(production.config);
  auto mentions = [&](std::string_view name) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.starts_with(name); });
  };
  EXPECT_TRUE(mentions("PARLEY_TEST_TASKS"));
  EXPECT_TRUE(mentions("PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS"));
}

TEST(Config, RetentionAndAbuseSettingsRefuseWhatMakesNoSense) {
  auto bad = load({{"PARLEY_ABUSE_LIMIT", "lots"},
                   {"PARLEY_ABUSE_BLOCK_FOR", "5s"},
                   {"PARLEY_DELETED_MESSAGE_RETENTION", "10m"},
                   {"PARLEY_UPLOAD_ORPHAN_AGE", "1m"},
                   {"PARLEY_ANALYTICS_RETENTION", "1h"}});
  ASSERT_EQ(bad.problems.size(), 5u);
  for (const char* name : {"PARLEY_ABUSE_LIMIT", "PARLEY_ABUSE_BLOCK_FOR", "PARLEY_DELETED_MESSAGE_RETENTION",
                           "PARLEY_UPLOAD_ORPHAN_AGE", "PARLEY_ANALYTICS_RETENTION"}) {
    EXPECT_TRUE(std::any_of(bad.problems.begin(), bad.problems.end(),
                            [&](const std::string& p) { return p.starts_with(name); }))
        << name;
  }
  auto good = load({{"PARLEY_ABUSE_LIMIT", "off"},
                    {"PARLEY_DELETED_MESSAGE_RETENTION", "0"},
                    {"PARLEY_ANALYTICS_RETENTION", "0"}});
  EXPECT_TRUE(good.problems.empty());
  EXPECT_EQ(good.config.analytics_retention.count(), 0) << "0 keeps every event";
  EXPECT_FALSE(good.config.abuse_limit.enabled);
  EXPECT_EQ(good.config.deleted_message_retention.count(), 0);
  auto defaults = load({});
  EXPECT_TRUE(defaults.config.abuse_limit.enabled);
  EXPECT_EQ(defaults.config.upload_orphan_age, std::chrono::hours(24));
  EXPECT_EQ(defaults.config.analytics_retention, std::chrono::hours(24 * 90));
}

TEST(Config, DurationsAndSizes) {
  EXPECT_EQ(parse_duration("2m"), std::chrono::milliseconds(120000));
  EXPECT_EQ(parse_duration("7"), std::chrono::milliseconds(7000));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_EQ(parse_duration("2d"), std::chrono::hours(48));
  EXPECT_FALSE(parse_duration("1w"));
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_FALSE(parse_size("12 apples"));
}

TEST(Config, CredentialCacheSettings) {
  auto defaults = load({});
  EXPECT_EQ(defaults.config.auth_cache_size, 100'000u);
  EXPECT_EQ(defaults.config.auth_cache_ttl, std::chrono::seconds(60));
  auto off = load({{"PARLEY_AUTH_CACHE_SIZE", "0"}, {"PARLEY_AUTH_CACHE_TTL", "5m"}});
  ASSERT_TRUE(off.problems.empty()) << off.problems.front();
  EXPECT_EQ(off.config.auth_cache_size, 0u);
  EXPECT_EQ(off.config.auth_cache_ttl, std::chrono::minutes(5));
  for (auto [name, value] : std::map<std::string, std::string>{{"PARLEY_AUTH_CACHE_SIZE", "lots"},
                                                               {"PARLEY_AUTH_CACHE_TTL", "2h"}}) {
    auto bad = load({{name, value}});
    ASSERT_EQ(bad.problems.size(), 1u) << name;
    EXPECT_TRUE(bad.problems[0].starts_with(name)) << bad.problems[0];
  }
  EXPECT_EQ(load({{"PARLEY_AUTH_CACHE_SIZE", "10000001"}}).problems.size(), 1u);
}

TEST(Config, CacheSettings) {
  auto defaults = load({});
  EXPECT_EQ(defaults.config.cache, "auto");
  EXPECT_EQ(defaults.config.cache_memory_bytes, 64u << 20);
  EXPECT_EQ(defaults.config.cache_ttl, std::chrono::seconds(60));
  auto set = load({{"PARLEY_CACHE", "memory"}, {"PARLEY_CACHE_MEMORY_BYTES", "8MiB"}, {"PARLEY_CACHE_TTL", "5s"}});
  ASSERT_TRUE(set.problems.empty()) << set.problems.front();
  EXPECT_EQ(set.config.cache, "memory");
  EXPECT_EQ(set.config.cache_memory_bytes, 8u << 20);
  EXPECT_EQ(set.config.cache_ttl, std::chrono::seconds(5));
  for (auto [name, value] : std::map<std::string, std::string>{
           {"PARLEY_CACHE", "memcached"}, {"PARLEY_CACHE_MEMORY_BYTES", "1k"}, {"PARLEY_CACHE_TTL", "0s"}}) {
    auto bad = load({{name, value}});
    ASSERT_EQ(bad.problems.size(), 1u) << name;
    EXPECT_TRUE(bad.problems[0].starts_with(name)) << bad.problems[0];
  }
  auto no_redis = load({{"PARLEY_CACHE", "redis"}});
  ASSERT_EQ(no_redis.problems.size(), 1u);
  EXPECT_TRUE(no_redis.problems[0].starts_with("PARLEY_CACHE: redis needs PARLEY_REDIS_URL")) << no_redis.problems[0];
  EXPECT_TRUE(load({{"PARLEY_CACHE", "redis"}, {"PARLEY_REDIS_URL", "redis://127.0.0.1:6379"}}).problems.empty());
}

TEST(Config, RealtimeSettings) {
  auto defaults = load({});
  EXPECT_EQ(defaults.config.event_retention, std::chrono::hours(24));
  EXPECT_EQ(defaults.config.event_replay_max, 10000);
  EXPECT_EQ(defaults.config.presence_ttl, std::chrono::seconds(60));
  auto set = load({{"PARLEY_EVENT_RETENTION", "2h"},
                   {"PARLEY_EVENT_REPLAY_MAX", "500"},
                   {"PARLEY_EVENT_SWEEP_INTERVAL", "250ms"},
                   {"PARLEY_PRESENCE_TTL", "30s"},
                   {"PARLEY_PRESENCE_SWEEP", "100ms"}});
  ASSERT_TRUE(set.problems.empty()) << set.problems.front();
  EXPECT_EQ(set.config.event_retention, std::chrono::hours(2));
  EXPECT_EQ(set.config.event_replay_max, 500);
  EXPECT_EQ(set.config.event_sweep_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(set.config.presence_ttl, std::chrono::seconds(30));
  EXPECT_EQ(set.config.presence_sweep, std::chrono::milliseconds(100));
  for (auto [name, value] : std::map<std::string, std::string>{{"PARLEY_EVENT_RETENTION", "forever"},
                                                               {"PARLEY_EVENT_REPLAY_MAX", "0"},
                                                               {"PARLEY_EVENT_SWEEP_INTERVAL", "0s"},
                                                               {"PARLEY_PRESENCE_TTL", "-5s"},
                                                               {"PARLEY_PRESENCE_SWEEP", "soon"}}) {
    auto bad = load({{name, value}});
    ASSERT_EQ(bad.problems.size(), 1u) << name;
    EXPECT_TRUE(bad.problems[0].starts_with(name)) << bad.problems[0];
  }
}

TEST(Config, ReadmeDocumentsEverySetting) {
  std::ifstream readme(std::string(PARLEY_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << readme.rdbuf();
  for (const auto& s : settings()) {
    EXPECT_NE(text.str().find("`" + std::string(s.name) + "`"), std::string::npos) << s.name << " missing from README";
  }
}

}  // namespace
}  // namespace parley
