#pragma once
// Parley's configuration: 12-factor, from PARLEY_* environment variables only.
//
// Config::load reads every variable in the settings table (config.cpp), applies defaults, and
// collects a problem per invalid value naming the variable and the expected form; it never
// throws for bad input. `settings()` is the single table that `parley check`, the README and
// the validation all follow.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/rate_policy.hpp"

namespace parley {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
};

struct Config {
  // Runtime environment: "development" (readable logs, relaxed defaults) or "production".
  std::string environment = "development";
  bool debug = false;
  std::string secret_key;
  std::vector<std::string> secret_key_fallbacks;  // previous secret keys (webhook secrets still open)
  std::vector<std::string> allowed_hosts;

  ListenAddress listen;
  unsigned threads = 0;  // 0 = one per core
  std::string tls_cert_file;
  std::string tls_key_file;
  std::vector<std::string> trusted_proxies;  // CIDR blocks whose X-Forwarded-For is believed
  std::vector<std::string> cors_origins;     // exact origins, or "*"

  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds shutdown_grace{10000};
  // SIGTERM to closing the listener: /readyz answers 503 while requests are still served.
  std::chrono::milliseconds drain_delay{0};

  std::size_t ws_max_message_bytes = 64 * 1024;
  std::chrono::milliseconds ws_ping_interval{30000};
  std::size_t ws_send_queue = 256;

  // Real-time events (docs/realtime.md).
  std::chrono::milliseconds event_retention{24LL * 3600 * 1000};
  std::int64_t event_replay_max = 10000;
  std::chrono::milliseconds event_sweep_interval{1000};
  std::chrono::milliseconds presence_ttl{60000};
  std::chrono::milliseconds presence_sweep{1000};

  // GraphQL (docs/graphql.md).
  bool graphql_introspection = true;              // __schema/__type; turn off where the schema is private
  std::chrono::milliseconds graphql_timeout{10000};  // fields unresolved by then answer TIMEOUT
  int graphql_max_depth = 15;
  int graphql_max_cost = 20000;

  std::string database_url = "sqlite:var/parley.db";
  std::optional<bool> auto_migrate;  // unset = on for SQLite, off otherwise
  std::string migrations_dir;        // empty = the source tree's migrations/
  std::string web_dir;               // empty = the source tree's web/ (admin console, Swagger UI)
  std::size_t db_pool_max = 10;
  std::chrono::milliseconds db_statement_timeout{30000};
  std::chrono::milliseconds db_acquire_timeout{5000};

