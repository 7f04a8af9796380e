// Message routes (docs/api.md "Messages"): pages by id cursor, send, edit, delete, history, reactions,
// search and the NDJSON export. Handlers validate input, call one Messages action and serialize
// its result.
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/views.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
namespace repo = db::repositories;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using messaging::message_json;
using messaging::message_schema;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

// Query parameter `name` as an RFC 3339 time (or a date), normalized to the stored format.
std::optional<std::string> query_time(std::string_view query, std::string_view name) {
  auto raw = query_param(query, name);
  if (!raw) return std::nullopt;
  auto time = parse_rfc3339(*raw);
  if (!time) throw query_error(std::string(name), "Use an RFC 3339 time such as 2026-11-23T23:51:00Z, or a date.");
  return format_rfc3339(*time);
}

std::optional<std::string> as_text(std::optional<std::int64_t> value) {
  return value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt;
}

json::value history_schema() {
  return schema::object(
      {{"body", schema::string()},
       {"html", schema::string()},
       {"editor", schema::object(
                      {{"id", schema::integer()}, {"username", schema::string()}, {"display_name", schema::string()}})},
       {"edited_at", schema::string("date-time")}});
}

json::value search_result_schema() {
  return schema::object({{"message", message_schema()}, {"snippet", schema::string()}, {"rank", schema::number()}});
}

// The body of a message (Markdown); its rules are the action's (messaging::send_input_errors).
Field<std::string> read_body(ObjectReader& in, bool required) {
  return in.string("body", {.required = required, .allow_blank = true});
}

// The action's rule violations, added to the shape errors `in` collected so one problem lists all.
void add_errors(ObjectReader& in, const FieldErrors& errors) {
  for (const auto& [field, messages] : errors) {
    for (const auto& message : messages) in.add_error(field, message);
  }
}

}  // namespace

