#include "app/cli.hpp"
#include "analytics/rollup.hpp"

#include "accounts/admin.hpp"
#include "app/api_document.hpp"
#include "app/app.hpp"
#include "app/broker.hpp"
#include "app/database.hpp"
#include "core/error.hpp"
#include "db/erd.hpp"
#include "db/migrations.hpp"
#include "core/logging.hpp"
#include "api/graphql/parley_schema.hpp"
#include "graphql/printer.hpp"
#include "graphql/sdl_builder.hpp"
#include "http/openapi.hpp"
#include "jobs/jobs.hpp"
#include "jobs/worker.hpp"
#include "webhooks/webhooks.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <limits>
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <fstream>
#include <iostream>

#include <termios.h>
#include <unistd.h>

namespace parley {
namespace {

// Loads the configuration; prints every problem and returns nullopt when there is one.
std::optional<Config> load_config() {
  auto loaded = Config::load(Config::process_environment());
  if (!loaded.problems.empty()) {
    std::cerr << "parley: invalid configuration:\n";
    for (const auto& p : loaded.problems) std::cerr << "  " << p << "\n";
    return std::nullopt;
  }
  return loaded.config;
}

std::shared_ptr<spdlog::logger> logger_for(const Config& config) {
  return make_logger({.level = config.log_level, .format = config.effective_log_format()});
}

// `started`: when run_cli began. The "serving on" line says how long the start took from there
// (bench/cold_start.sh measures from exec, which adds loading the shared libraries).
int serve(const Config& config, std::chrono::steady_clock::time_point started) {
  auto logger = logger_for(config);
  try {
    App app(config, logger);
    auto port = app.start();
    const std::chrono::duration<double, std::milli> start_time = std::chrono::steady_clock::now() - started;
    std::string scheme = config.tls_enabled() ? "https" : "http";
    std::string host = config.listen.host.find(':') != std::string::npos ? "[" + config.listen.host + "]" : config.listen.host;
    std::string roles = config.run_api ? "api" : "";
    if (config.run_worker) roles += roles.empty() ? "worker" : "+worker";
    if (config.run_scheduler) roles += roles.empty() ? "scheduler" : "+scheduler";
    logger->info("Parley {} ({}) serving on {}://{}:{} with {} thread(s), started in {:.1f} ms", PARLEY_VERSION, roles, scheme,
                 host, port, config.threads, start_time.count());
    app.wait_for_signals_and_stop();
    logger->info("stopped");
    return 0;
  } catch (const std::exception& e) {
    logger->critical("cannot start: {}", e.what());
    logger->flush();
    return 1;
  }
}

int check(bool deploy) {
  auto loaded = Config::load(Config::process_environment());
  std::cout << "Effective configuration:\n";
  for (const auto& s : settings()) std::cout << fmt::format("  {:<26} {}\n", s.name, s.show(loaded.config));
  auto problems = loaded.problems;
  if (deploy) {
    auto more = deploy_problems(loaded.config);
    problems.insert(problems.end(), more.begin(), more.end());
  }
  if (problems.empty()) {
    std::cout << (deploy ? "No problems found (deployment checks included).\n" : "No problems found.\n");
    return 0;
  }
  std::cout << problems.size() << " problem(s):\n";
  for (const auto& p : problems) std::cout << "  - " << p << "\n";
  return 1;
}

// An App that is built but never started, to inspect its routes.
template <typename F>
int with_idle_app(F&& f) {
  auto config = load_config();
  if (!config) return 2;
  App app(*config, make_logger({.level = "warn", .format = "text"}));
  return f(app);
}

// Opens the configured database on a private one-thread pool and runs `task` against it; for
// the commands that work on the database without serving.
template <typename F>
int with_database(F&& task) {
  auto config = load_config();
  if (!config) return 2;
  try {
    http::IoPool pool(1);
    pool.start();
    auto database = open_database(*config, pool);
    int status = boost::asio::co_spawn(pool.primary(), task(*config, *database), boost::asio::use_future).get();
    database->close();
    pool.stop();
    pool.join();
    return status;
  } catch (const AppError& e) {
    std::cerr << "parley: " << e.public_message() << (e.internal_detail().empty() ? "" : " (" + e.internal_detail() + ")")
              << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "parley: " << e.what() << "\n";
    return 1;
  }
}

// `parley jobs ...`: the operator's view of the broker (the admin endpoints' twin).
struct JobsCommand {
  std::string action;  // list | stats | retry | purge-dead
  std::string status = "dead";
  int limit = 50;
  std::int64_t id = 0;
  std::string older_than = "0s";
};

boost::asio::awaitable<int> jobs_command(const JobsCommand& command, const Config& config, db::Database& database) {
  jobs::TaskRegistry no_tasks;  // nothing is enqueued from here
  auto logger = make_logger({.level = "warn", .format = "text"});
  auto broker = make_broker(config, database, no_tasks, nullptr, co_await boost::asio::this_coro::executor, *logger,
                            "cli:" + jobs::default_worker_name());
  jobs::Jobs jobs(database, no_tasks, *broker);
  if (command.action == "stats") {
    auto counts = co_await jobs.counts();
    constexpr std::string_view kRow = "{:<16} {:>8} {:>8} {:>9} {:>8} {:>8}  {}\n";
    std::cout << fmt::format(kRow, "QUEUE", "QUEUED", "DUE", "RETRYING", "RUNNING", "DEAD", "OLDEST DUE");
    for (const auto& c : counts) {
      std::cout << fmt::format(kRow, c.queue, c.queued, c.due, c.retrying, c.running, c.dead,
                               c.oldest_due_at.value_or("-"));
    }
    if (counts.empty()) std::cout << "No jobs.\n";
    co_return 0;
  }
  if (command.action == "list") {
    auto rows = co_await jobs.list(command.status, std::numeric_limits<std::int64_t>::max(), command.limit);
    for (const auto& j : rows) {
      std::cout << fmt::format("{:>8}  {:<10} {:<28} {:<8} {}/{}  run_at {}  {}\n", j.id, j.queue, j.task, j.status,
                               j.attempts, j.max_attempts, j.run_at, j.last_error.value_or(""));
    }
    if (rows.empty()) std::cout << "No " << command.status << " jobs.\n";
    co_return 0;
  }
  if (command.action == "retry") {
    auto job = co_await jobs.retry_dead(command.id, jobs::Jobs::Actor{});
    std::cout << "Job " << job.id << " (" << job.task << ") is queued again.\n";
    co_return 0;
  }
  auto older = parse_duration(command.older_than);
  if (!older) {
    std::cerr << "parley: --older-than: expected a duration such as 7d or 12h\n";
    co_return 2;
  }
  auto purged = co_await jobs.purge_dead(std::chrono::duration_cast<std::chrono::seconds>(*older));
  std::cout << "Deleted " << purged << " dead job(s).\n";
  co_return 0;
}

// `parley analytics rollup [--date D | --from D --to D]`: rolls up days again (a backfill, or a
// day whose events arrived late); today by default.
struct AnalyticsCommand {
  std::string date;
  std::string from;
  std::string to;
};

boost::asio::awaitable<int> analytics_rollup(const AnalyticsCommand& command, db::Database& database) {
  auto day_of = [](const std::string& option, const std::string& text) {
    auto day = analytics::parse_day(text);
    if (!day) throw std::invalid_argument(option + ": expected a date as YYYY-MM-DD, got '" + text + "'");
    return *day;
  };
  analytics::Day from = analytics::today();
  analytics::Day to = from;
  if (!command.date.empty()) {
    from = to = day_of("--date", command.date);
  } else if (!command.from.empty() || !command.to.empty()) {
    if (command.from.empty() || command.to.empty()) throw std::invalid_argument("--from and --to go together");
    from = day_of("--from", command.from);
    to = day_of("--to", command.to);
    if (from > to) throw std::invalid_argument("--from is after --to");
  }
  for (auto day = from; day <= to; day += std::chrono::days(1)) {
    auto row = co_await analytics::rollup_day(database, day);
    std::cout << fmt::format("{}: {} active user(s), {} message(s), {} sign-up(s), {} login(s), {} error(s), {} "
                             "request(s), p95 {}\n",
                             row.day, row.active_users, row.messages, row.signups, row.logins, row.errors,
                             row.requests,
                             row.p95_latency_ms ? fmt::format("{:.1f} ms", *row.p95_latency_ms) : std::string("-"));
  }
  co_return 0;
}

boost::asio::awaitable<int> migrate(const Config& config, db::Database& database) {
  db::Migrator migrator(database, db::migrations_dir(config.migrations_dir, database.dialect()));
  int applied = co_await migrator.migrate();
  std::cout << (applied == 0 ? std::string("No migrations to apply.") : "Applied " + std::to_string(applied) + " migration(s).")
            << "\n";
  co_return 0;
}

boost::asio::awaitable<int> show_migrations(const Config& config, db::Database& database) {
  db::Migrator migrator(database, db::migrations_dir(config.migrations_dir, database.dialect()));
  int problems = 0;
  for (const auto& m : co_await migrator.status()) {
    std::cout << fmt::format("[{}] {:04d} {:<32} {}\n", m.state == db::MigrationState::applied ? 'X' : ' ', m.version,
                             m.name, db::to_string(m.state));
    problems += m.state == db::MigrationState::changed || m.state == db::MigrationState::missing_file;
  }
  co_return problems == 0 ? 0 : 1;
}

// Reads one line from stdin after printing `prompt` to stderr; with `secret`, the terminal does not
// echo it. nullopt at end of input.
std::optional<std::string> prompt_line(const std::string& prompt, bool secret) {
  std::cerr << prompt << std::flush;
  termios saved{};
  bool restore = secret && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (restore) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!ok) return std::nullopt;
  return line;
}

// `parley createsuperuser`: fills what the flags left out by prompting on a terminal (the password
// twice, without echo), then creates an owner. Exit 0 created, 1 refused, 2 bad usage.
int create_superuser_command(accounts::SuperuserInput input) {
  bool interactive = isatty(STDIN_FILENO) != 0;
  if (!interactive && (input.username.empty() || input.email.empty() || input.password.empty())) {
    std::cerr << "parley: createsuperuser needs --username, --email and --password when stdin is not a terminal\n";
    return 2;
  }
  if (input.username.empty()) input.username = prompt_line("Username: ", false).value_or("");
  if (input.email.empty()) input.email = prompt_line("Email: ", false).value_or("");
  if (input.password.empty()) {
    auto first = prompt_line("Password: ", true).value_or("");
    auto again = prompt_line("Password (again): ", true).value_or("");
    if (first != again) {
      std::cerr << "parley: the passwords do not match\n";
      return 1;
    }
    input.password = std::move(first);
  }
  return with_database([&input](const Config& config, db::Database& database) -> boost::asio::awaitable<int> {
    // Refuses with pending migrations (naming `parley migrate`) unless PARLEY_AUTO_MIGRATE applies them.
    auto logger = logger_for(config);
    co_await prepare_schema(config, database, *logger);
    auth::PasswordPolicy policy;
    auth::PasswordHasher hasher(auth::PasswordHasher::Options{.threads = 1});
    try {
      auto user = co_await accounts::create_superuser(database, policy, hasher, std::move(input));
      std::cout << "Created owner '" << user.username << "' (id " << user.id << ").\n";
      co_return 0;
    } catch (const AppError& e) {
      std::cerr << "parley: " << e.public_message() << "\n";
      for (const auto& [field, messages] : e.field_errors())
        for (const auto& m : messages) std::cerr << "  " << field << ": " << m << "\n";
      co_return 1;
    }
  });
}

}  // namespace

