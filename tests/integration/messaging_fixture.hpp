#pragma once
// Shared setup for the messaging integration tests: the real server on SQLite (in memory) or a
// scratch PostgreSQL database (skipped without PARLEY_TEST_PG_URL), users registered and logged in
// over HTTP, JSON helpers, a recorder of the events published on the app's bus, and a way to run
// database work on the app's own threads.
#include "harness.hpp"

#include "db/pg_test_database.hpp"
#include "db/repositories/user_repository.hpp"
#include "events/event_bus.hpp"
#include "events/event_stream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <cctype>
#include <mutex>

namespace parley::testing {

inline constexpr const char* kMessagingPassword = "a perfectly long passphrase 7781";

struct TestUser {
  std::int64_t id = 0;
  std::string username;
  std::string access;
};

// Registers `name` (email <name>@example.com, kMessagingPassword) on the server at `port` and
// logs in; for tests that run several servers.
inline TestUser register_and_login(std::uint16_t port, const std::string& name) {
  const std::map<std::string, std::string> json_type{{"Content-Type", "application/json"}};
  boost::json::object reg{{"username", name}, {"email", name + "@example.com"}, {"password", kMessagingPassword}};
  auto created = http_request(port, "POST", "/api/v1/auth/register", json_type, boost::json::serialize(reg));
  EXPECT_EQ(created.status, 201) << created.body;
  boost::json::object login{{"login", name}, {"password", kMessagingPassword}};
  auto token = http_request(port, "POST", "/api/v1/auth/token", json_type, boost::json::serialize(login));
  EXPECT_EQ(token.status, 200) << token.body;
  return TestUser{created.json().at("id").as_int64(), name, std::string(token.json().at("access").as_string())};
}

// One request as `u` to the server at `port`; `body`, unless null, goes as JSON.
inline HttpResult call_as(std::uint16_t port, const TestUser& u, const std::string& method, const std::string& target,
                          const boost::json::value& body = nullptr) {
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + u.access}};
  std::string text;
  if (!body.is_null()) {
    headers["Content-Type"] = "application/json";
    text = boost::json::serialize(body);
  }
  return http_request(port, method, target, headers, text);
}

// What the app's event stream did, for assertions: every event published on the bus, and each
// user's stream as the event log serves it (what a client resuming from 0 would get).
class EventRecorder {
 public:
  explicit EventRecorder(App& app)
      : app_(app), subscription_(app.event_bus().subscribe([this](std::span<const events::Event> events) {
          std::lock_guard lock(mutex_);
          events_.insert(events_.end(), events.begin(), events.end());
        })) {}

  // Every event published since the recorder started, once everything committed so far is.
  std::vector<events::Event> all() {
    flush();
    std::lock_guard lock(mutex_);
    return events_;
  }
  // The stream of `user_id` since the last clear(), of `type` (every type when empty), with the
  // data parsed.
  std::vector<std::pair<db::repositories::StoredEvent, boost::json::value>> of(std::int64_t user_id,
                                                                               std::string_view type = {}) {
    flush();
    auto page = on_app(app_.event_stream().after(user_id, cleared_at_, 1000));
    EXPECT_FALSE(page.resync_required);
    std::vector<std::pair<db::repositories::StoredEvent, boost::json::value>> out;
    for (auto& e : page.events) {
      if (type.empty() || e.type == type) {
        auto data = boost::json::parse(e.payload);
        out.emplace_back(std::move(e), std::move(data));
      }
    }
    return out;
  }
  // Forgets what happened so far: later of() calls start after the current head.
  void clear() {
    flush();
    cleared_at_ = on_app(app_.event_stream().log().head(app_.database()));
    std::lock_guard lock(mutex_);
    events_.clear();
  }

 private:
  void flush() { on_app(app_.event_stream().flush()); }
  template <typename T>
  T on_app(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(app_.primary_context(), std::move(task), boost::asio::use_future).get();
  }

  App& app_;
  std::int64_t cleared_at_ = 0;
  std::mutex mutex_;
  std::vector<events::Event> events_;
  events::EventBus::Subscription subscription_;
};

class MessagingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { start({}); }

  // (Re)starts the server; a running one and its recorder go first, recorder before server.
  // With `logs`, the server logs into it (it must outlive the server).
  void start(std::map<std::string, std::string> env, const LogCapture* logs = nullptr) {
    recorder_.reset();
    if (server_) server_->stop();
    server_.reset();
    // "postgres", or "postgres_<something>" for a suite's variant on PostgreSQL.
    if (GetParam().starts_with("postgres")) {
      auto admin = db::testing::PgTestDatabase::admin_url_from_env();
      if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset (see scripts/test-servers)";
      pg_ = std::make_unique<db::testing::PgTestDatabase>(*admin);
      env["PARLEY_DATABASE_URL"] = pg_->url();
      env["PARLEY_AUTO_MIGRATE"] = "1";
    }
    server_ = std::make_unique<TestServer>(test_config(env), std::function<void(http::Router&)>{}, logs);
    recorder_ = std::make_unique<EventRecorder>(server_->app());
  }

  void TearDown() override {
    recorder_.reset();
    if (server_) server_->stop();
    server_.reset();
    pg_.reset();
  }

  std::uint16_t port() const { return server_->port(); }
  App& app() { return server_->app(); }
  EventRecorder& events() { return *recorder_; }

  // Registers and logs in `name`; `role` other than member is set directly in the database.
  TestUser user(const std::string& name, const std::string& role = "member") {
    std::string email = name + "@example.com";
    for (char& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    boost::json::object reg{{"username", name}, {"email", email}, {"password", kMessagingPassword}};
    auto created = http_request(port(), "POST", "/api/v1/auth/register", json_headers(), boost::json::serialize(reg));
    EXPECT_EQ(created.status, 201) << created.body;
    TestUser u{created.json().at("id").as_int64(), name, ""};
    if (role != "member") {
      on_app([this, id = u.id, role]() -> boost::asio::awaitable<void> {
        db::repositories::UserRepository users(app().database().dialect());
        co_await users.set_role(app().database(), id, role);
      }());
    }
    boost::json::object login{{"login", name}, {"password", kMessagingPassword}};
    auto token = http_request(port(), "POST", "/api/v1/auth/token", json_headers(), boost::json::serialize(login));
    EXPECT_EQ(token.status, 200) << token.body;
    u.access = std::string(token.json().at("access").as_string());
    return u;
  }

  static std::map<std::string, std::string> json_headers() { return {{"Content-Type", "application/json"}}; }

  HttpResult call(const TestUser& u, const std::string& method, const std::string& target,
                  const boost::json::value& body = nullptr) {
    return call_as(port(), u, method, target, body);
  }

  // POST /conversations; expects 201 or 200 and returns the conversation.
  boost::json::object conversation(const TestUser& by, boost::json::object body) {
    auto r = call(by, "POST", "/api/v1/conversations", body);
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
    return r.json().as_object();
  }
  std::int64_t group(const TestUser& by, std::vector<std::int64_t> members, std::string name = "group") {
    boost::json::array ids;
    for (auto id : members) ids.emplace_back(id);
    return conversation(by, {{"kind", "group"}, {"name", name}, {"member_ids", ids}}).at("id").as_int64();
  }
  std::int64_t channel(const TestUser& by, std::string name, std::string visibility = "public") {
    return conversation(by, {{"kind", "channel"}, {"name", name}, {"visibility", visibility}}).at("id").as_int64();
  }
  // POST a message; expects 201 and returns the message.
  boost::json::object send(const TestUser& by, std::int64_t conversation_id, const std::string& body,
                           boost::json::object extra = {}) {
    extra["body"] = body;
    auto r = call(by, "POST", messages_path(conversation_id), extra);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().as_object();
  }
  static std::string messages_path(std::int64_t conversation_id) {
    return "/api/v1/conversations/" + std::to_string(conversation_id) + "/messages";
  }
  static std::string conversation_path(std::int64_t conversation_id) {
    return "/api/v1/conversations/" + std::to_string(conversation_id);
  }

  // Runs database work on the app's own threads (where its connections live) and waits for it.
  template <typename T>
  T on_app(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(app().primary_context(), std::move(task), boost::asio::use_future).get();
  }
  void on_app(boost::asio::awaitable<void> task) {
    boost::asio::co_spawn(app().primary_context(), std::move(task), boost::asio::use_future).get();
  }

  std::unique_ptr<db::testing::PgTestDatabase> pg_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<EventRecorder> recorder_;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace parley::testing