void add_message_routes(http::Router& router, messaging::Messages& messages) {
  const std::vector<http::Permission> signed_in{accounts::authenticated()};

  router.add(
      Method::get, "/api/v1/conversations/{id:int}/messages",
      [&messages](Request& req) -> Awaitable {
        auto q = req.query();
        repo::PageQuery page;
        page.before = query_int(q, "before", {.min = 1});
        page.after = query_int(q, "after", {.min = 0});
        page.around = query_int(q, "around", {.min = 1});
        if ((page.before ? 1 : 0) + (page.after ? 1 : 0) + (page.around ? 1 : 0) > 1) {
          throw query_error("non_field_errors", "Give at most one of before, after and around.");
        }
        page.limit =
            static_cast<int>(query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit));
        page.parent_id = query_int(q, "parent_id", {.min = 1});
        page.sender_id = query_int(q, "sender", {.min = 1});
        page.since = query_time(q, "since");
        page.until = query_time(q, "until");
        const auto id = req.int_param("id");
        auto by = *req.principal;
        auto body = co_await messages.page(std::move(by), id, page);
        co_return Response::json_text(std::move(body));
      },
      RouteDoc{.summary = "A page of messages in ascending id order: by default the newest top-level ones; "
                          "?before=, ?after= or ?around= an id; ?parent_id= lists a thread (oldest first); filters "
                          "?sender=, ?since=, ?until= (RFC 3339). `next` pages towards newer messages, `previous` "
                          "towards older ones",
               .tags = {"messages"},
               .auth = http::Auth::user,
               .query = {query_doc::integer("before", "Messages before this id"),
                         query_doc::integer("after", "Messages after this id", 0),
                         query_doc::integer("around", "Messages around this id (it included)"),
                         query_doc::integer("parent_id", "The replies of this thread, oldest first"),
                         query_doc::integer("sender", "Only this sender's messages"),
                         query_doc::text("since", "Only messages from this time on (RFC 3339, or a date)"),
                         query_doc::text("until", "Only messages up to this time (RFC 3339, or a date)"),
                         query_doc::limit()},
               .responses = {{200, "A page of messages", page_schema(message_schema())}},
               .consumes = {},
               .permissions = signed_in});

  router.add(
      Method::post, "/api/v1/conversations/{id:int}/messages",
      [&messages](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto text = read_body(in, false);
        auto parent = in.integer("parent_id", {.nullable = true, .min = 1});
        auto client_id = in.string("client_msg_id", {.nullable = true, .allow_blank = true});
        auto attachments = in.integer_list("attachment_ids", {.min = 1, .max = kMaxSafeInteger});
        messaging::SendInput input;
        input.has_body = static_cast<bool>(text);
        if (text) input.body = *text;
        if (parent) input.parent_id = *parent;
        if (client_id) input.client_msg_id = *client_id;
        if (attachments) input.attachment_ids = *attachments;
        add_errors(in, messaging::send_input_errors(input));
        in.finish();
        auto by = *req.principal;
        auto sent = co_await messages.send(std::move(by), req.int_param("id"), std::move(input));
        auto response = Response::json_text(std::move(sent.json), 201);
        if (!sent.created) response.set_header("Idempotent-Replayed", "true");
        co_return response;
      },
      RouteDoc{.summary = "Send a message (Markdown body of at most 10,000 characters; parent_id replies in a "
                          "thread). With client_msg_id a retry returns the original message, marked by the "
                          "Idempotent-Replayed header, never a duplicate",
               .tags = {"messages"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"body", schema::string()},
                                                 {"parent_id", schema::integer()},
                                                 {"client_msg_id", schema::string()},
                                                 {"attachment_ids", schema::array(schema::integer())}}),
               .responses = {{201, "The message", message_schema()}},
               .permissions = signed_in,
               .rate_limit = "message_send",
               .analytics_event = "message_sent"});

  router.add(
      Method::get, "/api/v1/messages/{id:int}",
      [&messages](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto view = co_await messages.get(std::move(by), req.int_param("id"));
        co_return Response::json_text(message_json_text(view));
      },
      RouteDoc{.summary = "One message",
               .tags = {"messages"},
               .auth = http::Auth::user,
               .responses = {{200, "The message", message_schema()}},
               .consumes = {},
               .permissions = signed_in});

  router.add(
      Method::patch, "/api/v1/messages/{id:int}",
      [&messages](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto text = read_body(in, true);
        if (text) add_errors(in, messaging::edit_input_errors(*text));
        in.finish();
        auto by = *req.principal;
        auto view = co_await messages.edit(std::move(by), req.int_param("id"), std::move(*text));
        co_return Response::json_text(message_json_text(view));
      },
      RouteDoc{.summary = "Edit a message's body (the sender only, within PARLEY_MESSAGE_EDIT_WINDOW); the previous "
                          "version goes to its history",
               .tags = {"messages"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"body", schema::string()}}, {"body"}),
               .responses = {{200, "The edited message", message_schema()}},
               .permissions = signed_in,
               .rate_limit = "message_send"});

  router.add(
      Method::del, "/api/v1/messages/{id:int}",
      [&messages](Request& req) -> Awaitable {
        auto by = *req.principal;
        co_await messages.remove(std::move(by), req.int_param("id"));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Delete a message (sender, conversation owner or admin, or site admin): it keeps its place "
                          "with an empty body and deleted: true",
               .tags = {"messages"},
               .auth = http::Auth::user,
               .responses = {{204, "Deleted", json::value()}},
               .consumes = {},
               .permissions = signed_in});

  router.add(
      Method::get, "/api/v1/messages/{id:int}/history",
      [&messages](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto entries = co_await messages.history(std::move(by), req.int_param("id"));
        json::array results;
        for (const auto& e : entries) {
          results.push_back(json::object{{"body", e.edit.previous_body},
                                         {"html", e.edit.previous_html},
                                         {"editor", messaging::sender_json(e.editor)},
                                         {"edited_at", e.edit.edited_at}});
        }
        co_return Response::json(json::object{{"results", std::move(results)}});
      },
      RouteDoc{.summary = "Every earlier version of a message, oldest first, with who replaced it and when",
               .tags = {"messages"},
               .auth = http::Auth::user,
               .responses = {{200, "The versions", schema::object({{"results", schema::array(history_schema())}})}},
               .consumes = {},
               .permissions = signed_in});

  for (Method method : {Method::put, Method::del}) {
    const bool add = method == Method::put;
    router.add(
        method, "/api/v1/messages/{id:int}/reactions/{emoji}",
        [&messages, add](Request& req) -> Awaitable {
          auto by = *req.principal;
          std::string emoji(req.param("emoji"));
          co_await messages.react(std::move(by), req.int_param("id"), std::move(emoji), add);
          co_return Response::no_content();
        },
        RouteDoc{.summary = add ? "React with an emoji (a shortcode like thumbsup or the emoji itself, URL-encoded); "
                                  "idempotent"
                                : "Remove my reaction; idempotent",
                 .tags = {"messages"},
                 .auth = http::Auth::user,
                 .responses = {{204, add ? "Reacted" : "Removed", json::value()}},
                 .consumes = {},
                 .permissions = signed_in});
  }

  router.add(
      Method::get, "/api/v1/search",
      [&messages](Request& req) -> Awaitable {
        auto q = req.query();
        repo::SearchQuery search;
        auto text = query_param(q, "q");
        if (!text || text->find_first_not_of(" \t") == std::string::npos)
          throw query_error("q", "This field is required.");
        if (messaging::code_points(*text) > 500) throw query_error("q", "Use at most 500 characters.");
        search.text = *text;
        search.conversation_id = query_int(q, "conversation_id", {.min = 1});
        search.sender_id = query_int(q, "sender", {.min = 1});
        search.before = query_time(q, "before");
        search.after = query_time(q, "after");
        const auto offset = query_int(q, "cursor", {.min = 0, .max = 10'000}).value_or(0);
        const auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        search.offset = static_cast<int>(offset);
        search.limit = static_cast<int>(limit);
        auto by = *req.principal;
        auto listing = co_await messages.search(std::move(by), search);
        json::array results;
        for (const auto& r : listing.results) {
          results.push_back(
              json::object{{"message", message_json(r.view)}, {"snippet", r.hit.snippet}, {"rank", r.hit.rank}});
        }
        auto url = [&](std::int64_t at) {
          std::string u = "/api/v1/search?q=" + url_encode(search.text) + "&cursor=" + std::to_string(at) +
                          "&limit=" + std::to_string(limit);
          append_param(u, "conversation_id", as_text(search.conversation_id));
          append_param(u, "sender", as_text(search.sender_id));
          append_param(u, "before", search.before);
          append_param(u, "after", search.after);
          return json::value(std::move(u));
        };
        json::value next = listing.more ? url(offset + limit) : json::value(nullptr);
        json::value previous = offset > 0 ? url(std::max<std::int64_t>(0, offset - limit)) : json::value(nullptr);
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", previous}});
      },
      RouteDoc{
          .summary = "Full-text search over the messages of my conversations, best match first, with "
                     "highlighted snippets (<mark>, HTML-escaped). ?q= (words, \"phrases\", -exclusions, OR), "
                     "?conversation_id=, ?sender=, ?before=, ?after= (RFC 3339 times)",
          .tags = {"messages"},
          .auth = http::Auth::user,
          .query = query_doc::page({{.name = "q",
                                     .schema = schema::string(),
                                     .description = "Words, \"phrases\", -exclusions and OR",
                                     .required = true},
                                    query_doc::integer("conversation_id", "Only in this conversation"),
                                    query_doc::integer("sender", "Only this sender's messages"),
                                    query_doc::text("before", "Only messages before this time (RFC 3339, or a date)"),
                                    query_doc::text("after", "Only messages after this time (RFC 3339, or a date)")}),
          .responses = {{200, "A page of results", page_schema(search_result_schema())}},
          .consumes = {},
          .permissions = signed_in,
          .rate_limit = "search",
          .analytics_event = "search"});

  router.add(
      Method::get, "/api/v1/conversations/{id:int}/export",
      [&messages](Request& req) -> Awaitable {
        auto by = *req.principal;
        const auto id = req.int_param("id");
        auto producer = co_await messages.export_conversation(std::move(by), id);
        auto response = Response::stream("application/x-ndjson", std::move(producer));
        response.set_header("Content-Disposition",
                            "attachment; filename=\"conversation-" + std::to_string(id) + ".ndjson\"");
        response.set_header("Cache-Control", "no-store");
        co_return response;
      },
      RouteDoc{.summary = "Every message of the conversation as NDJSON, one JSON object per line by id (deleted "
                          "ones in place), streamed from a database cursor",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .responses = {{200, "application/x-ndjson lines", schema::string()}},
               .consumes = {},
               .produces = "application/x-ndjson",
               .permissions = signed_in});
}

}  // namespace parley
