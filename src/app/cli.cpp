#include "app/cli.hpp"

#include "app/app.hpp"
#include "core/logging.hpp"
#include "http/openapi.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <iostream>

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

int serve(const Config& config) {
  auto logger = logger_for(config);
  try {
    App app(config, logger);
    auto port = app.start();
    std::string scheme = config.tls_enabled() ? "https" : "http";
    std::string host = config.listen.host.find(':') != std::string::npos ? "[" + config.listen.host + "]" : config.listen.host;
    logger->info("Parley {} serving on {}://{}:{} with {} thread(s)", PARLEY_VERSION, scheme, host, port,
                 config.threads);
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

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App cli{"Parley: a self-hosted messaging backend (REST, GraphQL, WebSocket)", "parley"};
  cli.require_subcommand(1);
  auto* serve_cmd = cli.add_subcommand("serve", "Serve the HTTP and WebSocket API");
  auto* all_cmd = cli.add_subcommand("all", "Run every role in one process (today: the API server)");
  bool deploy = false;
  auto* check_cmd = cli.add_subcommand("check", "Print the effective configuration and every problem");
  check_cmd->add_flag("--deploy", deploy, "Also apply the production rules");
  auto* routes_cmd = cli.add_subcommand("routes", "Print the route table");
  auto* openapi_cmd = cli.add_subcommand("openapi", "Print the OpenAPI 3.1 document");
  auto* version_cmd = cli.add_subcommand("version", "Print the version");
  CLI11_PARSE(cli, argc, argv);

  if (*serve_cmd || *all_cmd) {
    auto config = load_config();
    return config ? serve(*config) : 2;
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
      std::cout << boost::json::serialize(http::build_openapi(app.router(), {.title = "Parley API", .version = PARLEY_VERSION}))
                << "\n";
      return 0;
    });
  }
  if (*version_cmd) {
    std::cout << "parley " << PARLEY_VERSION << "\n";
    return 0;
  }
  return 0;
}

}  // namespace parley
