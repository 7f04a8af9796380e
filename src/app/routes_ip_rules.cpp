// IP allow/deny rule routes (docs/api.md "Administration": /admin/ip-rules[/{id}]). Every route is
// admin_only(); the rules' meaning and enforcement are accounts/ip_rules.hpp's.
#include "accounts/ip_rules.hpp"
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
namespace repo = db::repositories;
using accounts::RequestMeta;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

json::value ip_rule_schema() {
  return schema::object({{"id", schema::integer()},
                         {"cidr", schema::string()},
                         {"action", schema::string()},
                         {"note", schema::string()},
                         {"expires_at", schema::nullable(schema::string("date-time"))},
                         {"active", schema::boolean()},
                         {"created_by", schema::nullable(schema::integer())},
                         {"created_at", schema::string("date-time")}});
}

json::object ip_rule_json(const repo::IpRuleRecord& r, std::chrono::system_clock::time_point now) {
  bool active = true;
  if (r.expires_at) {
    auto expires = parse_rfc3339(*r.expires_at);
    active = expires && *expires > now;
  }
  return json::object{{"id", r.id},
                      {"cidr", r.cidr},
                      {"action", r.action},
                      {"note", r.note},
                      {"expires_at", r.expires_at ? json::value(*r.expires_at) : json::value(nullptr)},
                      {"active", active},
                      {"created_by", r.created_by ? json::value(*r.created_by) : json::value(nullptr)},
                      {"created_at", r.created_at}};
}

// ?force=true: apply a change that would refuse the caller's own address.
bool force_param(const Request& req) { return query_choice(req.query(), "force", {"true", "false"}) == "true"; }

// The body of POST /admin/ip-rules, validated (every field error at once).
accounts::IpRuleInput read_ip_rule(const Request& req) {
  auto body = parse_json_body(req.body());
  ObjectReader in(body);
  auto cidr_text = in.string("cidr", {.required = true, .trim = true, .max_length = 64, .single_line = true});
  auto action = in.enumeration("action", {"allow", "deny"}, {.required = true});
  auto note = in.string("note", {.trim = true, .allow_blank = true, .max_length = 200, .single_line = true});
  auto expires_text = in.string("expires_at", {.nullable = true, .max_length = 64});
  accounts::IpRuleInput input;
  if (cidr_text) {
    auto parsed = parse_cidr(*cidr_text);
    if (parsed.cidr) {
      input.cidr = *parsed.cidr;
    } else {
      in.add_error("cidr", parsed.error);
    }
  }
  if (expires_text) {
    auto expires = parse_rfc3339(*expires_text);
    if (!expires) {
      in.add_error("expires_at", "Enter an RFC 3339 date-time, e.g. 2026-12-31T23:59:59Z.");
    } else if (*expires <= std::chrono::system_clock::now()) {
      in.add_error("expires_at", "Must be in the future.");
    } else {
      input.expires_at = *expires;
    }
  }
  in.finish();
  input.action = *action == "allow" ? accounts::IpRuleAction::allow : accounts::IpRuleAction::deny;
  input.note = note.value_or("");
  return input;
}

}  // namespace

void add_ip_rule_routes(http::Router& router, accounts::IpRules& rules) {
  router.add(
      Method::get, "/api/v1/admin/ip-rules",
      [&rules](Request& req) -> Awaitable {
        auto q = req.query();
        auto before = query_int(q, "cursor", {.min = 1});
        auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        auto records = co_await rules.list(before, static_cast<int>(limit) + 1);
        bool more = records.size() > static_cast<std::size_t>(limit);
        if (more) records.pop_back();
        const auto now = std::chrono::system_clock::now();
        json::array results;
        for (const auto& r : records) results.push_back(ip_rule_json(r, now));
        json::value next = nullptr;
        if (more) {
          next =
              "/api/v1/admin/ip-rules?cursor=" + std::to_string(records.back().id) + "&limit=" + std::to_string(limit);
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "Every IP rule, expired ones included (`active` false), newest first",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .query = query_doc::page(),
               .responses = {{200, "A page of IP rules", page_schema(ip_rule_schema())}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::post, "/api/v1/admin/ip-rules",
      [&rules](Request& req) -> Awaitable {
        auto input = read_ip_rule(req);
        // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
        auto by = *req.principal;
        auto force = force_param(req);
        auto meta = RequestMeta::of(req);
        auto created = co_await rules.do_create_rule(std::move(by), std::move(input), force, std::move(meta));
        co_return Response::json(ip_rule_json(created, std::chrono::system_clock::now()), 201);
      },
      RouteDoc{.summary = "Create an allow or deny rule for a CIDR block (IPv4 or IPv6; a bare address is one host), "
                          "optionally expiring. The longest matching prefix decides; any allow rule turns on "
                          "allow-list mode. 409 ip_rule_lockout when it would refuse your own address, unless "
                          "?force=true",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .request_schema = schema::object({{"cidr", schema::string()},
                                                 {"action", schema::string()},
                                                 {"note", schema::string()},
                                                 {"expires_at", schema::nullable(schema::string("date-time"))}},
                                                {"cidr", "action"}),
               .responses = {{201, "The rule, normalised", ip_rule_schema()}},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::get, "/api/v1/admin/ip-rules/{id:int}",
      [&rules](Request& req) -> Awaitable {
        auto id = req.int_param("id");
        auto rule = co_await rules.get(id);
        co_return Response::json(ip_rule_json(rule, std::chrono::system_clock::now()));
      },
      RouteDoc{.summary = "One IP rule",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .responses = {{200, "The rule", ip_rule_schema()}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::del, "/api/v1/admin/ip-rules/{id:int}",
      [&rules](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto id = req.int_param("id");
        auto force = force_param(req);
        auto meta = RequestMeta::of(req);
        co_await rules.do_delete_rule(std::move(by), id, force, std::move(meta));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Delete an IP rule; every replica applies it at once. 409 ip_rule_lockout when it would "
                          "refuse your own address, unless ?force=true",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .query = {query_doc::choice("force", {"true", "false"}, "Delete even if it would lock the caller out")},
               .responses = {{204, "Deleted", json::value()}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});
}

}  // namespace parley
