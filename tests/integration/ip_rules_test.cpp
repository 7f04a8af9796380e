// IP allow/deny rules (/api/v1/admin/ip-rules and the IP-rules middleware), over real HTTP against
// the in-process server, on SQLite and, when PARLEY_TEST_PG_URL is set, PostgreSQL; and two servers
// on one PostgreSQL database, where a rule made through one applies on the other.
//
// Loopback is a trusted proxy here, so each request says which client it comes from with
// X-Forwarded-For, as a load balancer would.
#include "harness.hpp"

#include "core/time.hpp"
#include "db/pg_test_database.hpp"
#include "db/repositories/user_repository.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kPassword = "a perfectly long passphrase 7781";
// Where the admin of these tests sits.
constexpr const char* kAdminIp = "198.51.100.10";

std::map<std::string, std::string> base_env() { return {{"PARLEY_TRUSTED_PROXIES", "127.0.0.1,::1"}}; }

// A server and the calls the tests make to it, as a client at a chosen address.
class Client {
 public:
  explicit Client(TestServer& server) : server_(server) {}

  HttpResult call(const std::string& method, const std::string& target, const std::string& token = {},
                  const json::value& body = nullptr, const std::string& from = kAdminIp) const {
    std::map<std::string, std::string> headers{{"X-Forwarded-For", from}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    std::string text;
    if (!body.is_null()) {
      headers["Content-Type"] = "application/json";
      text = json::serialize(body);
    }
    return http_request(server_.port(), method, target, headers, text);
  }

  // Registers `username` with `role` (set in the database) and returns an access token.
  std::string user(const std::string& username, const std::string& role = "member") const {
    auto r = call("POST", "/api/v1/auth/register", {},
                  json::object{{"username", username}, {"email", username + "@example.com"}, {"password", kPassword}});
    EXPECT_EQ(r.status, 201) << r.body;
    if (role != "member") {
      db::repositories::UserRepository users(server_.app().database().dialect());
      auto updated = run_db(users.set_role(server_.app().database(), r.json().at("id").as_int64(), role));
      EXPECT_TRUE(updated.has_value());
    }
    auto t = call("POST", "/api/v1/auth/token", {}, json::object{{"login", username}, {"password", kPassword}});
    EXPECT_EQ(t.status, 200) << t.body;
    return std::string(t.json().at("access").as_string());
  }

  // Creates a rule; returns the 201 body.
  json::object rule(const std::string& admin, const std::string& cidr, const std::string& action,
                    const json::value& expires_at = nullptr, const std::string& query = {}) const {
    json::object body{{"cidr", cidr}, {"action", action}};
    if (!expires_at.is_null()) body["expires_at"] = expires_at;
    auto r = call("POST", "/api/v1/admin/ip-rules" + query, admin, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().as_object() : json::object{};
  }

  // The status an anonymous GET of the API gets from `ip`: 401 means it passed the IP rules (and
  // then lacked credentials), 403 ip_forbidden that they refused it.
  int status_from(const std::string& ip) const {
    auto r = call("GET", "/api/v1/users/me", {}, nullptr, ip);
    if (r.status == 403) {
      EXPECT_EQ(r.json().at("code"), "ip_forbidden") << r.body;
    }
    return r.status;
  }

 private:
  TestServer& server_;
};

class IpRulesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { start({}, "root"); }

  // (Re)starts the server with `extra` settings and registers admin `admin_name` on it.
  void start(const std::map<std::string, std::string>& extra, const std::string& admin_name) {
    auto env = base_env();
    if (GetParam() == "postgres") {
      if (!pg_) {
        auto admin_url = db::testing::PgTestDatabase::admin_url_from_env();
        if (!admin_url) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
        pg_ = std::make_unique<db::testing::PgTestDatabase>(*admin_url);
      }
      env["PARLEY_DATABASE_URL"] = pg_->url();
      env["PARLEY_AUTO_MIGRATE"] = "1";
    }
    for (const auto& [k, v] : extra) env[k] = v;
    client_.reset();
    if (server_) server_->stop();
    server_ = std::make_unique<TestServer>(test_config(env));
    client_ = std::make_unique<Client>(*server_);
    admin_ = client_->user(admin_name, "admin");
  }
  std::int64_t count(const std::string& sql) {
    auto rs = run_db(server_->app().database().execute(db::Query{"", sql}));
    return rs.one().int64(0);
  }

  void TearDown() override {
    if (server_) server_->stop();
    client_.reset();
    server_.reset();
    pg_.reset();
  }

  std::unique_ptr<db::testing::PgTestDatabase> pg_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Client> client_;
  std::string admin_;
};

TEST_P(IpRulesTest, CreateListGetAndDeleteWithAuditRows) {
  auto r = client_->call("POST", "/api/v1/admin/ip-rules", admin_,
                         json::object{{"cidr", " 203.0.113.0/24 "}, {"action", "deny"}, {"note", "scanner"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto created = r.json().as_object();
  EXPECT_EQ(created.at("cidr"), "203.0.113.0/24");
  EXPECT_EQ(created.at("action"), "deny");
  EXPECT_EQ(created.at("note"), "scanner");
  EXPECT_TRUE(created.at("expires_at").is_null());
  EXPECT_EQ(created.at("active"), true);
  EXPECT_TRUE(created.at("created_by").is_int64());
  auto id = created.at("id").as_int64();
  auto host = client_->rule(admin_, "2001:DB8::1", "deny");
  EXPECT_EQ(host.at("cidr"), "2001:db8::1/128");

  auto list = client_->call("GET", "/api/v1/admin/ip-rules", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  auto results = list.json().at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("id"), host.at("id")) << "newest first";
  EXPECT_EQ(results[1].at("id").as_int64(), id);
  EXPECT_TRUE(list.json().at("next").is_null());
  EXPECT_TRUE(list.json().at("previous").is_null());

  auto page = client_->call("GET", "/api/v1/admin/ip-rules?limit=1", admin_);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.json().at("results").as_array().size(), 1u);
  std::string next(page.json().at("next").as_string());
  auto second = client_->call("GET", next, admin_);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json().at("results").at(0).at("id").as_int64(), id);

  auto one = client_->call("GET", "/api/v1/admin/ip-rules/" + std::to_string(id), admin_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json().at("cidr"), "203.0.113.0/24");

  EXPECT_EQ(client_->call("DELETE", "/api/v1/admin/ip-rules/" + std::to_string(id), admin_).status, 204);
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules/" + std::to_string(id), admin_).status, 404);
  EXPECT_EQ(client_->call("DELETE", "/api/v1/admin/ip-rules/" + std::to_string(id), admin_).status, 404);

  auto audit =
      client_->call("GET", "/api/v1/admin/audit-log?target_type=ip_rule&target_id=" + std::to_string(id), admin_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto rows = audit.json().at("results").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("action"), "ip_rule.deleted");
  EXPECT_EQ(rows[1].at("action"), "ip_rule.created");
  EXPECT_EQ(rows[1].at("ip"), kAdminIp);
  EXPECT_EQ(rows[1].at("details").at("cidr"), "203.0.113.0/24");
  EXPECT_EQ(rows[1].at("details").at("action"), "deny");
  EXPECT_EQ(rows[1].at("details").at("forced"), false);
}

TEST_P(IpRulesTest, ADenyRuleRefusesItsClientsBeforeAnythingElse) {
  EXPECT_EQ(client_->status_from("203.0.113.9"), 401);
  client_->rule(admin_, "203.0.113.0/24", "deny");
  EXPECT_EQ(client_->status_from("203.0.113.9"), 403);
  EXPECT_EQ(client_->status_from("203.0.114.1"), 401);
  // Valid credentials do not help: the refusal comes before authentication.
  auto refused = client_->call("GET", "/api/v1/admin/ip-rules", admin_, nullptr, "203.0.113.50");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.json().at("code"), "ip_forbidden");
  EXPECT_NE(refused.header("content-type").find("application/problem+json"), std::string::npos);
  // The client is the right-most hop that is not a trusted proxy: what a client writes to the
  // left of it is not believed.
  EXPECT_EQ(client_->status_from("203.0.113.9, 198.51.100.7"), 401);
  EXPECT_EQ(client_->status_from("198.51.100.7, 203.0.113.9"), 403);
  EXPECT_EQ(client_->status_from("198.51.100.7, 203.0.113.9, 127.0.0.1"), 403);
  // Probes stay reachable.
  EXPECT_EQ(client_->call("GET", "/healthz", {}, nullptr, "203.0.113.9").status, 200);
  EXPECT_EQ(client_->call("GET", "/readyz", {}, nullptr, "203.0.113.9").status, 200);
}

TEST_P(IpRulesTest, AllowListModeAndTheLongestPrefix) {
  client_->rule(admin_, "198.51.100.0/24", "allow");
  EXPECT_EQ(client_->status_from("198.51.100.77"), 401);
  EXPECT_EQ(client_->status_from("192.0.2.1"), 403);
  EXPECT_EQ(client_->status_from("2001:db8::1"), 403) << "allow-list mode covers IPv6 too";
  client_->rule(admin_, "198.51.100.64/26", "deny");
  EXPECT_EQ(client_->status_from("198.51.100.77"), 403);
  EXPECT_EQ(client_->status_from("198.51.100.10"), 401);
  client_->rule(admin_, "198.51.100.77", "allow");
  EXPECT_EQ(client_->status_from("198.51.100.77"), 401);
  EXPECT_EQ(client_->status_from("198.51.100.78"), 403);
}

TEST_P(IpRulesTest, AnAdminCannotLockThemselfOutUnlessForced) {
  auto r = client_->call("POST", "/api/v1/admin/ip-rules", admin_,
                         json::object{{"cidr", "10.0.0.0/8"}, {"action", "allow"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json().at("code"), "ip_rule_lockout");
  r = client_->call("POST", "/api/v1/admin/ip-rules", admin_,
                    json::object{{"cidr", "198.51.100.0/24"}, {"action", "deny"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules", admin_).json().at("results").as_array().size(), 0u);

  auto mine = client_->rule(admin_, "198.51.100.0/24", "allow");
  client_->rule(admin_, "10.0.0.0/8", "allow");
  auto path = "/api/v1/admin/ip-rules/" + std::to_string(mine.at("id").as_int64());
  r = client_->call("DELETE", path, admin_);
  EXPECT_EQ(r.status, 409) << "deleting the rule that admits the admin, while another allow rule remains";
  // Forced: applied, and the admin is out (from this address).
  EXPECT_EQ(client_->call("DELETE", path + "?force=true", admin_).status, 204);
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules", admin_).status, 403);
  auto inside = client_->call("GET", "/api/v1/admin/ip-rules", admin_, nullptr, "10.1.1.1");
  ASSERT_EQ(inside.status, 200) << inside.body;
  auto rows = client_->call("GET", "/api/v1/admin/audit-log?action=ip_rule.deleted", admin_, nullptr, "10.1.1.1");
  ASSERT_EQ(rows.status, 200) << rows.body;
  EXPECT_EQ(rows.json().at("results").at(0).at("details").at("forced"), true);
}

TEST_P(IpRulesTest, ExpiryIsHonouredWithoutAReload) {
  auto past = format_rfc3339(std::chrono::system_clock::now() - 1h);
  auto r = client_->call("POST", "/api/v1/admin/ip-rules", admin_,
                         json::object{{"cidr", "203.0.113.0/24"}, {"action", "deny"}, {"expires_at", past}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("errors").at("expires_at").at(0), "Must be in the future.");

  auto later = format_rfc3339(std::chrono::system_clock::now() + 1h);
  auto lasting = client_->rule(admin_, "192.0.2.0/24", "deny", json::value(later));
  EXPECT_EQ(lasting.at("expires_at"), json::value(later));
  EXPECT_EQ(lasting.at("active"), true);

  auto soon = format_rfc3339(std::chrono::system_clock::now() + 1500ms);
  client_->rule(admin_, "203.0.113.0/24", "deny", json::value(soon));
  EXPECT_EQ(client_->status_from("203.0.113.9"), 403);
  // The one wait that cannot be avoided: the clock has to pass the expiry.
  EXPECT_TRUE(eventually([&] { return client_->status_from("203.0.113.9") == 401; }, 10s));
  EXPECT_EQ(client_->status_from("192.0.2.9"), 403);
  auto list = client_->call("GET", "/api/v1/admin/ip-rules", admin_).json().at("results").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("active"), false) << "expired rules are listed, inactive";
  EXPECT_EQ(list[1].at("active"), true);
}

TEST_P(IpRulesTest, Ipv6AndMappedClients) {
  client_->rule(admin_, "2001:db8::/32", "deny");
  client_->rule(admin_, "::ffff:203.0.113.0/120", "deny");
  EXPECT_EQ(client_->status_from("2001:db8:1::5"), 403);
  EXPECT_EQ(client_->status_from("2001:db9::5"), 401);
  EXPECT_EQ(client_->status_from("203.0.113.9"), 403) << "a mapped block is IPv4";
  EXPECT_EQ(client_->status_from("::ffff:203.0.113.9"), 403) << "a mapped client is IPv4";
  EXPECT_EQ(client_->status_from("::ffff:198.51.100.9"), 401);
  auto list = client_->call("GET", "/api/v1/admin/ip-rules", admin_).json().at("results").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("cidr"), "203.0.113.0/24");
}

TEST_P(IpRulesTest, AnAddressRefusedTooOftenIsDeniedForAWhileAndAudited) {
  start({{"PARLEY_ABUSE_LIMIT", "1/m burst=5"}, {"PARLEY_ABUSE_BLOCK_FOR", "10m"}}, "guard");
  const std::string sprayer = "203.0.113.77";
  // Five refusals fit the burst; the sixth runs the bucket dry.
  for (int i = 0; i < 6; ++i) ASSERT_EQ(client_->status_from(sprayer), 401);
  EXPECT_TRUE(eventually([&] { return client_->status_from(sprayer) == 403; }, 10s));
  EXPECT_EQ(client_->status_from("203.0.113.78"), 401) << "its neighbours are not refused";

  auto list = client_->call("GET", "/api/v1/admin/ip-rules", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  const auto rules = list.json().at("results").as_array();
  ASSERT_EQ(rules.size(), 1u) << list.body;
  EXPECT_EQ(rules[0].at("cidr"), "203.0.113.77/32");
  EXPECT_EQ(rules[0].at("action"), "deny");
  EXPECT_TRUE(rules[0].at("expires_at").is_string()) << "temporary";
  EXPECT_NE(std::string(rules[0].at("note").as_string()).find("automatic"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'ip_rule.auto_created' AND ip = '203.0.113.77'"), 1);
  // Refusals by the deny rule itself are not counted again: one rule, one audit row.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(client_->status_from(sprayer), 403);
  EXPECT_EQ(count("SELECT count(*) FROM ip_rules"), 1);
}

TEST_P(IpRulesTest, ValidationErrorsComeInTheFieldShape) {
  auto r = client_->call("POST", "/api/v1/admin/ip-rules", admin_,
                         json::object{{"cidr", "10.0.0.1/8"}, {"action", "block"}, {"colour", "red"}});
  ASSERT_EQ(r.status, 400) << r.body;
  auto errors = r.json().at("errors");
  EXPECT_EQ(errors.at("cidr").at(0), "\"10.0.0.1/8\" has host bits set; the block is 10.0.0.0/8.");
  EXPECT_TRUE(errors.as_object().contains("action"));
  EXPECT_TRUE(errors.as_object().contains("colour"));

  r = client_->call("POST", "/api/v1/admin/ip-rules", admin_,
                    json::object{{"cidr", "fd00::/129"}, {"action", "deny"}, {"expires_at", "tomorrow"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("errors").at("cidr").at(0), "The prefix length must be a number from 0 to 128 for IPv6.");
  EXPECT_TRUE(r.json().at("errors").as_object().contains("expires_at"));

  r = client_->call("POST", "/api/v1/admin/ip-rules", admin_, json::object{{"action", "deny"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(r.json().at("errors").as_object().contains("cidr"));

  r = client_->call("POST", "/api/v1/admin/ip-rules?force=maybe", admin_,
                    json::object{{"cidr", "192.0.2.0/24"}, {"action", "deny"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules", admin_).json().at("results").as_array().size(), 0u);
}

TEST_P(IpRulesTest, OnlyAdminsManageRules) {
  auto member = client_->user("mallory");
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules", member).status, 403);
  EXPECT_EQ(
      client_
          ->call("POST", "/api/v1/admin/ip-rules", member, json::object{{"cidr", "192.0.2.0/24"}, {"action", "deny"}})
          .status,
      403);
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules").status, 401);
  auto rule = client_->rule(admin_, "192.0.2.0/24", "deny");
  EXPECT_EQ(
      client_->call("DELETE", "/api/v1/admin/ip-rules/" + std::to_string(rule.at("id").as_int64()), member).status,
      403);
  auto owner = client_->user("olga", "owner");
  EXPECT_EQ(client_->call("GET", "/api/v1/admin/ip-rules", owner).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, IpRulesTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Two servers on one PostgreSQL database: a change through one applies on the other (LISTEN/NOTIFY).
TEST(IpRulesInstancesTest, ARuleMadeOnOneInstanceAppliesOnTheOther) {
  auto admin_url = db::testing::PgTestDatabase::admin_url_from_env();
  if (!admin_url) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset (see scripts/test-servers)";
  db::testing::PgTestDatabase pg(*admin_url);
  SigningKeyFile key;
  auto env = base_env();
  env["PARLEY_DATABASE_URL"] = pg.url();
  env["PARLEY_AUTO_MIGRATE"] = "1";
  env["PARLEY_JWT_PRIVATE_KEY_FILE"] = key.path();
  TestServer a(test_config(env));
  TestServer b(test_config(env));
  Client on_a(a), on_b(b);
  auto admin = on_a.user("root", "admin");
  // B has no rule yet; it learns of this one from A's notice.
  EXPECT_EQ(on_b.status_from("203.0.113.9"), 401);
  auto rule = on_a.rule(admin, "203.0.113.0/24", "deny");
  EXPECT_EQ(on_a.status_from("203.0.113.9"), 403) << "applied at once where it was made";
  EXPECT_TRUE(eventually([&] { return on_b.status_from("203.0.113.9") == 403; }));
  EXPECT_EQ(on_a.call("DELETE", "/api/v1/admin/ip-rules/" + std::to_string(rule.at("id").as_int64()), admin).status,
            204);
  EXPECT_EQ(on_a.status_from("203.0.113.9"), 401);
  EXPECT_TRUE(eventually([&] { return on_b.status_from("203.0.113.9") == 401; }));

  // A third server started now loads the rules there are.
  on_a.rule(admin, "192.0.2.0/24", "deny");
  TestServer c(test_config(env));
  EXPECT_EQ(Client(c).status_from("192.0.2.1"), 403);
  c.stop();
  b.stop();
  a.stop();
}

}  // namespace
}  // namespace parley::testing
