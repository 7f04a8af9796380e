// wsload: WebSocket load generator for Parley's real-time endpoint (GET /api/v1/realtime).
//
// Fan-out mode (default): seeds N users and one group holding all of them (plus, optionally, K
// smaller groups), opens one authenticated socket per user, waits until every socket is live (a
// {"type":"ping"} answered by {"type":"pong"}: the server answers frames only once the socket's
// replay is over), then sends messages through the REST API at a fixed rate from a few sender users
// and checks on every socket that each message.created arrives exactly once, with strictly
// increasing event ids. Reports losses, duplicates, out-of-order events and the delivery latency.
//
// Idle mode (--idle): opens N sockets, waits until they are live and a settling time has passed,
// and reports the server's resident memory (VmRSS of --server-pid) before and after: KB per idle
// socket.
//
// Seeding: with --pg-url, users, their personal tokens (pat_..., scopes read and write; the SHA-256
// of the secret is stored, as the server does) and the memberships are written with SQL in a few
// statements, so 10,000 users take seconds; the conversations themselves are created through the
// REST API. Without --pg-url everything goes through the REST API (register, then token; each costs
// an Argon2id hash on the server, so keep N small). Users are <prefix><i>: a second run reuses them.
//
// Output: a human-readable report on stdout, then one JSON line; progress on stderr. Exit status:
// 0 all good, 1 a loss, duplicate or out-of-order event, 2 usage or setup error, 3 the run was not
// valid (sockets that failed to open or go live, closed early, failed sends).
#include "checks.hpp"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct Options {
  std::string url = "http://127.0.0.1:8000";
  std::size_t sockets = 1000;
  std::string prefix = "wsload";
  std::string password = "wsload passphrase 4417 qrs";
  std::string pg_url;
  std::size_t senders = 4;
  double rate = 20;
  double duration = 10;
  std::size_t conversations = 0;
  std::size_t conversation_size = 50;
  std::size_t threads = 0;
  std::size_t connect_concurrency = 256;
  double connect_rate = 0;
  std::size_t http_connections = 16;
  double live_timeout = 120;
  double drain_timeout = 15;
  double settle = 30;
  bool idle = false;
  double idle_wait = 10;
  int server_pid = 0;
  std::string label;
};

[[noreturn]] void fail_setup(const std::string& what) { throw std::runtime_error(what); }

// ---------------------------------------------------------------------------------------------
// Small helpers: progress, random tokens, SHA-256, RSS.

__attribute__((format(printf, 1, 2))) void progress(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::fprintf(stderr, "wsload: ");
  std::vfprintf(stderr, format, args);
  std::fprintf(stderr, "\n");
  va_end(args);
}

std::string base64url(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | data[i];
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  return out;
}

// A personal token as the server issues them: "pat_" + base64url(32 random bytes).
std::string new_personal_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail_setup("RAND_bytes failed");
  return "pat_" + base64url(bytes, sizeof bytes);
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) fail_setup("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// VmRSS of a process in KiB, or -1.
long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double cpu_seconds_self() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force.
rlim_t raise_nofile() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// ---------------------------------------------------------------------------------------------
// The server address.

struct Target {
  std::string host;  // as given in the URL, for the Host header
  std::string port;
  tcp::endpoint endpoint;
};

Target parse_target(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) fail_setup("--url must start with http:// (TLS is not supported): " + url);
  auto rest = url.substr(kScheme.size());
  rest = rest.substr(0, rest.find('/'));
  Target t;
  auto colon = rest.rfind(':');
  t.host = rest;
  if (colon == std::string::npos) {
    t.port = "80";
  } else {
    t.port = rest.substr(colon + 1);
  }
  auto name = colon == std::string::npos ? rest : rest.substr(0, colon);
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(name, t.port);
  if (results.empty()) fail_setup("cannot resolve " + name);
  t.endpoint = results.begin()->endpoint();
  return t;
}

// ---------------------------------------------------------------------------------------------
// A keep-alive HTTP/1.1 client connection (one request at a time).

struct HttpResult {
  unsigned status = 0;
  std::string body;
};

class HttpClient {
 public:
  HttpClient(asio::any_io_executor executor, const Target& target) : stream_(executor), target_(target) {}

  // One request; reconnects and retries once when a kept-alive connection turns out closed
  // (message sends carry a client_msg_id, so a retry never creates a second message).
  asio::awaitable<HttpResult> request(http::verb verb, std::string path, std::string token, std::string body) {
    http::request<http::string_body> req{verb, path, 11};
    req.set(http::field::host, target_.host);
    req.set(http::field::user_agent, "wsload");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty() || verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    std::string last_error;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!connected_) {
        stream_.expires_after(10s);
        auto [cec] = co_await stream_.async_connect(target_.endpoint, kTuple);
        if (cec) {
          last_error = "connect: " + cec.message();
          stream_.close();
          continue;
        }
        connected_ = true;
      }
      stream_.expires_after(60s);
      auto [wec, written] = co_await http::async_write(stream_, req, kTuple);
      if (wec) {
        last_error = "write: " + wec.message();
        reset();
        continue;
      }
      http::response<http::string_body> res;
      auto [rec, read] = co_await http::async_read(stream_, buffer_, res, kTuple);
      if (rec) {
        last_error = "read: " + rec.message();
        reset();
        continue;
      }
      if (!res.keep_alive()) reset();
      co_return HttpResult{res.result_int(), std::move(res.body())};
    }
    throw std::runtime_error(std::string(http::to_string(verb)) + " " + path + ": " + last_error);
  }

 private:
  void reset() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  beast::tcp_stream stream_;
  const Target& target_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

