#pragma once
// Integration-test harness: the real server (App) on port 0 in this process, and real blocking
// HTTP, raw-TCP and WebSocket clients on the test thread.
#include "app/app.hpp"
#include "core/config.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <string>
#include <vector>

namespace parley::testing {

// A new Ed25519 signing key in a private temporary folder (the file mode 0600), removed with the
// object: what PARLEY_JWT_PRIVATE_KEY_FILE names when servers must accept each other's tokens, as
// replicas do (each would otherwise sign with a key of its own).
class SigningKeyFile {
 public:
  SigningKeyFile();
  ~SigningKeyFile();
  SigningKeyFile(const SigningKeyFile&) = delete;
  SigningKeyFile& operator=(const SigningKeyFile&) = delete;
  std::string path() const;

 private:
  std::string dir_;
};

// Config for tests: loopback, port 0, two threads, quiet logs; `env` overrides PARLEY_* values.
Config test_config(const std::map<std::string, std::string>& env = {});

// Everything a TestServer logs (its logger at the config's level, and the access log) appended to
// one temporary file, to be read back once the server has stopped. Must outlive the server.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // A synchronous logger writing to the file (every record flushed at once).
  std::shared_ptr<spdlog::logger> make_logger(const std::string& level) const;
  // The file's descriptor, for the access log.
  int fd() const noexcept { return fd_; }
  // The whole file so far.
  std::string contents() const;

 private:
  std::string path_;
  int fd_ = -1;
};

class TestServer {
 public:
  // With `logs`, the server logs into it instead of stderr.
  explicit TestServer(Config config = test_config(), std::function<void(http::Router&)> extra_routes = {},
                      const LogCapture* logs = nullptr);
  ~TestServer();
  std::uint16_t port() const noexcept { return port_; }
  App& app() noexcept { return *app_; }
  // Graceful stop; blocks until done.
  void stop();

 private:
  std::unique_ptr<App> app_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string header(const std::string& name) const;
  boost::json::value json() const;
};

// Converts a Beast response (header names lower-cased).
HttpResult to_http_result(const boost::beast::http::response<boost::beast::http::string_body>& response);

// One request on a fresh connection. With PARLEY_IT_RECORD_DIR set, the exchange is also recorded
// (record_exchange) for the OpenAPI contract check (tests/openapi/check-exchanges.mjs).
HttpResult http_request(std::uint16_t port, std::string method, std::string target,
                        std::map<std::string, std::string> headers = {}, std::string body = {});

// When PARLEY_IT_RECORD_DIR names a folder, appends the exchange as one JSON line to this process'
// file there (exchanges-<pid>.jsonl): the running test, method, target, request and response media
// types, status, and the JSON (or problem+json) bodies up to 1 MiB; other bodies by size only. Does
// nothing otherwise. Byte-level tests (RawConnection) are not recorded: they send what no client would.
void record_exchange(const boost::beast::http::request<boost::beast::http::string_body>& request,
                     const HttpResult& result);

// A raw TCP connection for tests that need byte-level control.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  void send(std::string_view bytes);
  // Reads one complete HTTP response (Content-Length framed). Throws on timeout or close.
  // `head`: the response answers a HEAD request, so it has no body whatever its Content-Length.
  HttpResult read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5), bool head = false);
  // True when the server closes the connection within `timeout` (reads and discards data).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<void> buffer_;  // a beast::flat_buffer, kept across reads for pipelined responses
};

// Runs a database coroutine to completion on a private io_context and returns its result (test
// setup that has no endpoint).
template <typename T>
T run_db(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  try {
    T value = future.get();
    guard.reset();
    runner.join();
    return value;
  } catch (...) {
    guard.reset();
    runner.join();
    throw;
  }
}

// Polls `condition` until it holds or `deadline` passes; never a fixed sleep.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline = std::chrono::seconds(5));

}  // namespace parley::testing
