// Personal tokens (/api/v1/auth/tokens) and the admin user endpoints (/api/v1/admin/*), over real
// HTTP against the in-process server, on SQLite and, when PARLEY_TEST_PG_URL is set, PostgreSQL;
// and `parley createsuperuser` run as the real binary.
#include "harness.hpp"

#include "db/pg_test_database.hpp"
#include "db/repositories/user_repository.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kPassword = "a perfectly long passphrase 7781";

struct Login {
  std::string access;
  std::string refresh;
};

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// Backend parameter: "sqlite" (in memory) or "postgres" (a scratch database; skipped without
// PARLEY_TEST_PG_URL).
class TokensAdminTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::map<std::string, std::string> env;
    if (GetParam() == "postgres") {
      auto admin_url = db::testing::PgTestDatabase::admin_url_from_env();
      if (!admin_url) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
      pg_ = std::make_unique<db::testing::PgTestDatabase>(*admin_url);
      env = {{"PARLEY_DATABASE_URL", pg_->url()}, {"PARLEY_AUTO_MIGRATE", "1"}};
    }
    server_ = std::make_unique<TestServer>(test_config(env));
  }

  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    pg_.reset();  // drops the scratch database after the server closed its connections
  }

  HttpResult call(const std::string& method, const std::string& target, const std::string& token = {},
                  const json::value& body = nullptr) {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers = bearer(token);
    return http_request(server_->port(), method, target, headers, body.is_null() ? std::string() : json::serialize(body));
  }

  // Registers `username` (email <username>@example.com) and returns its id.
  std::int64_t register_user(const std::string& username) {
    auto r = call("POST", "/api/v1/auth/register", {},
                  json::object{{"username", username}, {"email", username + "@example.com"}, {"password", kPassword}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("id").as_int64();
  }

  Login login(const std::string& username) {
    auto r = call("POST", "/api/v1/auth/token", {}, json::object{{"login", username}, {"password", kPassword}});
    EXPECT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    return Login{std::string(j.at("access").as_string()), std::string(j.at("refresh").as_string())};
  }

  // Registers and logs in a user with `role` (set straight in the database).
  std::pair<std::int64_t, Login> user_with_role(const std::string& username, const std::string& role = "member") {
    auto id = register_user(username);
    if (role != "member") {
      db::repositories::UserRepository users(server_->app().database().dialect());
      auto updated = run_db(users.set_role(server_->app().database(), id, role));
      EXPECT_TRUE(updated.has_value());
    }
    return {id, login(username)};
  }

  // Creates a token with `scopes` using a login access token; returns the 201 body.
  json::object create_token(const std::string& access, std::vector<std::string> scopes,
                            const std::string& name = "ci") {
    json::array list;
    for (auto& s : scopes) list.emplace_back(s);
    auto r = call("POST", "/api/v1/auth/tokens", access, json::object{{"name", name}, {"scopes", list}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().as_object();
  }

  json::array audit(const std::string& admin_access, const std::string& query) {
    auto r = call("GET", "/api/v1/admin/audit-log?" + query, admin_access);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("results").as_array();
  }

  std::unique_ptr<db::testing::PgTestDatabase> pg_;
  std::unique_ptr<TestServer> server_;
};

// ------------------------------------------------------------------------------- personal tokens

TEST_P(TokensAdminTest, TokenSecretIsShownOnceAndAuthenticates) {
  auto [alice_id, alice] = user_with_role("alice");
  auto created = create_token(alice.access, {"read", "write"});
  std::string secret(created.at("token").as_string());
  EXPECT_EQ(secret.rfind("pat_", 0), 0u);
  EXPECT_EQ(created.at("prefix").as_string(), secret.substr(0, 12));
  EXPECT_EQ(created.at("scopes"), (json::array{"read", "write"}));
  EXPECT_TRUE(created.at("expires_at").is_null());

  auto me = call("GET", "/api/v1/users/me", secret);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("id").as_int64(), alice_id);

  auto list = call("GET", "/api/v1/auth/tokens", alice.access);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(secret.substr(12)), std::string::npos) << "the secret must never be listed";
  auto results = list.json().at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].as_object().contains("token"));
  EXPECT_EQ(results[0].at("id"), created.at("id"));
  EXPECT_EQ(results[0].at("prefix"), created.at("prefix"));
  EXPECT_FALSE(results[0].at("last_used_at").is_null()) << "authenticating records last use";

  // The token also reads the list (read scope), but the response is the same: no secrets.
  auto by_token = call("GET", "/api/v1/auth/tokens", secret);
  EXPECT_EQ(by_token.status, 200);
}