json::value parse_or_throw(const HttpResult& result, const std::string& what) {
  boost::system::error_code ec;
  auto value = json::parse(result.body, ec);
  if (ec)
    throw std::runtime_error(what + ": answer is not JSON (status " + std::to_string(result.status) +
                             "): " + result.body.substr(0, 300));
  return value;
}

// ---------------------------------------------------------------------------------------------
// Setup: users, tokens, conversations.

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string token;
};

struct Conversation {
  std::int64_t id = 0;
  std::vector<std::size_t> members;  // user indexes
};

// Runs `count` jobs with at most `width` in flight on one io_context: job(i) for i in [0, count).
template <class Job>
asio::awaitable<void> run_bounded(std::size_t count, std::size_t width, Job job) {
  auto next = std::make_shared<std::size_t>(0);
  auto error = std::make_shared<std::string>();
  auto running = std::make_shared<std::size_t>(0);
  auto executor = co_await asio::this_coro::executor;
  for (std::size_t w = 0; w < std::min(width, count); ++w) {
    ++*running;
    asio::co_spawn(
        executor,
        [next, count, job, error]() -> asio::awaitable<void> {
          while (*next < count && error->empty()) {
            std::size_t i = (*next)++;
            co_await job(i);
          }
        },
        [running, error](std::exception_ptr e) {
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              if (error->empty()) *error = ex.what();
            }
          }
          --*running;
        });
  }
  asio::steady_timer timer(executor);
  while (*running > 0) {
    timer.expires_after(5ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (!error->empty()) throw std::runtime_error(*error);
}

class PgConnection {
 public:
  explicit PgConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      fail_setup("PostgreSQL: " + message);
    }
  }
  ~PgConnection() {
    if (conn_) PQfinish(conn_);
  }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` with text parameters; returns the rows as text.
  std::vector<std::vector<std::string>> query(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* result =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    auto status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      std::string message = PQresultErrorMessage(result);
      PQclear(result);
      fail_setup("PostgreSQL: " + message + " in: " + sql.substr(0, 120));
    }
    std::vector<std::vector<std::string>> rows;
    for (int r = 0; r < PQntuples(result); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(result); ++c) row.emplace_back(PQgetvalue(result, r, c));
      rows.push_back(std::move(row));
    }
    PQclear(result);
    return rows;
  }

 private:
  PGconn* conn_;
};

// A PostgreSQL array literal of plain values (ids, names and tokens of [A-Za-z0-9_.@-] only).
template <class Range, class Get>
std::string array_literal(const Range& range, Get get) {
  std::string out = "{";
  bool first = true;
  for (const auto& item : range) {
    if (!first) out += ',';
    first = false;
    out += get(item);
  }
  out += '}';
  return out;
}

// Users <prefix>0..<prefix>N-1 (created when missing) and a fresh personal token for each, by SQL.
void seed_users_sql(const Options& options, std::vector<User>& users) {
  PgConnection pg(options.pg_url);
  pg.query("BEGIN");
  pg.query(
      "INSERT INTO users (username, email, display_name) "
      "SELECT $1::text || g, $1::text || g || '@wsload.invalid', $1::text || g FROM generate_series(0, $2::int - 1) AS "
      "g "
      "ON CONFLICT DO NOTHING",
      {options.prefix, std::to_string(users.size())});
  auto names = array_literal(users, [](const User& u) { return u.username; });
  auto rows = pg.query("SELECT id, username FROM users WHERE username = ANY($1::text[])", {names});
  std::unordered_map<std::string, std::int64_t> ids;
  for (const auto& row : rows) ids[row[1]] = std::stoll(row[0]);
  for (auto& user : users) {
    auto it = ids.find(user.username);
    if (it == ids.end())
      fail_setup("user " + user.username + " is missing after the insert (a name taken with other case?)");
    user.id = it->second;
    user.token = new_personal_token();
  }
  auto user_ids = array_literal(users, [](const User& u) { return std::to_string(u.id); });
  auto prefixes = array_literal(users, [](const User& u) { return u.token.substr(0, 12); });
  auto hashes = array_literal(users, [](const User& u) { return sha256_hex(u.token); });
  auto token_ids = pg.query(
      "INSERT INTO personal_tokens (user_id, name, token_prefix, token_hash) "
      "SELECT u, 'wsload', p, h FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(u, p, h) RETURNING id",
      {user_ids, prefixes, hashes});
  auto id_list = array_literal(token_ids, [](const std::vector<std::string>& row) { return row[0]; });
  pg.query(
      "INSERT INTO personal_token_scopes (token_id, scope) "
      "SELECT t, s FROM unnest($1::bigint[]) AS t CROSS JOIN (VALUES ('read'), ('write')) AS v(s)",
      {id_list});
  pg.query("COMMIT");
}

void add_members_sql(const Options& options, const std::vector<User>& users, const Conversation& conversation) {
  PgConnection pg(options.pg_url);
  auto ids = array_literal(conversation.members, [&](std::size_t i) { return std::to_string(users[i].id); });
  pg.query(
      "INSERT INTO conversation_members (conversation_id, user_id) SELECT $1::bigint, u FROM unnest($2::bigint[]) AS u "
      "ON CONFLICT DO NOTHING",
      {std::to_string(conversation.id), ids});
}

// Register (or find already registered) and log in user i through the REST API.
asio::awaitable<void> seed_user_rest(const Options& options, const Target& target, User& user) {
  auto executor = co_await asio::this_coro::executor;
  HttpClient client(executor, target);
  json::object registration{{"username", user.username},
                            {"email", user.username + "@wsload.invalid"},
                            {"password", options.password},
                            {"display_name", user.username}};
  std::string body = json::serialize(registration);
  std::string path = "/api/v1/auth/register";
  std::string no_token;
  auto registered = co_await client.request(http::verb::post, path, no_token, body);
  if (registered.status != 201 && registered.status != 400 && registered.status != 409) {
    throw std::runtime_error("register " + user.username + ": " + std::to_string(registered.status) + " " +
                             registered.body.substr(0, 300));
  }
  json::object login{{"login", user.username}, {"password", options.password}};
  std::string login_body = json::serialize(login);
  std::string login_path = "/api/v1/auth/token";
  auto tokens = co_await client.request(http::verb::post, login_path, no_token, login_body);
  if (tokens.status != 200) {
    throw std::runtime_error(
        "login " + user.username + ": " + std::to_string(tokens.status) + " " + tokens.body.substr(0, 300) +
        (registered.status != 201 ? " (register said: " + registered.body.substr(0, 200) + ")" : ""));
  }
  auto value = parse_or_throw(tokens, "login");
  user.token = std::string(value.at("access").as_string());
  std::string me_path = "/api/v1/users/me";
  std::string no_body;
  auto me = co_await client.request(http::verb::get, me_path, user.token, no_body);
  if (me.status != 200) throw std::runtime_error("users/me " + user.username + ": " + std::to_string(me.status));
  user.id = parse_or_throw(me, "users/me").at("id").to_number<std::int64_t>();
}

asio::awaitable<std::int64_t> create_conversation(const Target& target, const User& owner, std::string name) {
  auto executor = co_await asio::this_coro::executor;
  HttpClient client(executor, target);
  json::object request{{"kind", "group"}, {"name", name}, {"member_ids", json::array()}};
  std::string body = json::serialize(request);
  std::string path = "/api/v1/conversations";
  auto created = co_await client.request(http::verb::post, path, owner.token, body);
  if (created.status != 201 && created.status != 200) {
    throw std::runtime_error("create conversation: " + std::to_string(created.status) + " " +
                             created.body.substr(0, 300));
  }
  co_return parse_or_throw(created, "create conversation").at("id").to_number<std::int64_t>();
}

asio::awaitable<void> add_members_rest(const Target& target, const std::vector<User>& users,
                                       const Conversation& conversation) {
  auto executor = co_await asio::this_coro::executor;
  HttpClient client(executor, target);
  std::string path = "/api/v1/conversations/" + std::to_string(conversation.id) + "/members";
  const User& owner = users[conversation.members.front()];
  for (std::size_t i = 1; i < conversation.members.size(); i += 100) {
    json::array ids;
    for (std::size_t j = i; j < std::min(i + 100, conversation.members.size()); ++j)
      ids.push_back(users[conversation.members[j]].id);
    json::object request{{"user_ids", std::move(ids)}};
    std::string body = json::serialize(request);
    auto added = co_await client.request(http::verb::post, path, owner.token, body);
    if (added.status / 100 != 2)
      throw std::runtime_error("add members: " + std::to_string(added.status) + " " + added.body.substr(0, 300));
  }
}

// ---------------------------------------------------------------------------------------------
// Sockets.

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_failed{0};
std::atomic<std::uint64_t> g_deliveries{0};  // distinct message.created received in the run's conversations
std::atomic<bool> g_stopping{false};
std::atomic<std::uint64_t> g_ephemeral{0};  // frames without an event id (presence, typing, pong...)

struct Socket {
  Socket(asio::io_context& io, std::size_t user_index) : ws(io), user(user_index) {}
  websocket::stream<beast::tcp_stream> ws;
  std::size_t user;
  wsload::StreamChecker checker;
  std::atomic<bool> live{false};  // set by its thread, read by the main thread
  bool counted = false;           // live when sending started: the only sockets whose deliveries count
  bool failed = false;
  bool closed_early = false;
  std::string error;
  std::uint64_t frames = 0;
  std::uint64_t ephemeral = 0;
  std::uint64_t resync = 0;
  std::uint64_t other_events = 0;
};

struct Worker {
  asio::io_context io{1};
  std::vector<std::unique_ptr<Socket>> sockets;
  std::size_t next_to_open = 0;
  std::thread thread;
};

struct Shared {
  const Options* options = nullptr;
  const Target* target = nullptr;
  const std::vector<User>* users = nullptr;
  std::unordered_map<std::int64_t, int> conversation_index;  // conversation id -> index (read-only once sockets open)
  Clock::time_point connect_start;
  std::atomic<std::size_t> connect_ticket{0};
};

void handle_frame(Socket& socket, const Shared& shared, std::string_view text, std::int64_t received_ns,
                  json::parser& parser) {
  ++socket.frames;
  // Frames without an "id" key (presence, typing, ready) are only counted: a fan-out to 1,000
  // members brings far more presence frames than messages, and parsing them would cost the client
  // CPU the latency figures need. ("user_id" does not match: the key is searched with its quotes.)
  if (text.find("\"id\"") == std::string_view::npos && text.find("pong") == std::string_view::npos &&
      text.find("resync_required") == std::string_view::npos) {
    ++socket.ephemeral;
    g_ephemeral.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  boost::system::error_code ec;
  parser.reset();
  parser.write(text.data(), text.size(), ec);
  json::value value;
  if (!ec) value = parser.release();
  if (ec || !value.is_object()) {
    ++socket.other_events;
    return;
  }
  const auto& frame = value.get_object();
  std::string_view type;
  if (auto it = frame.find("type"); it != frame.end() && it->value().is_string()) type = it->value().get_string();
  auto id_it = frame.find("id");
  if (id_it != frame.end() && id_it->value().is_int64()) socket.checker.on_event(id_it->value().get_int64());
  if (type == "message.created") {
    auto data_it = frame.find("data");
    if (data_it == frame.end() || !data_it->value().is_object()) return;
    const auto& data = data_it->value().get_object();
    auto message = data.find("id");
    auto conversation = data.find("conversation_id");
    if (message == data.end() || !message->value().is_int64()) return;
    socket.checker.on_message(message->value().get_int64(), received_ns);
    if (conversation != data.end() && conversation->value().is_int64() &&
        shared.conversation_index.contains(conversation->value().get_int64())) {
      g_deliveries.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (type == "pong") {
    if (!socket.live.load(std::memory_order_relaxed)) {
      socket.live.store(true);
      g_live.fetch_add(1, std::memory_order_relaxed);
    }
    ++socket.ephemeral;
    g_ephemeral.fetch_add(1, std::memory_order_relaxed);
  } else if (type == "resync_required") {
    ++socket.resync;
  } else if (id_it == frame.end()) {
    ++socket.ephemeral;
    g_ephemeral.fetch_add(1, std::memory_order_relaxed);
  } else {
    ++socket.other_events;
  }
}

// A socket that will not go live: counted once.
void mark_failed(Socket& socket, std::string error) {
  if (socket.failed) return;
  socket.failed = true;
  socket.error = std::move(error);
  g_failed.fetch_add(1);
}

asio::awaitable<void> read_socket(Socket& socket, const Shared& shared) {
  beast::flat_buffer buffer;
  json::parser parser;  // keeps its temporary buffers from frame to frame
  for (;;) {
    buffer.clear();
    auto [ec, size] = co_await socket.ws.async_read(buffer, kTuple);
    if (ec) {
      if (!g_stopping.load()) {
        socket.closed_early = true;
        socket.error = "read: " + ec.message();
        if (ec == websocket::error::closed) {
          socket.error += " (close code " + std::to_string(socket.ws.reason().code) + " " +
                          std::string(socket.ws.reason().reason.data(), socket.ws.reason().reason.size()) + ")";
        }
        if (!socket.live.load()) mark_failed(socket, socket.error);  // closed before its pong
      }
      co_return;
    }
    auto received = now_ns();
    auto data = buffer.cdata();
    handle_frame(socket, shared, std::string_view(static_cast<const char*>(data.data()), data.size()), received,
                 parser);
  }
}

// Connects, upgrades with the user's token, starts the reader and sends the readiness ping.
asio::awaitable<void> open_socket(Socket& socket, const Shared& shared) {
  const auto& user = (*shared.users)[socket.user];
  auto& stream = beast::get_lowest_layer(socket.ws);
  stream.expires_after(30s);
  auto [cec] = co_await stream.async_connect(shared.target->endpoint, kTuple);
  if (cec) {
    mark_failed(socket, "connect: " + cec.message());
    co_return;
  }
  stream.socket().set_option(tcp::no_delay(true));
  std::string authorization = "Bearer " + user.token;
  socket.ws.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& req) {
    req.set(http::field::authorization, authorization);
    req.set(http::field::user_agent, "wsload");
  }));
  websocket::response_type response;
  std::string path = "/api/v1/realtime";
  auto [hec] = co_await socket.ws.async_handshake(response, shared.target->host, path, kTuple);
  if (hec) {
    mark_failed(socket, "handshake: " + hec.message() + " (HTTP " + std::to_string(response.result_int()) + ")");
    co_return;
  }
  stream.expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  socket.ws.set_option(timeouts);
  socket.ws.text(true);
  asio::co_spawn(socket.ws.get_executor(), read_socket(socket, shared), [&socket](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      socket.closed_early = true;
      socket.error = std::string("reader: ") + ex.what();
    }
  });
  std::string ping = R"({"type":"ping"})";
  auto [wec, written] = co_await socket.ws.async_write(asio::buffer(ping), kTuple);
  if (wec) {
    mark_failed(socket, "ping: " + wec.message());
  }
}

// One of a worker's connectors: opens the worker's sockets one after another, paced by
// --connect-rate over all workers.
asio::awaitable<void> connector(Worker& worker, Shared& shared) {
  asio::steady_timer timer(worker.io);
  const auto& options = *shared.options;
  while (worker.next_to_open < worker.sockets.size() && !g_stopping.load()) {
    Socket& socket = *worker.sockets[worker.next_to_open++];
    if (options.connect_rate > 0) {
      auto ticket = shared.connect_ticket.fetch_add(1);
      auto at = shared.connect_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                           static_cast<double>(ticket) / options.connect_rate));
      timer.expires_at(at);
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_await open_socket(socket, shared);
  }
}

// ---------------------------------------------------------------------------------------------
// Sending.

struct SendRecord {
  std::int64_t message_id = 0;
  int conversation = -1;
  std::int64_t started_ns = 0;
  std::int64_t answered_ns = 0;
  unsigned status = 0;
  std::string error;
};

asio::awaitable<void> send_worker(const Options& options, const Target& target, const std::vector<User>& users,
                                  const std::vector<Conversation>& conversations, std::vector<SendRecord>& records,
                                  std::size_t& next, Clock::time_point start, const std::string& run_id) {
  auto executor = co_await asio::this_coro::executor;
  HttpClient client(executor, target);
  asio::steady_timer timer(executor);
  while (next < records.size()) {
    std::size_t i = next++;
    auto at = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(i) / options.rate));
    timer.expires_at(at);
    co_await timer.async_wait(asio::use_awaitable);
    auto& record = records[i];
    record.conversation = static_cast<int>(i % conversations.size());
    const auto& sender = users[i % options.senders];
    std::string path = "/api/v1/conversations/" +
                       std::to_string(conversations[static_cast<std::size_t>(record.conversation)].id) + "/messages";
    json::object message{{"body", "wsload message " + std::to_string(i) + " of run " + run_id},
                         {"client_msg_id", "wsload-" + run_id + "-" + std::to_string(i)}};
    std::string body = json::serialize(message);
    record.started_ns = now_ns();
    try {
      auto result = co_await client.request(http::verb::post, path, sender.token, body);
      record.answered_ns = now_ns();
      record.status = result.status;
      if (result.status == 201 || result.status == 200) {
        record.message_id = parse_or_throw(result, "send").at("id").to_number<std::int64_t>();
      } else {
        record.error = result.body.substr(0, 300);
      }
    } catch (const std::exception& e) {
      record.answered_ns = now_ns();
      record.error = e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

// Rounds every double in `value` to 3 decimals (microseconds for milliseconds) for a readable line.
void round_doubles(json::value& value) {
  if (value.is_double()) {
    value = std::round(value.get_double() * 1000) / 1000;
  } else if (value.is_object()) {
    for (auto& item : value.get_object()) round_doubles(item.value());
  } else if (value.is_array()) {
    for (auto& item : value.get_array()) round_doubles(item);
  }
}

json::object summary_json(const wsload::Summary& s) {
  auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
  return json::object{{"count", s.count},
                      {"min_ms", round3(ms(s.min))},
                      {"p50_ms", round3(ms(s.p50))},
                      {"p90_ms", round3(ms(s.p90))},
                      {"p99_ms", round3(ms(s.p99))},
                      {"max_ms", round3(ms(s.max))},
                      {"mean_ms", round3(s.mean / 1e6)}};
}

void print_summary(const char* name, const wsload::Summary& s) {
  std::printf("  %-34s p50 %8.2f ms  p90 %8.2f ms  p99 %8.2f ms  max %8.2f ms  (min %.2f, n=%zu)\n", name, ms(s.p50),
              ms(s.p90), ms(s.p99), ms(s.max), ms(s.min), s.count);
}

int run(const Options& options) {
  auto nofile = raise_nofile();
  if (nofile < options.sockets + 64) {
    progress("RLIMIT_NOFILE is %llu, below %zu sockets + 64: raise the hard limit (ulimit -Hn)",
             static_cast<unsigned long long>(nofile), options.sockets);
    return 2;
  }
  Target target = parse_target(options.url);
  std::string run_id = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count()) +
                       "-" + std::to_string(getpid());

  // --- setup ---
  std::vector<User> users(options.sockets);
  for (std::size_t i = 0; i < users.size(); ++i) users[i].username = options.prefix + std::to_string(i);
  std::vector<Conversation> conversations;
  auto setup_start = Clock::now();
  {
    asio::io_context io;
    if (!options.pg_url.empty()) {
      progress("seeding %zu users and personal tokens with SQL", users.size());
      seed_users_sql(options, users);
    } else {
      progress("registering/logging in %zu users through the REST API (Argon2id each: slow for large N)", users.size());
      auto job = [&](std::size_t i) -> asio::awaitable<void> { co_await seed_user_rest(options, target, users[i]); };
      auto done = asio::co_spawn(io, run_bounded(users.size(), 4, job), asio::use_future);
      io.run();
      done.get();
      io.restart();
    }
    if (!options.idle) {
      Conversation all;
      for (std::size_t i = 0; i < users.size(); ++i) all.members.push_back(i);
      conversations.push_back(std::move(all));
      std::size_t others = users.size() > options.senders ? users.size() - options.senders : 0;
      for (std::size_t k = 0; k < options.conversations; ++k) {
        Conversation small;
        for (std::size_t s = 0; s < options.senders; ++s) small.members.push_back(s);
        for (std::size_t t = 0; t < std::min(options.conversation_size, others); ++t) {
          small.members.push_back(options.senders + (k * options.conversation_size + t) % others);
        }
        std::sort(small.members.begin(), small.members.end());  // the owner, user 0, first
        conversations.push_back(std::move(small));
      }
      auto setup = [&]() -> asio::awaitable<void> {
        for (std::size_t c = 0; c < conversations.size(); ++c) {
          std::string name = options.prefix + "-" + run_id + "-" + std::to_string(c);
          conversations[c].id = co_await create_conversation(target, users[0], name);
          if (options.pg_url.empty()) co_await add_members_rest(target, users, conversations[c]);
        }
      };
      auto done = asio::co_spawn(io, setup(), asio::use_future);
      io.run();
      done.get();
      if (!options.pg_url.empty()) {
        for (const auto& c : conversations) add_members_sql(options, users, c);
      }
    }
  }
  double setup_seconds = std::chrono::duration<double>(Clock::now() - setup_start).count();
  progress("setup done in %.1f s (%zu conversations)", setup_seconds, conversations.size());

  Shared shared;
  shared.options = &options;
  shared.target = &target;
  shared.users = &users;
  for (std::size_t c = 0; c < conversations.size(); ++c)
    shared.conversation_index[conversations[c].id] = static_cast<int>(c);

  long rss_before = options.server_pid > 0 ? rss_kib(options.server_pid) : -1;

  // --- sockets ---
  std::size_t thread_count = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t t = 0; t < thread_count; ++t) workers.push_back(std::make_unique<Worker>());
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto& worker = *workers[i % thread_count];
    worker.sockets.push_back(std::make_unique<Socket>(worker.io, i));
  }
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  shared.connect_start = Clock::now();
  auto open_start = Clock::now();
  std::size_t per_worker = std::max<std::size_t>(1, options.connect_concurrency / thread_count);
  for (auto& worker : workers) {
    guards.push_back(asio::make_work_guard(worker->io));
    for (std::size_t c = 0; c < per_worker; ++c) asio::co_spawn(worker->io, connector(*worker, shared), asio::detached);
    worker->thread = std::thread([w = worker.get()] { w->io.run(); });
  }
  auto live_deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.live_timeout));
  std::size_t last_reported = 0;
  while (g_live.load() + g_failed.load() < users.size() && Clock::now() < live_deadline) {
    std::this_thread::sleep_for(50ms);
    auto live = g_live.load();
    if (live >= last_reported + 1000) {
      last_reported = live / 1000 * 1000;
      progress("%zu sockets live", live);
    }
  }
  double open_seconds = std::chrono::duration<double>(Clock::now() - open_start).count();
  // The sockets that count: live now. One that turns live later missed messages sent before.
  std::size_t live_at_start = 0;
  std::vector<std::size_t> live_members(conversations.size(), 0);
  for (auto& worker : workers) {
    for (auto& s : worker->sockets) {
      s->counted = s->live.load();  // read again only after the threads are joined
      if (!s->counted) continue;
      ++live_at_start;
      for (std::size_t c = 0; c < conversations.size(); ++c) {
        const auto& m = conversations[c].members;
        if (std::binary_search(m.begin(), m.end(), s->user)) ++live_members[c];
      }
    }
  }
  progress("%zu of %zu sockets live in %.1f s (%zu failed)", live_at_start, users.size(), open_seconds,
           g_failed.load());

  // --- idle or send ---
  std::vector<SendRecord> records;
  double send_seconds = 0;
  long rss_after = -1;
  std::int64_t send_start_ns = 0;
  double drain_seconds = 0;
  double settle_seconds = 0;
  std::uint64_t ephemeral_before_send = 0;
  std::uint64_t ephemeral_while_sending = 0;
  if (options.idle) {
    std::this_thread::sleep_for(std::chrono::duration<double>(options.idle_wait));
    rss_after = options.server_pid > 0 ? rss_kib(options.server_pid) : -1;
  } else {
    records.resize(static_cast<std::size_t>(std::llround(options.rate * options.duration)));
    // Opening N sockets of one group makes every user active for every other member: up to N*N
    // presence frames in the next seconds. Let them pass so the latency measures messages.
    auto settle_start = Clock::now();
    auto settle_deadline =
        settle_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.settle));
    auto quiet_since = Clock::now();
    auto seen = g_ephemeral.load();
    while (Clock::now() < settle_deadline && Clock::now() - quiet_since < 1s) {
      std::this_thread::sleep_for(50ms);
      auto now_seen = g_ephemeral.load();
      if (now_seen != seen) {
        seen = now_seen;
        quiet_since = Clock::now();
      }
    }
    settle_seconds = std::chrono::duration<double>(Clock::now() - settle_start).count();
    ephemeral_before_send = g_ephemeral.load();
    progress("settled for %.1f s (%llu frames without an event id so far)", settle_seconds,
             static_cast<unsigned long long>(ephemeral_before_send));
    progress("sending %zu messages at %.1f/s from %zu senders", records.size(), options.rate, options.senders);
    asio::io_context io;
    std::size_t next = 0;
    auto start = Clock::now();
    send_start_ns = now_ns();
    for (std::size_t w = 0; w < options.http_connections; ++w) {
      asio::co_spawn(io, send_worker(options, target, users, conversations, records, next, start, run_id),
                     [](std::exception_ptr e) {
                       if (e) std::rethrow_exception(e);
                     });
    }
    io.run();
    send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Wait until every expected delivery arrived (counted without duplicates) or the drain time ran out.
    std::uint64_t expected_total = 0;
    for (const auto& r : records) {
      if (r.message_id != 0) expected_total += live_members[static_cast<std::size_t>(r.conversation)];
    }
    auto drain_start = Clock::now();
    auto drain_deadline =
        drain_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.drain_timeout));
    while (live_at_start > 0 && g_deliveries.load() < expected_total && Clock::now() < drain_deadline)
      std::this_thread::sleep_for(10ms);
    drain_seconds = std::chrono::duration<double>(Clock::now() - drain_start).count();
    ephemeral_while_sending = g_ephemeral.load() - ephemeral_before_send;
  }

  // --- stop ---
  g_stopping.store(true);
  for (auto& worker : workers) {
    asio::post(worker->io, [w = worker.get()] {
      for (auto& s : w->sockets) {
        beast::error_code ignored;
        beast::get_lowest_layer(s->ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(s->ws).close();
      }
    });
  }
  guards.clear();
  for (auto& worker : workers) worker->thread.join();

  // --- tally ---
  std::vector<wsload::SentMessage> sent;
  std::size_t send_errors = 0;
  std::string first_send_error;
  std::unordered_map<std::int64_t, bool> seen_ids;
  for (const auto& r : records) {
    if (r.message_id == 0) {
      ++send_errors;
      if (first_send_error.empty()) first_send_error = std::to_string(r.status) + " " + r.error;
      continue;
    }
    if (!seen_ids.emplace(r.message_id, true).second) continue;  // a retried send answered with the original
    sent.push_back({r.message_id, r.conversation, r.started_ns, r.answered_ns});
  }
  std::sort(sent.begin(), sent.end(), [](const auto& a, const auto& b) { return a.message_id < b.message_id; });
  std::vector<std::vector<bool>> member_of(users.size(), std::vector<bool>(conversations.size(), false));
  for (std::size_t c = 0; c < conversations.size(); ++c) {
    for (auto m : conversations[c].members) member_of[m][c] = true;
  }
  wsload::Tally tally;
  std::uint64_t duplicates = 0, out_of_order = 0, resync = 0, ephemeral = 0, frames = 0;
  std::size_t failed = 0, not_live = 0, closed_early = 0;
  std::string first_socket_error;
  for (auto& worker : workers) {
    for (auto& s : worker->sockets) {
      frames += s->frames;
      ephemeral += s->ephemeral;
      resync += s->resync;
      if (!s->error.empty() && first_socket_error.empty())
        first_socket_error = (*shared.users)[s->user].username + ": " + s->error;
      if (s->failed) ++failed;
      if (!s->counted) {
        if (!s->failed) ++not_live;
        continue;
      }
      if (s->closed_early) ++closed_early;
      duplicates += s->checker.duplicates();
      out_of_order += s->checker.out_of_order();
      wsload::tally_socket(sent, member_of[s->user], s->checker.deliveries(), tally);
    }
  }
  auto after_answer = wsload::summarize(tally.after_answer_ns);
  auto after_start = wsload::summarize(tally.after_start_ns);
  double delivery_window = send_start_ns > 0 && tally.last_received_ns > send_start_ns
                               ? ms(tally.last_received_ns - send_start_ns) / 1e3
                               : 0;
  double deliveries_per_second = delivery_window > 0 ? static_cast<double>(tally.received) / delivery_window : 0;
  double client_cpu = cpu_seconds_self();

  // --- report ---
  std::printf("wsload %s: %s, %zu sockets (%zu threads), server %s\n",
              options.label.empty() ? "" : options.label.c_str(), options.idle ? "idle" : "fan-out", users.size(),
              thread_count, options.url.c_str());
  std::printf("  sockets: %zu live, %zu failed to open, %zu not live in %.0f s, %zu closed early; opened in %.1f s\n",
              live_at_start, failed, not_live, options.live_timeout, closed_early, open_seconds);
  if (!first_socket_error.empty()) std::printf("  first socket error: %s\n", first_socket_error.c_str());
  json::object out{{"mode", options.idle ? "idle" : "fanout"},
                   {"label", options.label},
                   {"sockets", users.size()},
                   {"sockets_live", live_at_start},
                   {"sockets_failed", failed},
                   {"sockets_not_live", not_live},
                   {"sockets_closed_early", closed_early},
                   {"open_seconds", open_seconds},
                   {"setup_seconds", setup_seconds},
                   {"client_threads", thread_count},
                   {"client_cpu_seconds", client_cpu}};
  if (options.idle) {
    double per_socket = rss_before >= 0 && rss_after >= 0 && live_at_start > 0
                            ? static_cast<double>(rss_after - rss_before) / static_cast<double>(live_at_start)
                            : 0;
    if (options.server_pid > 0) {
      std::printf("  server RSS: %ld KiB before, %ld KiB after %.0f s idle: %+ld KiB, %.2f KiB per live socket\n",
                  rss_before, rss_after, options.idle_wait, rss_after - rss_before, per_socket);
    } else {
      std::printf("  (no --server-pid: server memory not measured)\n");
    }
    out["server_rss_before_kib"] = rss_before;
    out["server_rss_after_kib"] = rss_after;
    out["kib_per_socket"] = std::round(per_socket * 100) / 100;
  } else {
    std::printf("  messages: %zu planned at %.1f/s, %zu sent (201) in %.1f s, %zu send errors%s%s\n", records.size(),
                options.rate, sent.size(), send_seconds, send_errors,
                first_send_error.empty() ? "" : "; first: ", first_send_error.substr(0, 200).c_str());
    std::printf(
        "  deliveries: %llu expected, %llu received, %llu lost, %llu duplicates, %llu out of order, %llu unexpected, "
        "%llu resync_required (drain %.1f s)\n",
        static_cast<unsigned long long>(tally.expected), static_cast<unsigned long long>(tally.received),
        static_cast<unsigned long long>(tally.lost), static_cast<unsigned long long>(duplicates),
        static_cast<unsigned long long>(out_of_order), static_cast<unsigned long long>(tally.unexpected),
        static_cast<unsigned long long>(resync), drain_seconds);
    std::printf("  delivery rate: %.0f deliveries/s over %.1f s (first send to last delivery)\n", deliveries_per_second,
                delivery_window);
    print_summary("latency after the 201 answer:", after_answer);
    print_summary("latency after the request start:", after_start);
    out["messages_planned"] = records.size();
    out["messages_sent"] = sent.size();
    out["send_errors"] = send_errors;
    out["rate"] = options.rate;
    out["send_seconds"] = send_seconds;
    out["deliveries_expected"] = tally.expected;
    out["deliveries_received"] = tally.received;
    out["lost"] = tally.lost;
    out["duplicates"] = duplicates;
    out["out_of_order"] = out_of_order;
    out["unexpected"] = tally.unexpected;
    out["resync_required"] = resync;
    out["settle_seconds"] = settle_seconds;
    out["ephemeral_frames_while_sending"] = ephemeral_while_sending;
    out["deliveries_per_second"] = std::round(deliveries_per_second);
    out["latency_after_answer"] = summary_json(after_answer);
    out["latency_after_start"] = summary_json(after_start);
  }
  if (!options.idle) {
    std::printf("  settled %.1f s before sending; %llu frames without an event id while sending and draining\n",
                settle_seconds, static_cast<unsigned long long>(ephemeral_while_sending));
  }
  std::printf("  frames: %llu received (%llu ephemeral); client CPU %.1f s\n", static_cast<unsigned long long>(frames),
              static_cast<unsigned long long>(ephemeral), client_cpu);
  json::value line = std::move(out);
  round_doubles(line);
  std::printf("%s\n", json::serialize(line).c_str());
  std::fflush(stdout);

  if (!options.idle && (tally.lost > 0 || duplicates > 0 || out_of_order > 0)) return 1;
  if (failed > 0 || not_live > 0 || closed_early > 0 || send_errors > 0 || live_at_start == 0) return 3;
  if (!options.idle && sent.empty()) return 3;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"wsload: WebSocket fan-out and idle-memory load for Parley's /api/v1/realtime"};
  app.add_option("--url", options.url, "server base URL (http only)")->capture_default_str();
  app.add_option("-n,--sockets", options.sockets, "sockets, one per user <prefix><i>")->capture_default_str();
  app.add_option("--prefix", options.prefix, "user name prefix (users are reused across runs)")->capture_default_str();
  app.add_option("--password", options.password, "password of the users (REST seeding)");
  app.add_option("--pg-url", options.pg_url, "seed users, personal tokens and memberships with SQL (fast); else REST");
  app.add_option("--senders", options.senders, "sending users (the first users)")->capture_default_str();
  app.add_option("--rate", options.rate, "messages per second")->capture_default_str();
  app.add_option("--duration", options.duration, "seconds of sending")->capture_default_str();
  app.add_option("--conversations", options.conversations, "extra small conversations messages rotate over")
      ->capture_default_str();
  app.add_option("--conversation-size", options.conversation_size,
                 "members of each extra conversation besides the senders")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "socket threads (0: one per core)")->capture_default_str();
  app.add_option("--connect-concurrency", options.connect_concurrency, "connects/handshakes in flight")
      ->capture_default_str();
  app.add_option("--connect-rate", options.connect_rate, "connects per second at most (0: no limit)")
      ->capture_default_str();
  app.add_option("--http-connections", options.http_connections, "concurrent sends at most")->capture_default_str();
  app.add_option("--live-timeout", options.live_timeout, "seconds for every socket to be live")->capture_default_str();
  app.add_option("--settle", options.settle,
                 "before sending, wait until no frame without an event id (presence after the connects) came for 1 s, "
                 "at most this long")
      ->capture_default_str();
  app.add_option("--drain", options.drain_timeout, "seconds to wait for the last deliveries")->capture_default_str();
  app.add_flag("--idle", options.idle, "memory mode: open the sockets, wait, report server RSS per socket");
  app.add_option("--idle-wait", options.idle_wait, "idle mode: seconds to wait once live")->capture_default_str();
  app.add_option("--server-pid", options.server_pid, "the server's pid (idle mode: VmRSS before and after)");
  app.add_option("--label", options.label, "a name for this run in the output");
  CLI11_PARSE(app, argc, argv);
  if (options.sockets == 0 || options.rate <= 0 || options.duration <= 0 || options.senders == 0 ||
      options.senders > options.sockets || options.http_connections == 0) {
    std::fprintf(stderr, "wsload: need --sockets > 0, 0 < --senders <= --sockets, --rate > 0, --duration > 0\n");
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wsload: %s\n", e.what());
    return 2;
  }
}
