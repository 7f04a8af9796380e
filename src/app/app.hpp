#pragma once
// The composition root: builds every service in dependency order and owns them. No globals; each
// component receives what it needs by reference from here.
#include "accounts/accounts.hpp"
#include "api/graphql/service.hpp"
#include "api/graphql/transport_ws.hpp"
#include "accounts/admin.hpp"
#include "accounts/credential_cache.hpp"
#include "accounts/credential_invalidator.hpp"
#include "accounts/ip_rules.hpp"
#include "accounts/oidc_login.hpp"
#include "accounts/password_reset.hpp"
#include "accounts/personal_tokens.hpp"
#include "analytics/recorder.hpp"
#include "app/health.hpp"
#include "app/operational_metrics.hpp"
#include "app/statement_metrics.hpp"
#include "auth/oidc/oidc_client.hpp"
#include "cache/cache.hpp"
#include "core/config.hpp"
#include "db/database.hpp"
#include "events/event_bus.hpp"
#include "events/event_stream.hpp"
#include "http/access_log_sink.hpp"
#include "http/io_pool.hpp"
#include "http/metrics.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "jobs/dispatch_loop.hpp"
#include "jobs/jobs.hpp"
#include "messaging/incoming_webhooks.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/worker.hpp"
#include "notifications/notifications.hpp"
#include "webhooks/sender.hpp"
#include "webhooks/webhooks.hpp"
#include "tracing/otlp_exporter.hpp"
#include "mail/mailer.hpp"
#include "messaging/context.hpp"
#include "messaging/conversations.hpp"
#include "messaging/messages.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "ratelimit/throttle_store.hpp"
#include "realtime/realtime.hpp"
#include "redis/client.hpp"
#include "redis/subscriber.hpp"
#include "uploads/uploads.hpp"

#include <prometheus/registry.h>
#include <spdlog/logger.h>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace parley {

