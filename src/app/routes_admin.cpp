// Administration routes for accounts and the audit log (docs/api.md "Administration"). Every route is
// admin_only(); who may change whom is Admin::check_update_user's (accounts/admin.hpp).
#include "accounts/admin.hpp"
#include "accounts/permissions.hpp"
#include "accounts/user_json.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

#include <algorithm>

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

json::value audit_schema() {
  return schema::object({{"id", schema::integer()},
                         {"actor_id", schema::nullable(schema::integer())},
                         {"action", schema::string()},
                         {"target_type", schema::nullable(schema::string())},
                         {"target_id", schema::nullable(schema::integer())},
                         {"ip", schema::nullable(schema::string())},
                         {"request_id", schema::nullable(schema::string())},
                         {"details", schema::object({})},
                         {"created_at", schema::string("date-time")}});
}

json::object audit_json(const repo::AuditRecord& r) {
  json::value details;
  try {
    details = json::parse(r.details_json);
  } catch (const std::exception&) {
    details = r.details_json;  // the schema's CHECK keeps it JSON; never fail a listing over it
  }
  return json::object{{"id", r.id},
                      {"actor_id", r.actor_id ? json::value(*r.actor_id) : json::value(nullptr)},
                      {"action", r.action},
                      {"target_type", r.target ? json::value(r.target->type) : json::value(nullptr)},
                      {"target_id", r.target ? json::value(r.target->id) : json::value(nullptr)},
                      {"ip", r.ip ? json::value(*r.ip) : json::value(nullptr)},
                      {"request_id", r.request_id ? json::value(*r.request_id) : json::value(nullptr)},
                      {"details", std::move(details)},
                      {"created_at", r.created_at}};
}

}  // namespace

void add_admin_routes(http::Router& router, accounts::Admin& admin) {
  router.add(
      Method::get, "/api/v1/admin/users",
      [&admin](Request& req) -> Awaitable {
        auto q = req.query();
        repo::UserFilter filter;
        filter.role = query_choice(q, "role", {"owner", "admin", "member", "guest"});
        auto active = query_choice(q, "active", {"true", "false"});
        if (active) filter.is_active = *active == "true";
        filter.search = query_param(q, "search");
        if (filter.search && filter.search->empty()) filter.search.reset();
        if (filter.search && filter.search->size() > 254) throw query_error("search", "Use at most 254 characters.");
        auto before = query_int(q, "cursor", {.min = 1});
        auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        auto users = co_await admin.list_users(filter, before, static_cast<int>(limit) + 1);
        bool more = users.size() > static_cast<std::size_t>(limit);
        if (more) users.pop_back();
        json::array results;
        for (const auto& u : users) results.push_back(accounts::user_json(u, true));
        json::value next = nullptr;
        if (more) {
          std::string url = "/api/v1/admin/users?cursor=" + std::to_string(users.back().id) +
                            "&limit=" + std::to_string(limit);
          append_param(url, "role", filter.role);
          append_param(url, "active", active);
          append_param(url, "search", filter.search);
          next = url;
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{
          .summary = "Every user with email, newest first; filter by ?role=, ?active=true|false, ?search=",
          .tags = {"admin"},
          .auth = http::Auth::admin,
          .query = query_doc::page(
              {query_doc::choice("role", {"owner", "admin", "member", "guest"}, "Only this role"),
               query_doc::choice("active", {"true", "false"}, "Only active, or only deactivated, users"),
               query_doc::text("search", "Part of a username, display name or email")}),
          .responses = {{200, "A page of users", page_schema(accounts::user_schema(accounts::EmailField::always))}},
          .consumes = {},
          .permissions = {accounts::admin_only()}});

  router.add(
      Method::get, "/api/v1/admin/users/{id:int}",
      [&admin](Request& req) -> Awaitable {
        auto id = req.int_param("id");
        auto user = co_await admin.get_user(id);
        co_return Response::json(accounts::user_json(user, true));
      },
      RouteDoc{.summary = "One user, with email",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .responses = {{200, "The user", accounts::user_schema(accounts::EmailField::always)}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::patch, "/api/v1/admin/users/{id:int}",
      [&admin](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        accounts::UserChange change;
        change.role = in.enumeration("role", {"owner", "admin", "member", "guest"}).to_optional();
        change.is_active = in.boolean("is_active").to_optional();
        in.finish();
        // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
        auto by = *req.principal;
        auto id = req.int_param("id");
        auto meta = RequestMeta::of(req);
        auto user = co_await admin.do_update_user(std::move(by), id, std::move(change), std::move(meta));
        co_return Response::json(accounts::user_json(user, true));
      },
      RouteDoc{.summary = "Change a user's role or deactivate them (revokes every refresh token, session and "
                          "personal token at once); only owners change admins and owners; nobody changes themself",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .request_schema = schema::object({{"role", schema::string()}, {"is_active", schema::boolean()}}),
               .responses = {{200, "The updated user", accounts::user_schema(accounts::EmailField::always)}},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::get, "/api/v1/admin/audit-log",
      [&admin](Request& req) -> Awaitable {
        auto q = req.query();
        repo::AuditFilter filter;
        filter.actor_id = query_int(q, "actor_id", {.min = 1});
        filter.action = query_param(q, "action");
        auto target_type = query_choice(q, "target_type",
                                        {"user", "conversation", "message", "webhook", "token", "ip_rule", "job"});
        auto target_id = query_int(q, "target_id", {.min = 1});
        if (target_type.has_value() != target_id.has_value()) {
          throw query_error(target_type ? "target_id" : "target_type", "Give target_type and target_id together.");
        }
        if (target_type) filter.target = repo::AuditTarget{*target_type, *target_id};
        auto before = query_int(q, "before", {.min = 1});
        auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        auto records = co_await admin.audit_log(filter, before, static_cast<int>(limit) + 1);
        bool more = records.size() > static_cast<std::size_t>(limit);
        if (more) records.pop_back();
        json::array results;
        for (const auto& r : records) results.push_back(audit_json(r));
        json::value next = nullptr;
        if (more) {
          std::string url = "/api/v1/admin/audit-log?before=" + std::to_string(records.back().id) +
                            "&limit=" + std::to_string(limit);
          if (filter.actor_id) url += "&actor_id=" + std::to_string(*filter.actor_id);
          append_param(url, "action", filter.action);
          append_param(url, "target_type", target_type);
          if (target_id) url += "&target_id=" + std::to_string(*target_id);
          next = url;
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "Who did what to whom, when, from which IP; newest first, filter by actor, action, target",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .query = {query_doc::integer("actor_id", "Only what this user did"),
                         query_doc::text("action", "Only this action (user.login, conversation.create, ...)"),
                         query_doc::choice("target_type",
                                           {"user", "conversation", "message", "webhook", "token", "ip_rule", "job"},
                                           "Only entries about this kind of target (with target_id)"),
                         query_doc::integer("target_id", "Only entries about this target (with target_type)"),
                         query_doc::integer("before", "Entries older than this id (from `next`)"), query_doc::limit()},
               .responses = {{200, "A page of audit entries", page_schema(audit_schema())}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});
}

}  // namespace parley