  // Redis (src/redis/): pub/sub between replicas, later cache and rate limits. Empty: no Redis,
  // everything in-process. Validated with parse_redis_url (core/redis_url.hpp) when set.
  std::string redis_url;
  // Pipelined connections of the shared Redis client (the pub/sub connection is extra).
  std::size_t redis_connections = 2;
  // How long a Redis connect, or a reply, may take before the command fails (and the cache or the
  // rate limits fall back): Redis answers in well under a millisecond, so a stall is an outage.
  std::chrono::milliseconds redis_timeout{500};
  // The cache (docs/caching.md): auto (redis with PARLEY_REDIS_URL, else memory), memory, redis or
  // off; the in-process store's byte cap; how long an entry lives at most.
  std::string cache = "auto";
  std::size_t cache_memory_bytes = 64u << 20;
  std::chrono::milliseconds cache_ttl{60'000};

  // Authentication (docs/security.md).
  std::string jwt_private_key_file;         // empty = a key generated at start (development only)
  std::string jwt_retired_public_keys_dir;  // <retired_at unix seconds>.pem, SPKI public keys
  std::string jwt_next_public_key_file;     // the next key, verify-only (two-phase rotation)
  std::string jwt_issuer = "parley";
  std::string jwt_audience = "parley";
  std::chrono::milliseconds jwt_access_ttl{15 * 60 * 1000};
  std::chrono::milliseconds jwt_refresh_ttl{30LL * 24 * 3600 * 1000};
  std::chrono::milliseconds jwt_leeway{30000};
  std::chrono::milliseconds session_idle_timeout{2LL * 3600 * 1000};
  std::chrono::milliseconds session_max_age{14LL * 24 * 3600 * 1000};
  unsigned password_hash_threads = 2;
  std::chrono::milliseconds password_reset_ttl{3600 * 1000};
  // Verified-credential cache (accounts/credential_cache.hpp): entries (0 disables it), and the
  // longest any entry is trusted without reading the database again.
  std::size_t auth_cache_size = 100'000;
  std::chrono::milliseconds auth_cache_ttl{60'000};

  // Rate limits (docs/rate-limits.md). Off: no request limit is checked (benchmarks); the
  // failed-login lockout stays. The store: Redis with PARLEY_REDIS_URL ("auto"), else in-process.
  bool rate_limits = true;
  std::string rate_limit_store = "auto";  // auto | memory | redis
  RatePolicies rate_policies = default_rate_policies();
  // The failed-login lockout (accounts/login_throttle.hpp): failures allowed per account and per
  // IP within the window, and the longest lockout they grow to.
  int login_max_failures_account = 5;
  int login_max_failures_ip = 50;
  std::chrono::milliseconds login_failure_window{15 * 60 * 1000};
  std::chrono::milliseconds login_max_lockout{15 * 60 * 1000};
  // Suspicious-IP detection (accounts/abuse_detector.hpp); disabled policy: off.
  RatePolicy abuse_limit = *parse_rate_policy("10/m burst=50");
  std::chrono::milliseconds abuse_block_for{3600 * 1000};

  // Mail: "log" writes messages to mail_log_file; smtp://... or smtps://... sends them.
  std::string mail_url = "log";
  std::string mail_from = "Parley <noreply@localhost>";
  std::string mail_log_file = "var/mail.log";
  // The address users reach Parley at, for links in emails.
  std::string public_url = "http://127.0.0.1:8000";

  // Background jobs (docs/jobs.md). The roles this process runs are chosen by the command
  // (`parley serve|worker|scheduler|all`), not by the environment.
  bool run_api = true;
  bool run_worker = false;
  bool run_scheduler = false;
  std::string broker_url = "database";  // or redis://..., amqp://...
  std::string broker_prefix = "parley";
  int worker_concurrency = 4;
  std::vector<std::string> worker_queues;  // empty: every queue
  std::chrono::milliseconds job_lease{30000};
  std::chrono::milliseconds worker_poll_interval{1000};
  std::chrono::milliseconds dead_job_retention{30LL * 24 * 3600 * 1000};
  std::string schedules;  // PARLEY_SCHEDULES as written; parsed by jobs::schedules_from_config
  bool test_tasks = false;
  // Outgoing webhooks (docs/webhooks.md): loopback and private targets are refused unless allowed
  // (tests, single-host setups); a webhook failing this long is switched off.
  bool webhook_allow_private_targets = false;
  std::chrono::milliseconds webhook_disable_after{3LL * 24 * 3600 * 1000};
  // Email notifications (docs/notifications.md): how long a mention or direct message stays
  // unread before it is mailed (a digest collects what arrives meanwhile).
  std::chrono::milliseconds notify_delay{10LL * 60 * 1000};

  // How long after sending a message its sender may edit it; zero: no limit.
  std::chrono::milliseconds message_edit_window{0};

  // Uploads (docs/uploads.md): where files are stored, the largest file, the blocking-pool size.
  std::string upload_dir = "var/uploads";
  std::size_t upload_max_bytes = 25 * 1024 * 1024;
  unsigned upload_threads = 2;
  std::chrono::milliseconds upload_orphan_age{24LL * 3600 * 1000};
  // 0: deleted messages stay (blanked) for good.
  std::chrono::milliseconds deleted_message_retention{30LL * 24 * 3600 * 1000};
  // Analytics events older than this are purged (0: kept); the daily rollups stay.
  std::chrono::milliseconds analytics_retention{90LL * 24 * 3600 * 1000};

  // Tracing (docs/operations.md): spans go to this OTLP/HTTP endpoint when set; new traces are
  // sampled at this ratio.
  std::string otlp_traces_url;
  double trace_sample_ratio = 1.0;

  // OpenID Connect providers: the raw PARLEY_OIDC_PROVIDERS and PARLEY_OIDC_<NAME>_* values as read
  // (names are dynamic, so they are not in the settings table); auth::oidc::providers_from_env
  // parses and validates them in the composition root. Holds client secrets: never log it.
  std::map<std::string, std::string, std::less<>> oidc_env;

  std::string log_level = "info";
  std::string log_format;  // "text" | "json"; empty = text in development, json in production
  bool access_log = true;

  bool tls_enabled() const { return !tls_cert_file.empty(); }
  bool uses_sqlite() const { return database_url.starts_with("sqlite:"); }
  bool effective_auto_migrate() const { return auto_migrate.value_or(uses_sqlite()); }
  // The rate-limit store in effect: "redis" or "memory".
  std::string effective_rate_limit_store() const {
    if (rate_limit_store != "auto") return rate_limit_store;
    return redis_url.empty() ? "memory" : "redis";
  }
  std::string effective_log_format() const {
    return !log_format.empty() ? log_format : (environment == "production" ? "json" : "text");
  }

  // Reads the environment through `lookup` (std::getenv in production, a map in tests).
  using Lookup = std::function<std::optional<std::string>(std::string_view name)>;
  struct Loaded;
  static Loaded load(const Lookup& lookup);
  static Lookup process_environment();
};

struct Config::Loaded {
  Config config;
  std::vector<std::string> problems;  // "PARLEY_X: expected ..., got '...'"
};

// One row of the settings table.
struct Setting {
  std::string_view name;
  std::string_view default_text;
  std::string_view help;
  bool secret = false;
  // Applies a raw value; returns the expected form when it does not parse.
  std::function<std::optional<std::string>(Config&, std::string_view)> apply;
  // The effective value as text, for `parley check`.
  std::function<std::string(const Config&)> show;
};

const std::vector<Setting>& settings();

// Production rules for `parley check --deploy`: problems that make a deployment unsafe.
std::vector<std::string> deploy_problems(const Config& config);

// Masks a secret for display: "" -> "(unset)", otherwise "********" plus its length.
std::string mask_secret(std::string_view value);

// Parses "250ms", "15s", "2m", "1h", "30d" or a plain number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// Parses "1048576", "64k", "25MiB", "1m" (binary units).
std::optional<std::size_t> parse_size(std::string_view text);

}  // namespace parley