class App {
 public:
  // `extra_routes` lets tests mount endpoints of their own; production passes nothing.
  // `access_log_fd` (borrowed, open while the App lives) receives the access log: stderr, or a
  // file a test reads back.
  App(Config config, std::shared_ptr<spdlog::logger> logger, std::function<void(http::Router&)> extra_routes = {},
      int access_log_fd = 2);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts the I/O threads, opens the database and brings its schema up to date (or refuses with
  // pending migrations, see PARLEY_AUTO_MIGRATE), then starts the listener; returns the bound port.
  std::uint16_t start();
  // Begins a graceful shutdown (thread-safe); wait() returns once it is done. /readyz turns 503
  // at once; the listener closes after PARLEY_DRAIN_DELAY. A second call skips what is left of
  // that delay (a second SIGTERM or Ctrl-C hurries the stop); the grace period still applies.
  void request_stop();
  // Blocks until the app stopped; installs SIGINT/SIGTERM handlers that call request_stop().
  void wait_for_signals_and_stop();
  // Blocks until a requested stop has completed.
  void wait();

  const Config& config() const noexcept { return config_; }
  const http::Router& router() const noexcept { return router_; }
  spdlog::logger& logger() noexcept { return *logger_; }
  HealthChecks& health() noexcept { return health_; }
  db::Database& database() noexcept { return *database_; }
  // Committed domain events, for subscribers (real-time delivery, webhooks, tests).
  events::EventBus& event_bus() noexcept { return event_bus_; }
  // The event log and the loop that numbers and publishes it (docs/architecture.md).
  events::EventStream& event_stream() noexcept { return *event_stream_; }
  realtime::Realtime& realtime() noexcept { return *realtime_; }
  // Enqueueing and inspecting jobs (docs/jobs.md).
  jobs::Jobs& jobs() noexcept { return *jobs_; }
  // This process's worker and scheduler (null unless the command runs those roles).
  jobs::Worker* worker() noexcept { return worker_.get(); }
  jobs::Scheduler* scheduler() noexcept { return scheduler_.get(); }
  // Usage analytics' buffer (docs/analytics.md); tests flush it.
  analytics::Recorder& analytics() noexcept { return *analytics_; }
  // The verified-credential cache (tests look at it).
  accounts::CredentialCache& credential_cache() noexcept { return *credential_cache_; }
  // The first I/O context: where tests and commands run a coroutine on the app's threads (the
  // database's connections belong to them).
  boost::asio::io_context& primary_context() noexcept { return pool_.primary(); }

 private:
  // The GraphQL schema, engine and transports (API processes only).
  void make_graphql();
  void register_routes(const std::function<void(http::Router&)>& extra_routes);
  // The jobs of modules above the job system: uploads.purge_orphans, messages.purge_deleted,
  // security.deny_ip (app/maintenance_tasks.cpp).
  void register_maintenance_tasks();

  Config config_;
  std::shared_ptr<spdlog::logger> logger_;
  prometheus::Registry registry_;
  http::HttpMetrics metrics_;
  http::AccessLogSink access_log_;
  HealthChecks health_;
  // Build, readiness, process and database-pool gauges, refreshed at each scrape.
  std::unique_ptr<OperationalMetrics> operational_metrics_;
  // Spans to the OTLP collector (PARLEY_OTLP_TRACES_URL; null: no export), and every statement's
  // latency and span: both outlive the database, whose connections report to them to the end.
  std::unique_ptr<tracing::OtlpExporter> span_exporter_;
  std::unique_ptr<StatementMetrics> statement_metrics_;
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
  // Owned before the pool but released by ~App (after the pool stopped and before it is
  // destroyed): they hold I/O objects (timers, sockets) that must go before their io_context.
  std::unique_ptr<db::Database> database_;
  // Usage analytics: the buffered event log the analytics middleware feeds (docs/analytics.md).
  std::unique_ptr<analytics::Recorder> analytics_;
  // Verified credentials (PARLEY_AUTH_CACHE_*), and what tells this and the other processes when
  // a user's credentials change (app/credentials.cpp carries that over PostgreSQL).
  std::unique_ptr<accounts::CredentialCache> credential_cache_;
  std::unique_ptr<accounts::CredentialInvalidator> credential_invalidator_;
  // Redis (PARLEY_REDIS_URL; null without): the shared client and the pub/sub connection.
  std::shared_ptr<redis::Client> redis_;
  std::shared_ptr<redis::Subscriber> redis_subscriber_;
  // Failed-login counters (Redis with this process's store as the outage fallback, or this
  // process's alone) and request rate limits (null with PARLEY_RATE_LIMITS=off).
  std::unique_ptr<ratelimit::InMemoryThrottleStore> local_throttle_store_;
  std::unique_ptr<ratelimit::ThrottleStore> shared_throttle_store_;
  std::unique_ptr<ratelimit::RateLimiter> rate_limiter_;
  // The failure buckets of suspicious-IP detection (null with PARLEY_ABUSE_LIMIT=off).
  std::unique_ptr<ratelimit::RateLimitStore> abuse_store_;
  std::unique_ptr<accounts::Accounts> accounts_;
  std::unique_ptr<accounts::PersonalTokens> personal_tokens_;
  std::unique_ptr<accounts::Admin> admin_;
  // CIDR allow/deny rules: the snapshot the IP-rules middleware checks, reloaded on changes
  // (app/ip_rule_changes.cpp carries them between processes over PostgreSQL).
  std::unique_ptr<accounts::IpRules> ip_rules_;
  std::unique_ptr<mail::Mailer> mailer_;
  // Background jobs: the tasks this build knows, the enqueue side (every role), and the worker
  // and scheduler of the roles that run them (Config::run_worker, run_scheduler).
  jobs::TaskRegistry task_registry_;
  std::unique_ptr<jobs::Broker> broker_;  // PARLEY_BROKER_URL (app/broker.hpp)
  std::unique_ptr<jobs::Jobs> jobs_;
  std::unique_ptr<jobs::Worker> worker_;
  std::unique_ptr<jobs::Scheduler> scheduler_;
  // Outgoing webhooks: the HTTP sender (its own blocking pool), the actions and delivery task, and
  // in the worker role the dispatcher fed by the event bus.
  std::unique_ptr<webhooks::Sender> webhook_sender_;
  std::unique_ptr<webhooks::Webhooks> webhooks_;
  std::unique_ptr<jobs::DispatchLoop> webhook_dispatcher_;
  // Email notification digests (docs/notifications.md): the task, and in the worker role the
  // dispatcher fed by the event bus. Both dispatchers are woken by one subscription.
  std::unique_ptr<notifications::Notifications> notifications_;
  std::unique_ptr<jobs::DispatchLoop> notification_dispatcher_;
  events::EventBus::Subscription webhook_wakeups_;
  std::unique_ptr<accounts::PasswordReset> password_reset_;
  // The OpenID providers from PARLEY_OIDC_* (Config::oidc_env) and the sign-in through them.
  std::unique_ptr<auth::oidc::OidcProviders> oidc_providers_;
  std::unique_ptr<accounts::OidcLogin> oidc_login_;
  // Conversations and messages (docs/messages.md); their events reach event_bus_ through
  // event_stream_ after each commit.
  events::EventBus event_bus_;
  std::unique_ptr<events::EventStream> event_stream_;
  std::unique_ptr<messaging::MessagingContext> messaging_;
  std::unique_ptr<messaging::Conversations> conversations_;
  std::unique_ptr<messaging::Messages> messages_;
  std::unique_ptr<messaging::IncomingWebhooks> incoming_webhooks_;
  // The read cache (PARLEY_CACHE, docs/caching.md; null when off) and, with the in-process
  // store, the subscription that applies other processes' writes to it.
  std::unique_ptr<cache::Cache> cache_;
  events::EventBus::Subscription cache_invalidation_;
  // Sockets, long polls, typing and presence on top of the event stream (docs/realtime.md).
  std::unique_ptr<realtime::Realtime> realtime_;
  // File uploads and downloads (PARLEY_UPLOAD_*), with their own blocking pool.
  std::unique_ptr<uploads::Uploads> uploads_;
  // GraphQL (docs/graphql.md): the schema over the actions, its engine, and what its HTTP and
  // WebSocket transports share.
  std::unique_ptr<api::graphql::Service> graphql_;
  std::unique_ptr<api::graphql::Transports> graphql_transports_;
  http::IoPool pool_;
  std::unique_ptr<http::Server> server_;
  boost::asio::steady_timer log_flush_timer_;
  std::mutex stop_mutex_;
  std::condition_variable stopped_cv_;
  bool stop_requested_ = false;
  bool stopped_ = false;
  // The drain delay's timer while it runs (under stop_mutex_), so a second request_stop cancels it.
  std::shared_ptr<boost::asio::steady_timer> drain_timer_;
};

// The middleware pipeline in its one true order (app/pipeline.cpp).
std::unique_ptr<http::Pipeline> build_pipeline(const Config& config, spdlog::logger& logger,
                                               http::AccessLogSink& access_log, http::HttpMetrics& metrics,
                                               accounts::Accounts& accounts, const accounts::IpRules& ip_rules,
                                               ratelimit::RateLimiter* limiter,
                                               std::unique_ptr<http::Middleware> abuse_detector,
                                               analytics::Recorder* analytics, trace::SpanSink* spans,
                                               const http::Router& router);

// Operations and documentation routes: /healthz, /readyz, /metrics, /api/schema.json (app/routes.cpp).
void add_operations_routes(http::Router& router, HealthChecks& health, http::HttpMetrics& metrics,
                           OperationalMetrics& operational);
// /api/v1/realtime, /api/v1/realtime/ticket and /api/v1/events (app/routes_realtime.cpp).
void add_realtime_routes(http::Router& router, realtime::Realtime& realtime);
// /api/v1/auth/* and /api/v1/users/* (app/routes_accounts.cpp).
void add_account_routes(http::Router& router, accounts::Accounts& accounts);
// POST/DELETE /api/v1/auth/session: browser session login and logout (app/routes_sessions.cpp).
void add_session_routes(http::Router& router, accounts::Accounts& accounts);
// /api/v1/auth/tokens[/{id}] (app/routes_tokens.cpp).
void add_token_routes(http::Router& router, accounts::PersonalTokens& tokens);
// /api/v1/admin/users[/{id}] and /api/v1/admin/audit-log (app/routes_admin.cpp).
void add_admin_routes(http::Router& router, accounts::Admin& admin);
// /api/v1/admin/ip-rules[/{id}] (app/routes_ip_rules.cpp).
void add_ip_rule_routes(http::Router& router, accounts::IpRules& rules);
// POST /api/v1/auth/password/reset[/confirm] (app/routes_password_reset.cpp).
void add_password_reset_routes(http::Router& router, accounts::PasswordReset& reset);
// GET /api/v1/auth/oidc/{provider}/login and /callback (app/routes_oidc.cpp).
void add_oidc_routes(http::Router& router, accounts::OidcLogin& login);
// POST /api/v1/uploads and GET /api/v1/uploads/{id}/{filename} (app/routes_uploads.cpp).
void add_upload_routes(http::Router& router, uploads::Uploads& uploads);
// /api/v1/conversations/**, /api/v1/unread (app/routes_conversations.cpp).
void add_conversation_routes(http::Router& router, messaging::Conversations& conversations);
// /api/v1/conversations/{id}/messages, /api/v1/messages/**, /api/v1/search (app/routes_messages.cpp).
void add_message_routes(http::Router& router, messaging::Messages& messages);
// GET /api/v1/admin/jobs, /admin/jobs/dead, POST /admin/jobs/{id}/retry (app/routes_jobs.cpp).
void add_job_routes(http::Router& router, jobs::Jobs& jobs);
// /api/v1/webhooks[/{id}[/deliveries]] (app/routes_webhooks.cpp).
void add_webhook_routes(http::Router& router, webhooks::Webhooks& hooks);
// /conversations/{id}/incoming-webhooks and POST /hooks/{token} (app/routes_incoming_webhooks.cpp).
void add_incoming_webhook_routes(http::Router& router, messaging::IncomingWebhooks& hooks,
                                 const std::string& public_url);
// The admin console at /admin/ and Swagger UI at /api/docs/, from PARLEY_WEB_DIR (app/routes_static.cpp).
void add_static_routes(http::Router& router, const std::string& web_dir, spdlog::logger& logger);
// POST and GET /graphql, and the graphql-transport-ws WebSocket on GET /graphql.
void add_graphql_routes(http::Router& router, api::graphql::Transports& transport);
// GET /api/v1/admin/analytics/daily and /summary (app/routes_analytics.cpp).
void add_analytics_routes(http::Router& router, db::Database& database);
// The configured mailer: the log file for PARLEY_MAIL_URL=log, SMTP otherwise (app/mailer.cpp).
std::unique_ptr<mail::Mailer> make_mailer(const Config& config);

}  // namespace parley