int run_cli(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  CLI::App cli{"Parley: a self-hosted messaging backend (REST, GraphQL, WebSocket)", "parley"};
  cli.require_subcommand(1);
  auto* serve_cmd = cli.add_subcommand("serve", "Serve the HTTP and WebSocket API");
  auto* worker_cmd = cli.add_subcommand("worker", "Run background jobs (also serves /healthz, /readyz and /metrics)");
  auto* scheduler_cmd =
      cli.add_subcommand("scheduler", "Enqueue periodic jobs; leader-elected, so any number may run");
  auto* all_cmd = cli.add_subcommand("all", "Run the API server, a worker and the scheduler in one process");
  JobsCommand jobs_args;
  auto* jobs_cmd = cli.add_subcommand("jobs", "Inspect and repair the job queues");
  jobs_cmd->require_subcommand(1);
  jobs_cmd->add_subcommand("stats", "Jobs by queue and state")->callback([&] { jobs_args.action = "stats"; });
  auto* jobs_list = jobs_cmd->add_subcommand("list", "List jobs of one state, newest first");
  jobs_list->add_option("--status", jobs_args.status, "queued, running or dead")
      ->check(CLI::IsMember({"queued", "running", "dead"}));
  jobs_list->add_option("--limit", jobs_args.limit, "How many")->check(CLI::Range(1, 200));
  jobs_list->callback([&] { jobs_args.action = "list"; });
  auto* jobs_retry = jobs_cmd->add_subcommand("retry", "Queue a dead job again with its attempts reset");
  jobs_retry->add_option("id", jobs_args.id, "The job's id")->required()->check(CLI::PositiveNumber);
  jobs_retry->callback([&] { jobs_args.action = "retry"; });
  auto* jobs_purge = jobs_cmd->add_subcommand("purge-dead", "Delete dead jobs");
  jobs_purge->add_option("--older-than", jobs_args.older_than, "Only those dead for at least this long (e.g. 7d)");
  jobs_purge->callback([&] { jobs_args.action = "purge-dead"; });
  auto* webhooks_cmd = cli.add_subcommand("webhooks", "Outgoing webhooks (docs/webhooks.md)");
  webhooks_cmd->require_subcommand(1);
  auto* webhooks_reseal_cmd = webhooks_cmd->add_subcommand(
      "reseal", "Seal every webhook secret under the current PARLEY_SECRET_KEY (after a rotation, before "
                "removing the old key from PARLEY_SECRET_KEY_FALLBACKS)");
  AnalyticsCommand analytics_args;
  auto* analytics_cmd = cli.add_subcommand("analytics", "Usage analytics (docs/analytics.md)");
  analytics_cmd->require_subcommand(1);
  auto* analytics_rollup_cmd =
      analytics_cmd->add_subcommand("rollup", "Recompute the daily rollup of a day or range (UTC; today by default)");
  auto* date_opt = analytics_rollup_cmd->add_option("--date", analytics_args.date, "One day, YYYY-MM-DD");
  analytics_rollup_cmd->add_option("--from", analytics_args.from, "First day of a range, YYYY-MM-DD")->excludes(date_opt);
  analytics_rollup_cmd->add_option("--to", analytics_args.to, "Last day of a range, YYYY-MM-DD")->excludes(date_opt);
  bool deploy = false;
  auto* check_cmd = cli.add_subcommand("check", "Print the effective configuration and every problem");
  check_cmd->add_flag("--deploy", deploy, "Also apply the production rules");
  bool markdown = false;
  check_cmd->add_flag("--markdown", markdown, "Print the table of every setting (for the README) and exit");
  auto* routes_cmd = cli.add_subcommand("routes", "Print the route table");
  auto* openapi_cmd = cli.add_subcommand("openapi", "Print the OpenAPI 3.1 document");
  auto* graphql_schema_cmd = cli.add_subcommand("graphql-schema", "Print the GraphQL schema (SDL)");
  auto* version_cmd = cli.add_subcommand("version", "Print the version");
  auto* migrate_cmd = cli.add_subcommand("migrate", "Apply pending database migrations (safe to run from many replicas)");
  auto* showmigrations_cmd = cli.add_subcommand("showmigrations", "List migrations and whether each is applied");
  std::string erd_output = "docs/erd.md";
  auto* erd_cmd = cli.add_subcommand("erd", "Write the Mermaid ERD of the live schema");
  erd_cmd->add_option("-o,--output", erd_output, "File to write ('-' for stdout)");
  accounts::SuperuserInput superuser;
  auto* createsuperuser_cmd = cli.add_subcommand(
      "createsuperuser", "Create an owner account (prompts for what the options leave out when on a terminal)");
  createsuperuser_cmd->add_option("--username", superuser.username, "Username");
  createsuperuser_cmd->add_option("--email", superuser.email, "Email address");
  createsuperuser_cmd->add_option("--password", superuser.password,
                                  "Password (visible to other local users in the process list: prefer the prompt)");
  CLI11_PARSE(cli, argc, argv);

  if (*serve_cmd || *worker_cmd || *scheduler_cmd || *all_cmd) {
    auto config = load_config();
    if (!config) return 2;
    config->run_api = *serve_cmd || *all_cmd;
    config->run_worker = *worker_cmd || *all_cmd;
    config->run_scheduler = *scheduler_cmd || *all_cmd;
    return serve(*config, started);
  }
  if (*jobs_cmd) {
    return with_database([&jobs_args](const Config& config, db::Database& database) {
      return jobs_command(jobs_args, config, database);
    });
  }
  if (*webhooks_reseal_cmd) {
    return with_database([](const Config& config, db::Database& database) -> boost::asio::awaitable<int> {
      const webhooks::SecretBox box(config.secret_key, config.secret_key_fallbacks);
      auto report = co_await webhooks::reseal_secrets(database, box);
      std::cout << fmt::format("Resealed {} webhook secret(s); {} already under the current key; {} unreadable.\n",
                               report.resealed, report.current, report.unreadable);
      if (report.unreadable > 0)
        std::cout << "No key opens the unreadable ones: rotate them (PATCH /api/v1/webhooks/{id} "
                     "{\"rotate_secret\": true}).\n";
      co_return report.unreadable > 0 ? 1 : 0;
    });
  }
  if (*analytics_rollup_cmd) {
    return with_database([&analytics_args](const Config&, db::Database& database) {
      return analytics_rollup(analytics_args, database);
    });
  }
  if (*check_cmd && markdown) {
    std::cout << "| Variable | Default | Meaning |\n|---|---|---|\n";
    for (const auto& s : settings())
      std::cout << "| `" << s.name << "` | " << (s.default_text.empty() ? "(empty)" : "`" + std::string(s.default_text) + "`")
                << " | " << s.help << (s.secret ? " (secret: masked in output)" : "") << " |\n";
    return 0;
  }
  if (*check_cmd) return check(deploy);
  if (*routes_cmd) {
    return with_idle_app([](App& app) {
      for (const auto& route : app.router().routes()) {
        std::cout << fmt::format("{:<8} {:<40} {:<6} {}\n", http::method_name(route->method), route->path,
                                 route->websocket ? "ws" : "", route->doc.summary);
      }
      return 0;
    });
  }
  if (*openapi_cmd) {
    return with_idle_app([](App& app) {
      std::cout << boost::json::serialize(api_document(app.router()))
                << "\n";
      return 0;
    });
  }
  if (*graphql_schema_cmd) {
    // The SDL as the engine built it (checked, printed canonically): needs no database or services.
    std::cout << graphql::print_schema(*graphql::build_schema_or_throw(api::graphql::sdl()));
    return 0;
  }
  if (*createsuperuser_cmd) return create_superuser_command(std::move(superuser));
  if (*migrate_cmd) return with_database(migrate);
  if (*showmigrations_cmd) return with_database(show_migrations);
  if (*erd_cmd) {
    return with_database([&erd_output](const Config&, db::Database& database) -> boost::asio::awaitable<int> {
      auto erd = co_await db::render_erd(database);
      if (erd_output == "-") {
        std::cout << erd;
      } else {
        std::ofstream(erd_output) << erd;
        std::cout << "Wrote " << erd_output << "\n";
      }
      co_return 0;
    });
  }
  if (*version_cmd) {
    std::cout << "parley " << PARLEY_VERSION << "\n";
    return 0;
  }
  return 0;
}

}  // namespace parley
