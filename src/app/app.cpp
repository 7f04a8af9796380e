#include "app/app.hpp"

#include "app/credentials.hpp"
#include "app/database.hpp"
#include "app/ip_rule_changes.hpp"
#include "app/job_wakeups.hpp"
#include "cache/memory_backend.hpp"
#include "accounts/abuse_detector.hpp"
#include "analytics/tasks.hpp"
#include "app/broker.hpp"
#include "cache/redis_backend.hpp"
#include "db/pg/pg_database.hpp"
#include "jobs/builtin_tasks.hpp"
#include "messaging/cache_keys.hpp"
#include "ratelimit/memory_store.hpp"
#include "ratelimit/redis_store.hpp"
#include "ratelimit/redis_throttle_store.hpp"
#include "realtime/pg_fanout.hpp"
#include "realtime/redis_fanout.hpp"

#include <unistd.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

namespace parley {

namespace asio = boost::asio;

namespace {

// Who the exported spans come from (OpenTelemetry resource semantic conventions).
std::vector<std::pair<std::string, std::string>> trace_resource(const Config& config) {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return {{"service.name", "parley"},
          {"service.version", PARLEY_VERSION},
          {"service.instance.id", std::string(host.data()) + ":" + std::to_string(getpid())},
          {"deployment.environment", config.environment}};
}

// The bus between replicas (realtime/fanout.hpp): Redis pub/sub with PARLEY_REDIS_URL, else
// PostgreSQL LISTEN/NOTIFY when the database is PostgreSQL, else nothing (SQLite: one process).
std::unique_ptr<realtime::Fanout> make_fanout(db::Database& database, const std::shared_ptr<redis::Client>& redis,
                                              const std::shared_ptr<redis::Subscriber>& subscriber,
                                              asio::any_io_executor executor, spdlog::logger& logger) {
  if (redis) return std::make_unique<realtime::RedisFanout>(redis, subscriber, std::move(executor), logger);
  if (auto* pg = dynamic_cast<db::pg::PgDatabase*>(&database)) {
    return std::make_unique<realtime::PgFanout>(*pg, std::move(executor), logger);
  }
  return std::make_unique<realtime::LocalFanout>();
}

// PARLEY_CACHE: off, the in-process store, or Redis (auto: Redis when PARLEY_REDIS_URL is set).
std::unique_ptr<cache::Cache> make_cache(const Config& config, const std::shared_ptr<redis::Client>& redis,
                                         prometheus::Registry& registry, spdlog::logger& logger) {
  if (config.cache == "off") return nullptr;
  std::unique_ptr<cache::Backend> store;
  if (config.cache == "redis" || (config.cache == "auto" && redis)) {
    store = std::make_unique<cache::RedisBackend>(redis);
  } else {
    store = std::make_unique<cache::MemoryBackend>(
        cache::MemoryBackend::Options{.max_bytes = config.cache_memory_bytes},
        &cache::memory_evictions_counter(registry));
  }
  return std::make_unique<cache::Cache>(std::move(store), registry, logger);
}

// PARLEY_RATE_LIMIT_STORE: buckets in Redis, or in this process.
std::unique_ptr<ratelimit::RateLimitStore> make_rate_limit_store(const Config& config,
                                                                 const std::shared_ptr<redis::Client>& redis) {
  if (config.effective_rate_limit_store() == "redis") return std::make_unique<ratelimit::RedisRateLimitStore>(redis);
  return std::make_unique<ratelimit::MemoryRateLimitStore>();
}

// PARLEY_RATE_LIMITS: null when off, else the limiter on its own store.
std::unique_ptr<ratelimit::RateLimiter> make_rate_limiter(const Config& config,
                                                          const std::shared_ptr<redis::Client>& redis,
                                                          prometheus::Registry& registry, spdlog::logger& logger) {
  if (!config.rate_limits) return nullptr;
  return std::make_unique<ratelimit::RateLimiter>(config.rate_policies, make_rate_limit_store(config, redis), registry,
                                                  logger);
}

}  // namespace

App::App(Config config, std::shared_ptr<spdlog::logger> logger, std::function<void(http::Router&)> extra_routes,
         int access_log_fd)
    : config_(std::move(config)),
      logger_(std::move(logger)),
      metrics_(registry_),
      access_log_(access_log_fd),
      event_bus_(*logger_),
      pool_(config_.threads),
      log_flush_timer_(pool_.primary()) {
  // Opening is cheap and does no network I/O yet: PostgreSQL connects once the pool runs.
  if (!config_.otlp_traces_url.empty()) {
    span_exporter_ = std::make_unique<tracing::OtlpExporter>(
        tracing::OtlpOptions{.url = config_.otlp_traces_url, .resource = trace_resource(config_)}, registry_, *logger_);
  }
  statement_metrics_ = std::make_unique<StatementMetrics>(registry_, span_exporter_.get(),
                                                          config_.uses_sqlite() ? "sqlite" : "postgresql");
  metrics_.on_flush([this] { statement_metrics_->flush(); });
  database_ = open_database(config_, pool_, statement_metrics_.get());
  health_.add("database", [this]() { return database_->ping(); });
  analytics_ = std::make_unique<analytics::Recorder>(*database_, *logger_, pool_.primary().get_executor());
  operational_metrics_ = std::make_unique<OperationalMetrics>(registry_, database_.get());
  credential_cache_ = std::make_unique<accounts::CredentialCache>(
      accounts::CredentialCache::Options{.capacity = config_.auth_cache_size, .max_ttl = config_.auth_cache_ttl});
  credential_invalidator_ = std::make_unique<accounts::CredentialInvalidator>(
      *credential_cache_, credential_publisher(*database_), *logger_);
  if (!config_.redis_url.empty()) {
    // One client and one subscriber connection per process, shared by whatever uses Redis.
    const redis::ClientConfig redis_config{.url = parse_redis_url(config_.redis_url),
                                           .connections = config_.redis_connections,
                                           .connect_timeout = config_.redis_timeout,
                                           .command_timeout = config_.redis_timeout};
    redis_ = std::make_shared<redis::Client>(pool_.primary().get_executor(), redis_config);
    redis_subscriber_ = std::make_shared<redis::Subscriber>(pool_.primary().get_executor(), redis_config);
    // Through `this`, not a copy of the client: health_ outlives the io_contexts, and a client
    // (with its connections' timers) must not (~App releases redis_ while they still exist).
    health_.add(
        "redis",
        [this]() -> asio::awaitable<void> {
          const std::vector<std::string> ping{"PING"};
          auto reply = co_await redis_->command(ping);
          reply.throw_if_error();
        },
        /*required=*/false);
  }
  local_throttle_store_ = std::make_unique<ratelimit::InMemoryThrottleStore>();
  if (config_.effective_rate_limit_store() == "redis") {
    shared_throttle_store_ = std::make_unique<ratelimit::RedisThrottleStore>(redis_, *local_throttle_store_, *logger_);
  }
  rate_limiter_ = make_rate_limiter(config_, redis_, registry_, *logger_);
  accounts_ = std::make_unique<accounts::Accounts>(
      config_, *database_, accounts::load_signing_keys(config_, *logger_), *logger_, *credential_invalidator_,
      shared_throttle_store_ ? *shared_throttle_store_ : *local_throttle_store_);
  personal_tokens_ = std::make_unique<accounts::PersonalTokens>(*database_, *credential_invalidator_);
  admin_ = std::make_unique<accounts::Admin>(*database_, *credential_invalidator_);
  ip_rules_ = std::make_unique<accounts::IpRules>(*database_, pool_.primary().get_executor(), *logger_,
                                                  ip_rule_publisher(*database_));
  mailer_ = make_mailer(config_);
  // The worker's name also names its relay (a Redis broker's) on the rows it claims.
  const std::string worker_name = jobs::default_worker_name();
  broker_ = make_broker(config_, *database_, task_registry_, redis_, pool_.primary().get_executor(), *logger_,
                        "relay:" + worker_name);
  jobs_ = std::make_unique<jobs::Jobs>(*database_, task_registry_, *broker_);
  if (broker_->name() != "database") {
    // Redis or RabbitMQ: a worker cannot take jobs without it (required); an API replica only
    // writes the jobs table (the outbox), so it keeps serving and reports "degraded".
    health_.add(
        "broker",
        [this]() -> asio::awaitable<void> { co_await broker_->counts(); }, /*required=*/config_.run_worker);
  }
  password_reset_ = std::make_unique<accounts::PasswordReset>(config_, *accounts_, *mailer_, *jobs_, *logger_);
  password_reset_->register_tasks(task_registry_);
  jobs::register_builtin_tasks(
      task_registry_, *database_,
      jobs::BuiltinTaskSettings{
          .dead_job_retention = std::chrono::duration_cast<std::chrono::seconds>(config_.dead_job_retention),
          .test_tasks = config_.test_tasks},
      *logger_);
  webhook_sender_ = std::make_unique<webhooks::Sender>(
      webhooks::SenderOptions{}, webhooks::TargetPolicy{.allow_private = config_.webhook_allow_private_targets});
  webhooks_ = std::make_unique<webhooks::Webhooks>(
      *database_, *jobs_, *webhook_sender_,
      webhooks::WebhookSettings{
          .server_secret = config_.secret_key,
          .server_secret_fallbacks = config_.secret_key_fallbacks,
          .disable_after = std::chrono::duration_cast<std::chrono::seconds>(config_.webhook_disable_after)},
      *logger_);
  webhooks_->register_tasks(task_registry_);
  register_maintenance_tasks();
  analytics::register_analytics_tasks(task_registry_, *database_,
                                      std::chrono::duration_cast<std::chrono::seconds>(config_.analytics_retention),
                                      *logger_);
  notifications_ = std::make_unique<notifications::Notifications>(
      *database_, *jobs_, *mailer_,
      notifications::NotificationSettings{.public_url = config_.public_url, .delay = config_.notify_delay}, *logger_);
  notifications_->register_tasks(task_registry_);
  if (config_.run_worker) {
    worker_ = std::make_unique<jobs::Worker>(
        *database_, *broker_, task_registry_,
        jobs::WorkerOptions{.name = worker_name,
                            .queues = config_.worker_queues,
                            .concurrency = config_.worker_concurrency,
                            .lease = config_.job_lease,
                            .poll_interval = config_.worker_poll_interval,
                            .shutdown_grace = config_.shutdown_grace,
                            .spans = span_exporter_.get(),
                            .trace_sample_ratio = config_.trace_sample_ratio},
        registry_, *logger_, pool_.primary().get_executor());
    jobs_->set_wake([worker = worker_.get()] { worker->wake(); });
    webhook_dispatcher_ = std::make_unique<jobs::DispatchLoop>(
        "webhook dispatcher", [webhooks = webhooks_.get()] { return webhooks->dispatch_pass(); },
        pool_.primary().get_executor(), *logger_);
    notification_dispatcher_ = std::make_unique<jobs::DispatchLoop>(
        "notification dispatcher", [notifications = notifications_.get()] { return notifications->dispatch_pass(); },
        pool_.primary().get_executor(), *logger_);
    // Every replica's committed events reach this process's bus: each batch may have deliveries
    // and notifications.
    webhook_wakeups_ = event_bus_.subscribe([webhooks = webhook_dispatcher_.get(),
                                             notifications = notification_dispatcher_.get()](
                                                std::span<const events::Event>) {
      webhooks->wake();
      notifications->wake();
    });
  }
  if (config_.run_scheduler) {
    // Throws AppError naming the bad entry of PARLEY_SCHEDULES; a task this build lacks is refused here.
    auto schedules = jobs::schedules_from_config(config_.schedules);
    for (const auto& schedule : schedules) {
      if (task_registry_.find(schedule.task) == nullptr) {
        throw std::invalid_argument("PARLEY_SCHEDULES: schedule '" + schedule.name + "' names unknown task '" +
                                    schedule.task + "'");
      }
    }
    scheduler_ = std::make_unique<jobs::Scheduler>(*database_, *jobs_, std::move(schedules), jobs::SchedulerOptions{},
                                                   *logger_, pool_.primary().get_executor(),
                                                   [this] { jobs_->committed(); });
  }
  // Throws std::invalid_argument naming the variable when a provider's configuration is invalid.
  oidc_providers_ = std::make_unique<auth::oidc::OidcProviders>(
      auth::oidc::providers_from_env([this](const std::string& name) -> std::optional<std::string> {
        auto it = config_.oidc_env.find(name);
        if (it == config_.oidc_env.end()) return std::nullopt;
        return it->second;
      }));
  oidc_login_ = std::make_unique<accounts::OidcLogin>(config_, *accounts_, *oidc_providers_);
  event_stream_ = std::make_unique<events::EventStream>(
      *database_, event_bus_, pool_.primary().get_executor(), *logger_,
      events::EventStreamOptions{.retention = std::chrono::duration_cast<std::chrono::seconds>(config_.event_retention),
                                 .max_replay = config_.event_replay_max,
                                 .sweep_interval = config_.event_sweep_interval});
  realtime_ = std::make_unique<realtime::Realtime>(
      *database_, *event_stream_, event_bus_,
      make_fanout(*database_, redis_, redis_subscriber_, pool_.primary().get_executor(), *logger_),
      pool_.primary().get_executor(), *logger_,
      realtime::RealtimeSettings{.presence_ttl = config_.presence_ttl, .presence_sweep = config_.presence_sweep});
  operational_metrics_->watch(*realtime_);
  cache_ = make_cache(config_, redis_, registry_, *logger_);
  if (auto* memory = cache_ ? dynamic_cast<cache::MemoryBackend*>(&cache_->backend()) : nullptr) {
    // Writes of other processes reach a per-process store through their committed events.
    cache_invalidation_ = event_bus_.subscribe(
        [memory](std::span<const events::Event> batch) { memory->bump_now(messaging::cache_namespaces(batch)); });
  }
  if (cache_) {
    accounts_->on_profile_changed([this](std::int64_t) -> asio::awaitable<void> {
      std::vector<std::string> users{std::string(messaging::kUsersNamespace)};
      auto bump = cache_->bump(std::move(users));
      co_await std::move(bump);
    });
  }
  messaging_ = std::make_unique<messaging::MessagingContext>(
      *database_, *event_stream_,
      messaging::MessagingSettings{.edit_window =
                                       std::chrono::duration_cast<std::chrono::seconds>(config_.message_edit_window)},
      messaging::MessagingCache{
          .cache = cache_.get(), .pages = cache_ ? cache_->stats("message_pages") : cache::Stats{}, .ttl = config_.cache_ttl});
  conversations_ = std::make_unique<messaging::Conversations>(*messaging_);
  messages_ = std::make_unique<messaging::Messages>(*messaging_);
  incoming_webhooks_ = std::make_unique<messaging::IncomingWebhooks>(*messaging_, *messages_);
  // Throws std::runtime_error when the upload folder cannot be created or libmagic cannot load.
  uploads_ = std::make_unique<uploads::Uploads>(
      *database_,
      uploads::UploadOptions{
          .dir = config_.upload_dir, .max_bytes = config_.upload_max_bytes, .threads = config_.upload_threads},
      registry_, *logger_);
  make_graphql();
  register_routes(extra_routes);
  std::unique_ptr<http::Middleware> abuse_detector;
  if (config_.abuse_limit.enabled) {
    abuse_store_ = make_rate_limit_store(config_, redis_);
    abuse_detector = accounts::make_abuse_detector_middleware(
        accounts::AbuseSettings{
            .limit = config_.abuse_limit,
            .block_for = std::chrono::duration_cast<std::chrono::seconds>(config_.abuse_block_for)},
        *abuse_store_, *ip_rules_, *jobs_, *logger_);
  }
  pipeline_ = build_pipeline(config_, *logger_, access_log_, metrics_, *accounts_, *ip_rules_, rate_limiter_.get(),
                             std::move(abuse_detector), config_.run_api ? analytics_.get() : nullptr,
                             span_exporter_.get(), router_);
  http::ServerOptions options{
      .host = config_.listen.host,
      .port = config_.listen.port,
      .tls_cert_file = config_.tls_cert_file,
      .tls_key_file = config_.tls_key_file,
      .max_header_bytes = config_.max_header_bytes,
      .max_body_bytes = config_.max_body_bytes,
      .max_connections = config_.max_connections,
      .read_timeout = config_.read_timeout,
      .idle_timeout = config_.idle_timeout,
      .write_timeout = config_.write_timeout,
      .ws_max_message_bytes = config_.ws_max_message_bytes,
      .ws_ping_interval = config_.ws_ping_interval,
      .ws_send_queue = config_.ws_send_queue,
  };
  server_ = std::make_unique<http::Server>(std::move(options), router_, *pipeline_, metrics_, *logger_);
}

App::~App() {
  pool_.stop();
  pool_.join();
  // The contexts are stopped but still alive: release everything that owns I/O objects bound to
  // them (the server's acceptor, the PostgreSQL pool's timers and sockets, the hasher and mailer
  // pools) while they are, users before what they use.
  server_.reset();
  graphql_transports_.reset();
  graphql_.reset();
  realtime_.reset();
  redis_subscriber_.reset();
  redis_.reset();
  uploads_.reset();
  incoming_webhooks_.reset();
  messages_.reset();
  conversations_.reset();
  messaging_.reset();
  cache_invalidation_.reset();
  cache_.reset();
  event_stream_.reset();
  oidc_login_.reset();
  oidc_providers_.reset();
  password_reset_.reset();
  webhook_wakeups_.reset();
  webhook_dispatcher_.reset();
  notification_dispatcher_.reset();
  scheduler_.reset();
  worker_.reset();
  notifications_.reset();
  webhooks_.reset();
  webhook_sender_.reset();
  jobs_.reset();
  broker_.reset();
  mailer_.reset();
  ip_rules_.reset();
  admin_.reset();
  personal_tokens_.reset();
  accounts_.reset();
  rate_limiter_.reset();
  abuse_store_.reset();
  shared_throttle_store_.reset();
  local_throttle_store_.reset();
  credential_invalidator_.reset();
  credential_cache_.reset();
  analytics_.reset();
  operational_metrics_.reset();
  database_.reset();
  logger_->flush();
}

namespace {

// One token of the rate-limit scope `scope` for `subject`: what RouteDoc::rate_limit does for a
// REST route, for a GraphQL operation (RequestContext::throttle). 429 when refused.
asio::awaitable<void> take_rate_limit(ratelimit::RateLimiter* limiter, std::string subject, std::string scope) {
  if (limiter == nullptr) co_return;
  auto outcome = co_await limiter->take({}, scope, subject);
  if (!outcome.allowed) {
    throw AppError::too_many_requests(static_cast<int>(outcome.retry_after.count()))
        .with_header("RateLimit-Policy", outcome.policy_field)
        .with_header("RateLimit", outcome.state_field);
  }
}

}  // namespace

void App::make_graphql() {
  if (!config_.run_api) return;
  auto schema = api::graphql::build_schema({.database = *database_,
                                             .users = accounts_->users(),
                                             .conversations = *conversations_,
                                             .messages = *messages_,
                                             .hub = &realtime_->hub(),
                                             .accounts = accounts_.get(),
                                             .personal_tokens = personal_tokens_.get(),
                                             .incoming_webhooks = incoming_webhooks_.get(),
                                             .webhooks = webhooks_.get(),
                                             .public_url = config_.public_url});
  parley::graphql::EngineOptions engine{.introspection = config_.graphql_introspection,
                                        .map_exception = api::graphql::map_app_error};
  engine.limits.max_depth = static_cast<std::size_t>(config_.graphql_max_depth);
  engine.limits.max_cost = static_cast<std::size_t>(config_.graphql_max_cost);
  graphql_ = std::make_unique<api::graphql::Service>(
      std::move(schema), api::graphql::ServiceOptions{.engine = std::move(engine), .timeout = config_.graphql_timeout});
  graphql_transports_ = std::make_unique<api::graphql::Transports>(api::graphql::Transports{
      .service = *graphql_,
      .authenticate = [this](std::string credential) -> asio::awaitable<http::Principal> {
        co_return co_await accounts_->authenticate_bearer(credential);
      },
      .throttle_for = [this](const http::Principal& principal) {
        return [limiter = rate_limiter_.get(), subject = "u" + std::to_string(principal.user_id)](
                   std::string_view scope) { return take_rate_limit(limiter, subject, std::string(scope)); };
      }});
}

void App::register_routes(const std::function<void(http::Router&)>& extra_routes) {
  add_operations_routes(router_, health_, metrics_, *operational_metrics_);
  if (!config_.run_api) return;  // `parley worker` / `scheduler`: probes and metrics only
  add_account_routes(router_, *accounts_);
  add_session_routes(router_, *accounts_);
  add_token_routes(router_, *personal_tokens_);
  add_admin_routes(router_, *admin_);
  add_ip_rule_routes(router_, *ip_rules_);
  add_job_routes(router_, *jobs_);
  add_webhook_routes(router_, *webhooks_);
  add_incoming_webhook_routes(router_, *incoming_webhooks_, config_.public_url);
  add_password_reset_routes(router_, *password_reset_);
  add_oidc_routes(router_, *oidc_login_);
  add_conversation_routes(router_, *conversations_);
  add_message_routes(router_, *messages_);
  add_upload_routes(router_, *uploads_);
  add_realtime_routes(router_, *realtime_);
  add_analytics_routes(router_, *database_);
  add_static_routes(router_, config_.web_dir, *logger_);
  add_graphql_routes(router_, *graphql_transports_);
  if (extra_routes) extra_routes(router_);
}

std::uint16_t App::start() {
  pool_.start();
  asio::co_spawn(pool_.primary(), prepare_schema(config_, *database_, *logger_), asio::use_future).get();
  event_stream_->start();  // after the schema: it starts from the log's head
  asio::co_spawn(pool_.primary(), realtime_->start(), asio::use_future).get();  // subscribed before serving
  // Before the first request: no other process's invalidation may be missed (app/credentials.hpp).
  asio::co_spawn(pool_.primary(), listen_for_credential_changes(*database_, *credential_invalidator_), asio::use_future)
      .get();
  // Listening before loading: a change committed in between is then either in the load or announced.
  asio::co_spawn(pool_.primary(), listen_for_ip_rule_changes(*database_, *ip_rules_), asio::use_future).get();
  asio::co_spawn(pool_.primary(), ip_rules_->reload(), asio::use_future).get();
  if (worker_) {
    // Jobs committed by other processes wake this worker at once (PostgreSQL NOTIFY).
    asio::co_spawn(pool_.primary(), listen_for_jobs(*database_, *worker_), asio::use_future).get();
    worker_->start();
    webhook_dispatcher_->start();
    notification_dispatcher_->start();
  }
  if (scheduler_) scheduler_->start();
  if (config_.run_api) analytics_->start();
  auto port = server_->start(pool_);
  // The logger batches writes; this bounds how long a quiet period can keep a line unwritten (the
  // access log's sink does the same on its own thread), and reports access-log lines dropped.
  asio::co_spawn(
      pool_.primary(),
      [this]() -> asio::awaitable<void> {
        for (;;) {
          log_flush_timer_.expires_after(std::chrono::milliseconds(250));
          auto [ec] = co_await log_flush_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
          if (auto dropped = access_log_.take_dropped_lines()) {
            logger_->warn("access log: {} lines dropped, its target was slower than the requests", dropped);
          }
          logger_->flush();
          if (ec) co_return;
        }
      },
      asio::detached);
  return port;
}

void App::request_stop() {
  // Out of rotation first: /readyz turns 503 while the listener still accepts, for drain_delay,
  // so health-checking load balancers stop sending before it closes.
  health_.start_draining();
  std::shared_ptr<asio::steady_timer> delay;
  {
    std::lock_guard lock(stop_mutex_);
    if (stop_requested_) {
      if (drain_timer_) asio::post(drain_timer_->get_executor(), [timer = drain_timer_] { timer->cancel(); });
      return;
    }
    stop_requested_ = true;
    if (config_.drain_delay.count() > 0) {
      drain_timer_ = std::make_shared<asio::steady_timer>(pool_.primary(), config_.drain_delay);
      delay = drain_timer_;
    }
  }
  asio::co_spawn(
      pool_.primary(),
      [this, delay]() -> asio::awaitable<void> {
        if (delay) {
          co_await delay->async_wait(asio::as_tuple(asio::use_awaitable));
          std::lock_guard lock(stop_mutex_);
          drain_timer_.reset();
        }
        co_await server_->shutdown(config_.shutdown_grace);
        // The requests have been answered: write the last of their analytics.
        if (config_.run_api) co_await analytics_->stop();
        realtime_->stop();
        // The scheduler first (it enqueues), then the worker (it finishes or requeues what runs).
        if (scheduler_) co_await scheduler_->stop();
        if (webhook_dispatcher_) {
          webhook_wakeups_.reset();
          co_await webhook_dispatcher_->stop();
          co_await notification_dispatcher_->stop();
        }
        if (worker_) co_await worker_->stop();
        co_await event_stream_->stop();
        log_flush_timer_.cancel();
        if (redis_subscriber_) redis_subscriber_->close();
        if (redis_) redis_->close();
        // Every statement failed and its caller told while the I/O threads still run.
        if (database_) co_await database_->close_and_drain();
        {
          std::lock_guard lock(stop_mutex_);
          stopped_ = true;
        }
        stopped_cv_.notify_all();
      },
      asio::detached);
}

void App::wait() {
  std::unique_lock lock(stop_mutex_);
  stopped_cv_.wait(lock, [this] { return stopped_; });
  lock.unlock();
  pool_.stop();
  pool_.join();
}

void App::wait_for_signals_and_stop() {
  asio::signal_set signals(pool_.primary(), SIGINT, SIGTERM);
  // Re-armed after each signal: a second one skips what is left of the drain delay.
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int signal) {
    if (ec) return;
    logger_->info("received signal {}; shutting down (drain delay {}ms, grace {}ms)", signal,
                  config_.drain_delay.count(), config_.shutdown_grace.count());
    request_stop();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  wait();
}

}  // namespace parley
