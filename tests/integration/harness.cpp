#include "harness.hpp"

#include "auth/jwt.hpp"
#include "auth/tokens.hpp"
#include "core/logging.hpp"
#include "http/response.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/basic_file_sink.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace parley::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

SigningKeyFile::SigningKeyFile()
    : dir_((std::filesystem::temp_directory_path() / ("parley-key-" + auth::random_token(8))).string()) {
  std::filesystem::create_directories(dir_);
  {
    std::ofstream out(path(), std::ios::binary);
    out << auth::Ed25519Key::generate().private_pem();
  }
  std::filesystem::permissions(path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

SigningKeyFile::~SigningKeyFile() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string SigningKeyFile::path() const { return (std::filesystem::path(dir_) / "jwt.pem").string(); }

Config test_config(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> merged{{"PARLEY_LISTEN", "127.0.0.1:0"},
                                            {"PARLEY_THREADS", "2"},
                                            {"PARLEY_LOG_LEVEL", "warn"},
                                            {"PARLEY_SHUTDOWN_GRACE", "5s"},
                                            {"PARLEY_DATABASE_URL", "sqlite::memory:"},
                                            // Suites send bursts no client would; the rate-limit
                                            // suite turns limits back on.
                                            {"PARLEY_RATE_LIMITS", "off"},
                                            // Suites refuse requests on purpose; the abuse test
                                            // turns detection back on.
                                            {"PARLEY_ABUSE_LIMIT", "off"},
                                            // testing.effect (jobs/builtin_tasks.hpp) for the jobs suite.
                                            {"PARLEY_TEST_TASKS", "1"},
                                            // Not ./var/uploads of whatever folder the tests run in.
                                            {"PARLEY_UPLOAD_DIR", (std::filesystem::temp_directory_path() /
                                                                   "parley-test-uploads").string()}};
  for (const auto& [k, v] : env) merged[k] = v;
  auto loaded = Config::load([&](std::string_view name) -> std::optional<std::string> {
    auto it = merged.find(std::string(name));
    if (it == merged.end()) return std::nullopt;
    return it->second;
  });
  if (!loaded.problems.empty()) throw std::runtime_error("test config: " + loaded.problems.front());
  // A test server runs the API and a worker (mail, for one, is a job); a test that needs the
  // scheduler, or no worker, changes the fields.
  loaded.config.run_worker = true;
  return loaded.config;
}

LogCapture::LogCapture() {
  std::string pattern = (std::filesystem::temp_directory_path() / "parley-log-XXXXXX").string();
  // O_APPEND: the logger's sink appends to the same file, so neither overwrites the other.
  fd_ = ::mkostemp(pattern.data(), O_APPEND);
  if (fd_ < 0) throw std::runtime_error("LogCapture: mkostemp failed");
  path_ = pattern;
}

LogCapture::~LogCapture() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

std::shared_ptr<spdlog::logger> LogCapture::make_logger(const std::string& level) const {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path_);  // appends
  auto logger = std::make_shared<spdlog::logger>("test", std::move(sink));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %n: %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::string LogCapture::contents() const {
  std::ifstream in(path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TestServer::TestServer(Config config, std::function<void(http::Router&)> extra_routes, const LogCapture* logs) {
  std::shared_ptr<spdlog::logger> logger;
  int access_log_fd = 2;
  if (logs != nullptr) {
    logger = logs->make_logger(config.log_level);
    access_log_fd = logs->fd();
  } else {
    logger = make_logger({.level = config.log_level, .format = "text", .name = "test"});
  }
  app_ = std::make_unique<App>(std::move(config), logger, std::move(extra_routes), access_log_fd);
  port_ = app_->start();
}

TestServer::~TestServer() { stop(); }

void TestServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  app_->request_stop();
  app_->wait();
}

std::string HttpResult::header(const std::string& name) const {
  std::string lower = name;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(lower);
  return it == headers.end() ? std::string() : it->second;
}

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

HttpResult to_http_result(const bhttp::response<bhttp::string_body>& response) {
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  result.body = response.body();
  return result;
}

namespace {

// The descriptor of this process' exchange file, or -1 when PARLEY_IT_RECORD_DIR is unset (opened once).
int record_fd() {
  static const int fd = [] {
    const char* dir = std::getenv("PARLEY_IT_RECORD_DIR");
    if (dir == nullptr || *dir == '\0') return -1;
    std::filesystem::create_directories(dir);
    auto path = std::filesystem::path(dir) / ("exchanges-" + std::to_string(::getpid()) + ".jsonl");
    int opened = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (opened < 0) throw std::runtime_error("cannot open " + path.string());
    return opened;
  }();
  return fd;
}

}  // namespace

void record_exchange(const bhttp::request<bhttp::string_body>& request, const HttpResult& result) {
  const int fd = record_fd();
  if (fd < 0) return;
  // Bodies beyond this are left out (the check then validates status and media type only).
  constexpr std::size_t kMaxBody = 1024 * 1024;
  boost::json::object line;
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info(); info != nullptr)
    line["test"] = std::string(info->test_suite_name()) + "." + info->name();
  line["method"] = std::string(request.method_string());
  line["target"] = std::string(request.target());
  const std::string request_type(request[bhttp::field::content_type]);
  if (!request_type.empty()) line["request_content_type"] = request_type;
  if (!request[bhttp::field::accept].empty()) line["accept"] = std::string(request[bhttp::field::accept]);
  if (http::is_json_media_type(request_type) && !request.body().empty() && request.body().size() <= kMaxBody)
    line["request_body"] = request.body();
  line["status"] = result.status;
  const std::string type = result.header("content-type");
  if (!type.empty()) line["content_type"] = type;
  line["body_bytes"] = result.body.size();
  if (http::is_json_media_type(type) && result.body.size() <= kMaxBody) line["body"] = result.body;
  std::string text = boost::json::serialize(line);
  text += '\n';
  // One write per line on an O_APPEND descriptor: lines of concurrent writers do not interleave.
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("writing the exchange record failed");
}

HttpResult http_request(std::uint16_t port, std::string method, std::string target,
                        std::map<std::string, std::string> headers, std::string body) {
  RawConnection connection(port);
  bhttp::request<bhttp::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  if (!body.empty() && headers.find("Content-Type") == headers.end()) request.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) request.set(k, v);
  request.body() = std::move(body);
  request.prepare_payload();
  std::ostringstream wire;
  wire << request;
  connection.send(wire.str());
  auto result = connection.read_response(std::chrono::seconds(5), method == "HEAD");
  record_exchange(request, result);
  return result;
}

RawConnection::RawConnection(std::uint16_t port) : socket_(io_), buffer_(std::make_shared<beast::flat_buffer>()) {
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void RawConnection::send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

HttpResult RawConnection::read_response(std::chrono::milliseconds timeout, bool head) {
  auto& buffer = *std::static_pointer_cast<beast::flat_buffer>(buffer_);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(head);
  parser.body_limit(64 * 1024 * 1024);
  boost::system::error_code result = asio::error::would_block;
  bhttp::async_read(socket_, buffer, parser, [&](boost::system::error_code ec, std::size_t) { result = ec; });
  io_.restart();
  io_.run_for(timeout);
  if (result == asio::error::would_block) {
    socket_.cancel();
    io_.restart();
    io_.run();
    throw std::runtime_error("timed out waiting for a response");
  }
  if (result) throw std::runtime_error("reading the response failed: " + result.message());
  return to_http_result(parser.get());
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> scratch{};
  while (std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code result = asio::error::would_block;
    socket_.async_read_some(asio::buffer(scratch), [&](boost::system::error_code ec, std::size_t) { result = ec; });
    io_.restart();
    io_.run_for(deadline - std::chrono::steady_clock::now());
    if (result == asio::error::would_block) {
      socket_.cancel();
      io_.restart();
      io_.run();
      return false;
    }
    if (result) return true;  // eof or reset: the server closed it
  }
  return false;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace parley::testing