TEST_P(TokensAdminTest, ExpiringTokenHasExpiry) {
  auto [id, alice] = user_with_role("alice");
  auto r = call("POST", "/api/v1/auth/tokens", alice.access,
                json::object{{"name", "bot"}, {"scopes", json::array{"read"}}, {"expires_in_days", 30}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.json().at("expires_at").is_string());
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
}

TEST_P(TokensAdminTest, ScopesAreEnforced) {
  auto [id, alice] = user_with_role("alice");
  std::string read_only(create_token(alice.access, {"read"}).at("token").as_string());
  std::string write_only(create_token(alice.access, {"write"}, "w").at("token").as_string());
  json::object change{{"display_name", "Alice"}};
  EXPECT_EQ(call("PATCH", "/api/v1/users/me", read_only, change).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/users/me", write_only).status, 403);
  EXPECT_EQ(call("PATCH", "/api/v1/users/me", write_only, change).status, 200);
}

TEST_P(TokensAdminTest, TokenInputIsValidated) {
  auto [id, alice] = user_with_role("alice");
  auto bad = [&](json::object body) { return call("POST", "/api/v1/auth/tokens", alice.access, body); };
  auto r = bad({{"name", "x"}, {"scopes", json::array{"read", "root"}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.json().at("errors").as_object().contains("scopes")) << r.body;
  EXPECT_EQ(bad({{"name", "x"}, {"scopes", json::array{}}}).status, 400);
  EXPECT_EQ(bad({{"name", "x"}, {"scopes", json::array{"read", "read"}}}).status, 400);
  EXPECT_EQ(bad({{"name", ""}, {"scopes", json::array{"read"}}}).status, 400);
  EXPECT_EQ(bad({{"scopes", json::array{"read"}}}).status, 400);
  EXPECT_EQ(bad({{"name", "x"}, {"scopes", json::array{"read"}}, {"expires_in_days", 0}}).status, 400);
  EXPECT_EQ(bad({{"name", "x"}, {"scopes", json::array{"read"}}, {"user_id", 1}}).status, 400);
  // The admin scope is for admins only.
  EXPECT_EQ(bad({{"name", "x"}, {"scopes", json::array{"admin"}}}).status, 403);
}

TEST_P(TokensAdminTest, TokenCannotMintOrRevokeTokens) {
  auto [id, alice] = user_with_role("alice", "owner");
  auto created = create_token(alice.access, {"read", "write", "admin"});
  std::string secret(created.at("token").as_string());
  auto mint = call("POST", "/api/v1/auth/tokens", secret, json::object{{"name", "more"}, {"scopes", json::array{"read"}}});
  EXPECT_EQ(mint.status, 403) << mint.body;
  auto revoke = call("DELETE", "/api/v1/auth/tokens/" + std::to_string(created.at("id").as_int64()), secret);
  EXPECT_EQ(revoke.status, 403) << revoke.body;
  EXPECT_EQ(call("GET", "/api/v1/users/me", secret).status, 200);
}

TEST_P(TokensAdminTest, RevokedTokenIsRefusedAndAudited) {
  auto [alice_id, alice] = user_with_role("alice");
  auto created = create_token(alice.access, {"read"});
  std::string secret(created.at("token").as_string());
  auto path = "/api/v1/auth/tokens/" + std::to_string(created.at("id").as_int64());
  EXPECT_EQ(call("DELETE", path, alice.access).status, 204);
  auto me = call("GET", "/api/v1/users/me", secret);
  EXPECT_EQ(me.status, 401);
  EXPECT_FALSE(me.header("WWW-Authenticate").empty());
  EXPECT_EQ(call("DELETE", path, alice.access).status, 404) << "already revoked";
  EXPECT_EQ(call("GET", "/api/v1/auth/tokens", alice.access).json().at("results").as_array().size(), 0u);

  auto [owner_id, owner] = user_with_role("root", "owner");
  auto target = "target_type=token&target_id=" + std::to_string(created.at("id").as_int64());
  auto rows = audit(owner.access, target);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("action"), "token.revoked");
  EXPECT_EQ(rows[1].at("action"), "token.created");
  EXPECT_EQ(rows[1].at("actor_id").as_int64(), alice_id);
  EXPECT_EQ(rows[1].at("details").at("scopes"), (json::array{"read"}));
  EXPECT_EQ(rows[1].at("ip"), "127.0.0.1");
  (void)owner_id;
}

TEST_P(TokensAdminTest, AnotherUsersTokenIsNotFound) {
  auto [alice_id, alice] = user_with_role("alice");
  auto [bob_id, bob] = user_with_role("bob");
  auto created = create_token(alice.access, {"read"});
  auto path = "/api/v1/auth/tokens/" + std::to_string(created.at("id").as_int64());
  EXPECT_EQ(call("DELETE", path, bob.access).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/auth/tokens/999999", bob.access).status, 404);
  std::string secret(created.at("token").as_string());
  EXPECT_EQ(call("GET", "/api/v1/users/me", secret).status, 200) << "bob's attempt changed nothing";
  EXPECT_EQ(call("GET", "/api/v1/auth/tokens", bob.access).json().at("results").as_array().size(), 0u);
  (void)alice_id;
  (void)bob_id;
}

// ------------------------------------------------------------------------------------- admin

TEST_P(TokensAdminTest, MembersAndAnonymousCannotUseAdminEndpoints) {
  auto [member_id, member] = user_with_role("mallory");
  for (std::string path : {"/api/v1/admin/users", "/api/v1/admin/users/1", "/api/v1/admin/audit-log"}) {
    EXPECT_EQ(call("GET", path, member.access).status, 403) << path;
    EXPECT_EQ(call("GET", path).status, 401) << path;
  }
  auto r = call("PATCH", "/api/v1/admin/users/" + std::to_string(member_id), member.access,
                json::object{{"role", "owner"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(call("GET", "/api/v1/users/me", member.access).json().at("role"), "member");
}

TEST_P(TokensAdminTest, AdminTokenNeedsTheAdminScope) {
  auto [id, admin] = user_with_role("ada", "admin");
  std::string plain(create_token(admin.access, {"read", "write"}).at("token").as_string());
  std::string scoped(create_token(admin.access, {"read", "admin"}, "admin").at("token").as_string());
  EXPECT_EQ(call("GET", "/api/v1/admin/users", plain).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/admin/users", scoped).status, 200);
}

TEST_P(TokensAdminTest, AdminListsAndFiltersUsersWithEmails) {
  auto [owner_id, owner] = user_with_role("root", "owner");
  auto carol = register_user("carol");
  auto dave = register_user("dave");
  auto list = [&](const std::string& query) {
    auto r = call("GET", "/api/v1/admin/users" + query, owner.access);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  };
  auto all = list("");
  auto results = all.at("results").as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("id").as_int64(), dave) << "newest first";
  EXPECT_EQ(results[0].at("email"), "dave@example.com");
  EXPECT_TRUE(all.at("next").is_null());

  auto members = list("?role=member").at("results").as_array();
  EXPECT_EQ(members.size(), 2u);
  auto owners = list("?role=owner").at("results").as_array();
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0].at("id").as_int64(), owner_id);
  auto searched = list("?search=CAR").at("results").as_array();
  ASSERT_EQ(searched.size(), 1u);
  EXPECT_EQ(searched[0].at("id").as_int64(), carol);

  // Pages follow `next`, which keeps the filters.
  auto page1 = list("?role=member&limit=1");
  ASSERT_EQ(page1.at("results").as_array().size(), 1u);
  std::string next(page1.at("next").as_string());
  EXPECT_NE(next.find("role=member"), std::string::npos);
  auto page2 = call("GET", next, owner.access).json();
  ASSERT_EQ(page2.at("results").as_array().size(), 1u);
  EXPECT_EQ(page2.at("results").at(0).at("id").as_int64(), carol);
  EXPECT_TRUE(page2.at("next").is_null());

  EXPECT_EQ(list("?active=false").at("results").as_array().size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/admin/users?role=root", owner.access).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/admin/users?active=maybe", owner.access).status, 400);

  auto one = call("GET", "/api/v1/admin/users/" + std::to_string(carol), owner.access);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("email"), "carol@example.com");
  EXPECT_EQ(call("GET", "/api/v1/admin/users/999999", owner.access).status, 404);
}

TEST_P(TokensAdminTest, DeactivationStopsEveryCredentialAtOnce) {
  auto [owner_id, owner] = user_with_role("root", "owner");
  auto [bob_id, bob] = user_with_role("bob");
  std::string pat(create_token(bob.access, {"read", "write"}).at("token").as_string());
  ASSERT_EQ(call("GET", "/api/v1/users/me", bob.access).status, 200);
  ASSERT_EQ(call("GET", "/api/v1/users/me", pat).status, 200);

  auto path = "/api/v1/admin/users/" + std::to_string(bob_id);
  auto r = call("PATCH", path, owner.access, json::object{{"is_active", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("is_active").as_bool());

  EXPECT_EQ(call("GET", "/api/v1/users/me", bob.access).status, 401) << "access token";
  EXPECT_EQ(call("GET", "/api/v1/users/me", pat).status, 401) << "personal token";
  EXPECT_EQ(call("POST", "/api/v1/auth/token/refresh", {}, json::object{{"refresh", bob.refresh}}).status, 401)
      << "refresh token";
  EXPECT_EQ(call("POST", "/api/v1/auth/token", {}, json::object{{"login", "bob"}, {"password", kPassword}}).status, 401)
      << "password login";

  auto rows = audit(owner.access, "action=user.deactivated");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("actor_id").as_int64(), owner_id);
  EXPECT_EQ(rows[0].at("target_type"), "user");
  EXPECT_EQ(rows[0].at("target_id").as_int64(), bob_id);
  EXPECT_EQ(rows[0].at("details").at("refresh_families").as_int64(), 1);
  EXPECT_EQ(rows[0].at("details").at("personal_tokens").as_int64(), 1);
  EXPECT_FALSE(rows[0].at("request_id").is_null());

  auto inactive = call("GET", "/api/v1/admin/users?active=false", owner.access).json().at("results").as_array();
  ASSERT_EQ(inactive.size(), 1u);
  EXPECT_EQ(inactive[0].at("id").as_int64(), bob_id);

  // Re-activation lets bob log in again; what was revoked stays revoked.
  auto back = call("PATCH", path, owner.access, json::object{{"is_active", true}});
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_TRUE(back.json().at("is_active").as_bool());
  EXPECT_EQ(call("GET", "/api/v1/users/me", pat).status, 401);
  EXPECT_EQ(call("POST", "/api/v1/auth/token/refresh", {}, json::object{{"refresh", bob.refresh}}).status, 401);
  auto again = login("bob");
  EXPECT_EQ(call("GET", "/api/v1/users/me", again.access).status, 200);
  EXPECT_EQ(audit(owner.access, "action=user.reactivated").size(), 1u);
}

TEST_P(TokensAdminTest, RoleChangeIsAudited) {
  auto [owner_id, owner] = user_with_role("root", "owner");
  auto [bob_id, bob] = user_with_role("bob");
  auto path = "/api/v1/admin/users/" + std::to_string(bob_id);
  auto r = call("PATCH", path, owner.access, json::object{{"role", "admin"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("role"), "admin");
  // The new role applies to bob's existing access token at once.
  EXPECT_EQ(call("GET", "/api/v1/admin/users", bob.access).status, 200);
  // Setting the same role again changes nothing and writes nothing.
  EXPECT_EQ(call("PATCH", path, owner.access, json::object{{"role", "admin"}}).status, 200);

  auto rows = audit(owner.access, "target_type=user&target_id=" + std::to_string(bob_id) + "&action=user.role_changed");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("actor_id").as_int64(), owner_id);
  EXPECT_EQ(rows[0].at("details"), (json::object{{"from", "member"}, {"to", "admin"}}));
  EXPECT_EQ(audit(owner.access, "actor_id=" + std::to_string(owner_id) + "&limit=1").size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/admin/audit-log?target_type=user", owner.access).status, 400);
  EXPECT_EQ(call("PATCH", path, owner.access, json::object{{"role", "root"}}).status, 400);
  EXPECT_EQ(call("PATCH", path, owner.access, json::object{{"email", "x@example.com"}}).status, 400);
}

TEST_P(TokensAdminTest, AuditLogPagesBackwards) {
  auto [owner_id, owner] = user_with_role("root", "owner");
  register_user("carol");
  auto first = call("GET", "/api/v1/admin/audit-log?limit=1", owner.access).json();
  ASSERT_EQ(first.at("results").as_array().size(), 1u);
  std::string next(first.at("next").as_string());
  auto second = call("GET", next, owner.access).json();
  ASSERT_EQ(second.at("results").as_array().size(), 1u);
  EXPECT_LT(second.at("results").at(0).at("id").as_int64(), first.at("results").at(0).at("id").as_int64());
  (void)owner_id;
}

TEST_P(TokensAdminTest, NobodyChangesThemselvesAndOnlyOwnersChangeAdmins) {
  auto [owner_id, owner] = user_with_role("root", "owner");
  auto [other_owner_id, other_owner] = user_with_role("root2", "owner");
  auto [admin_id, admin] = user_with_role("ada", "admin");
  auto [admin2_id, admin2] = user_with_role("ada2", "admin");
  auto member_id = register_user("carol");
  auto patch = [&](const std::string& who, std::int64_t id, json::object body) {
    return call("PATCH", "/api/v1/admin/users/" + std::to_string(id), who, body).status;
  };
  EXPECT_EQ(patch(owner.access, owner_id, {{"role", "member"}}), 403) << "self-demotion";
  EXPECT_EQ(patch(owner.access, owner_id, {{"is_active", false}}), 403) << "self-deactivation";
  EXPECT_EQ(patch(admin.access, admin_id, {{"role", "member"}}), 403);
  EXPECT_EQ(patch(owner.access, owner_id, {{"role", "owner"}}), 200) << "a no-op is fine";

  EXPECT_EQ(patch(admin.access, owner_id, {{"role", "member"}}), 403) << "an admin cannot change an owner";
  EXPECT_EQ(patch(admin.access, owner_id, {{"is_active", false}}), 403);
  EXPECT_EQ(patch(admin.access, admin2_id, {{"is_active", false}}), 403) << "nor another admin";
  EXPECT_EQ(patch(admin.access, member_id, {{"role", "admin"}}), 403) << "only owners grant admin";
  EXPECT_EQ(patch(admin.access, member_id, {{"role", "owner"}}), 403);
  EXPECT_EQ(patch(admin.access, member_id, {{"role", "guest"}}), 200) << "admins manage members and guests";
  EXPECT_EQ(patch(admin.access, member_id, {{"is_active", false}}), 200);

  EXPECT_EQ(patch(owner.access, member_id, {{"role", "admin"}}), 200);
  EXPECT_EQ(patch(owner.access, admin2_id, {{"role", "member"}}), 200);
  EXPECT_EQ(patch(owner.access, other_owner_id, {{"role", "admin"}}), 200) << "owners change other owners";
  EXPECT_EQ(call("GET", "/api/v1/users/me", owner.access).json().at("role"), "owner");
  EXPECT_EQ(patch(owner.access, 999999, {{"role", "member"}}), 404);
  (void)other_owner;
  (void)admin2;
}

INSTANTIATE_TEST_SUITE_P(Backends, TokensAdminTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ------------------------------------------------------------------------- parley createsuperuser

fs::path parley_binary() {
  if (const char* env = std::getenv("PARLEY_BINARY"); env && *env) return env;
  return fs::read_symlink("/proc/self/exe").parent_path() / "parley";
}

struct Exit {
  int code = -1;  // -1: killed at the deadline or by a signal
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `parley <args>` with `env` (plus PATH and HOME) in `dir`, stdin from /dev/null, stdout and
// stderr to files; kills it after `deadline`.
Exit run_parley(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const fs::path& dir,
                std::chrono::seconds deadline = std::chrono::seconds(60)) {
  std::vector<std::string> arg_strings{parley_binary().string()};
  arg_strings.insert(arg_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings;
  for (const char* keep : {"PATH", "HOME", "TMPDIR"})
    if (const char* v = std::getenv(keep)) env_strings.push_back(std::string(keep) + "=" + v);
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  auto out_path = dir / "stdout.txt";
  auto err_path = dir / "stderr.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn: " + std::string(std::strerror(rc)));
  int status = 0;
  bool exited = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, deadline);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  Exit result;
  if (exited && WIFEXITED(status)) result.code = WEXITSTATUS(status);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  return result;
}

class CreateSuperuserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(parley_binary())) << "parley binary not found (set PARLEY_BINARY or build parley)";
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("parley-su-" + std::to_string(rd()) + std::to_string(::getpid()));
    fs::create_directories(dir_);
    env_ = {{"PARLEY_DATABASE_URL", "sqlite:" + (dir_ / "t.db").string()}, {"PARLEY_LOG_FORMAT", "text"}};
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CreateSuperuserTest, CreatesAnOwnerThatCanLogIn) {
  auto created = run_parley({"createsuperuser", "--username", "root", "--email", "Root@Example.com", "--password",
                             kPassword},
                            env_, dir_);
  ASSERT_EQ(created.code, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("Created owner 'root'"), std::string::npos) << created.out;
  EXPECT_EQ(created.out.find(kPassword), std::string::npos);
  EXPECT_EQ(created.err.find(kPassword), std::string::npos);

  auto again = run_parley({"createsuperuser", "--username", "root", "--email", "other@example.com", "--password",
                           kPassword},
                          env_, dir_);
  EXPECT_EQ(again.code, 1) << "the username is taken";

  TestServer server(test_config({{"PARLEY_DATABASE_URL", env_["PARLEY_DATABASE_URL"]}}));
  auto token = http_request(server.port(), "POST", "/api/v1/auth/token", {},
                            json::serialize(json::object{{"login", "root@example.com"}, {"password", kPassword}}));
  ASSERT_EQ(token.status, 200) << token.body;
  std::string access(token.json().at("access").as_string());
  auto me = http_request(server.port(), "GET", "/api/v1/users/me", bearer(access));
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json().at("role"), "owner");
  EXPECT_EQ(me.json().at("username"), "root");
  EXPECT_EQ(http_request(server.port(), "GET", "/api/v1/admin/users", bearer(access)).status, 200);
}

TEST_F(CreateSuperuserTest, RefusesAWeakPasswordAndMissingInputWithoutATerminal) {
  auto weak = run_parley({"createsuperuser", "--username", "root", "--email", "root@example.com", "--password",
                          "password123"},
                         env_, dir_);
  EXPECT_EQ(weak.code, 1);
  EXPECT_NE(weak.err.find("password:"), std::string::npos) << weak.err;
  EXPECT_EQ(weak.err.find("password123"), std::string::npos) << "the password is never echoed";

  auto missing = run_parley({"createsuperuser", "--username", "root"}, env_, dir_);
  EXPECT_EQ(missing.code, 2) << missing.err;
  EXPECT_NE(missing.err.find("--password"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace parley::testing
