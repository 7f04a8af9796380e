#include "http/openapi.hpp"
#include "http/response.hpp"

#include <boost/json.hpp>

#include <string_view>
#include <vector>

namespace parley::http {
namespace {

namespace json = boost::json;

std::string openapi_path(const Route& route) {
  std::string out;
  for (const auto& seg : route.segments) {
    out += '/';
    if (seg.kind == Segment::Kind::literal) {
      out += seg.text;
    } else {
      out += '{' + seg.text + '}';
    }
  }
  return out;
}

std::string operation_id(const Route& route) {
  std::string id(method_name(route.method));
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& seg : route.segments) {
    if (seg.text.empty()) continue;
    id += '_';
    for (char c : seg.text) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return id;
}

json::object problem_schema() {
  return json::object{
      {"type", "object"},
      {"description", "RFC 9457 problem details"},
      {"required", json::array{"type", "title", "status", "detail", "code"}},
      {"properties",
       json::object{{"type", json::object{{"type", "string"}, {"format", "uri"}}},
                    {"title", json::object{{"type", "string"}}},
                    {"status", json::object{{"type", "integer"}}},
                    {"detail", json::object{{"type", "string"}}},
                    {"code", json::object{{"type", "string"}}},
                    {"instance", json::object{{"type", "string"}}},
                    {"request_id", json::object{{"type", "string"}}},
                    {"errors", json::object{{"type", "object"},
                                            {"additionalProperties",
                                             json::object{{"type", "array"}, {"items", {{"type", "string"}}}}}}}}}};
}

// The `content` of an error answer: application/problem+json with the Problem schema.
json::object problem_content() {
  return json::object{
      {"application/problem+json", json::object{{"schema", json::object{{"$ref", "#/components/schemas/Problem"}}}}}};
}

json::object problem_response(std::string_view description, bool throttled = false) {
  json::object response{{"description", description}, {"content", problem_content()}};
  if (throttled) {
    response["headers"] = json::object{
        {"Retry-After", json::object{{"description", "Seconds until a request fits"},
                                     {"schema", json::object{{"type", "integer"}}}}},
        {"RateLimit", json::object{{"description", "Requests left per scope (IETF draft, structured field)"},
                                   {"schema", json::object{{"type", "string"}}}}},
        {"RateLimit-Policy", json::object{{"description", "Each scope's burst and refill window"},
                                          {"schema", json::object{{"type", "string"}}}}}};
  }
  return response;
}

json::object problem_responses() {
  return json::object{
      {"BadRequest", problem_response("Invalid input (code validation_failed, with field errors, or bad_request)")},
      {"Unauthorized", problem_response("Not authenticated, or the credential expired or was revoked")},
      {"Forbidden", problem_response("Authenticated but not allowed (permissions, token scope, CSRF)")},
      {"NotFound", problem_response("Unknown, or not visible to the caller")},
      {"NotAcceptable", problem_response("The request's Accept excludes every media type the operation produces")},
      {"ContentTooLarge", problem_response("The body is larger than the server accepts")},
      {"UnsupportedMediaType", problem_response("The body's Content-Type is not one the operation accepts")},
      {"TooManyRequests", problem_response("Throttled (code throttled); the request had no effect", true)}};
}

// Response bodies: the serializers write every field they declare (null when there is no value), so
// every property of a response object is required, which gives generated clients non-optional
// fields and lets a validating proxy catch a field that goes missing. A schema that lists its own
// `required` (fields that are sometimes left out) keeps it.
void require_every_property(json::value& schema) {
  if (!schema.is_object()) return;
  auto& o = schema.as_object();
  if (auto* properties = o.if_contains("properties"); properties != nullptr && properties->is_object()) {
    if (!o.contains("required") && !properties->as_object().empty()) {
      json::array required;
      for (const auto& [name, _] : properties->as_object()) required.emplace_back(name);
      o["required"] = std::move(required);
    }
    for (auto& [_, property] : properties->as_object()) require_every_property(property);
  }
  if (auto* items = o.if_contains("items")) require_every_property(*items);
  if (auto* additional = o.if_contains("additionalProperties")) require_every_property(*additional);
  for (const char* key : {"anyOf", "oneOf", "allOf"}) {
    if (auto* list = o.if_contains(key); list != nullptr && list->is_array())
      for (auto& s : list->as_array()) require_every_property(s);
  }
}

// The example of `key` ("response" or "request") for `media_type` in `examples` (one operation's
// entry), or null: `<key>_by_type`'s entry for the media type when there is one, else `<key>`.
const json::value* example_of(const json::value* examples, std::string_view key, std::string_view media_type) {
  if (examples == nullptr || !examples->is_object()) return nullptr;
  const auto& entry = examples->as_object();
  if (const auto* by_type = entry.if_contains(std::string(key) + "_by_type"); by_type != nullptr && by_type->is_object())
    if (const auto* example = by_type->as_object().if_contains(media_type)) return example;
  return entry.if_contains(key);
}

json::object operation(const Route& route, const json::value* examples) {
  const auto& doc = route.doc;
  json::object op;
  op["operationId"] = operation_id(route);
  op["summary"] = doc.summary;
  json::array tags;
  for (const auto& t : doc.tags) tags.emplace_back(t);
  op["tags"] = std::move(tags);

  json::array parameters;
  for (const auto& seg : route.segments) {
    if (seg.kind == Segment::Kind::literal) continue;
    json::object schema = seg.kind == Segment::Kind::integer
                              ? json::object{{"type", "integer"}, {"minimum", 1}, {"maximum", 9007199254740991}}
                              : json::object{{"type", "string"}};
    parameters.push_back(json::object{{"name", seg.text}, {"in", "path"}, {"required", true}, {"schema", schema}});
  }
  for (const auto& q : doc.query) {
    json::object parameter{{"name", q.name}, {"in", "query"}, {"required", q.required}, {"schema", q.schema}};
    if (!q.description.empty()) parameter["description"] = q.description;
    parameters.push_back(std::move(parameter));
  }
  if (!parameters.empty()) op["parameters"] = std::move(parameters);

  if (doc.auth != Auth::none) {
    op["security"] = json::array{json::object{{"bearerAuth", json::array{}}},
                                 json::object{{"sessionCookie", json::array{}}}};
  } else {
    op["security"] = json::array{};
  }
  if (!doc.request_schema.is_null()) {
    json::object content;
    for (const auto& type : doc.consumes) {
      json::object media{{"schema", doc.request_schema}};
      if (const auto* example = example_of(examples, "request", type)) media["example"] = *example;
      content[type] = std::move(media);
    }
    op["requestBody"] = json::object{{"required", true}, {"content", std::move(content)}};
  }
  json::object responses;
  for (const auto& r : doc.responses) {
    json::object response{{"description", r.description}};
    if (!r.schema.is_null()) {
      json::value schema = r.schema;
      require_every_property(schema);
      json::object content;
      // No declared type: the handler answers with whatever type the content has (downloads).
      std::vector<std::string_view> types{doc.produces.empty() ? std::string_view("*/*") : doc.produces};
      types.insert(types.end(), doc.also_produces.begin(), doc.also_produces.end());
      for (auto type : types) {
        // A document the handler also answers as text (GraphiQL's HTML page for a browser's GET
        // /graphql) is a string in that type, whatever the JSON's schema.
        json::object media{
            {"schema", is_json_media_type(type) || type == types.front() ? schema : json::value(json::object{{"type", "string"}})}};
        // The examples are of success answers (every 2xx with a body: 200 and 201 of one operation
        // carry the same resource).
        if (r.status >= 200 && r.status < 300)
          if (const auto* example = example_of(examples, "response", type)) media["example"] = *example;
        content[type] = std::move(media);
      }
      response["content"] = std::move(content);
    } else if (r.status >= 400) {
      // An error the route documents without a schema of its own answers a problem, as every error does.
      response["content"] = problem_content();
    }
    responses[std::to_string(r.status)] = std::move(response);
  }
  // The 4xx problems an operation can answer, as references to components.responses (a status the
  // route documents itself wins).
  bool has_params = false;
  for (const auto& seg : route.segments) has_params = has_params || seg.kind != Segment::Kind::literal;
  const bool takes_body = !doc.request_schema.is_null() || doc.streamed_body;
  auto add_problem = [&responses](int status, std::string_view component) {
    auto key = std::to_string(status);
    if (!responses.contains(key))
      responses[key] = json::object{{"$ref", "#/components/responses/" + std::string(component)}};
  };
  if (takes_body || has_params || !doc.query.empty() || doc.auth != Auth::none) add_problem(400, "BadRequest");
  if (doc.auth != Auth::none) {
    add_problem(401, "Unauthorized");
    add_problem(403, "Forbidden");
  }
  if (has_params) add_problem(404, "NotFound");
  // The content-type middleware refuses an Accept that allows none of the produced types (a
  // bodiless success, 204, has nothing to negotiate).
  const bool bodiless = !doc.responses.empty() && doc.responses.front().status == 204;
  if (!doc.produces.empty() && !bodiless) add_problem(406, "NotAcceptable");
  if (takes_body) {
    add_problem(413, "ContentTooLarge");
    add_problem(415, "UnsupportedMediaType");
  }
  if (!doc.rate_limit_exempt) add_problem(429, "TooManyRequests");
  responses["default"] = json::object{{"description", "Error (RFC 9457)"}, {"content", problem_content()}};
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

json::object build_openapi(const Router& router, const ApiInfo& info) {
  json::object paths;
  for (const auto& route : router.routes()) {
    if (!route->doc.in_openapi) continue;
    auto path = openapi_path(*route);
    auto& item = paths[path];
    if (!item.is_object()) item = json::object{};
    std::string method(method_name(route->method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (method == "other") continue;
    auto key = method;
    for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    item.as_object()[method] = operation(*route, info.examples.if_contains(key + " " + path));
  }
  return json::object{
      {"openapi", "3.1.0"},
      {"info", json::object{{"title", info.title}, {"version", info.version}, {"description", info.description}}},
      {"servers", json::array{json::object{{"url", "/"}}}},
      {"paths", std::move(paths)},
      {"components",
       json::object{{"schemas", json::object{{"Problem", problem_schema()}}},
                    {"responses", problem_responses()},
                    {"securitySchemes",
                     json::object{{"bearerAuth", json::object{{"type", "http"}, {"scheme", "bearer"},
                                                               {"description", "JWT access token or pat_ token"}}},
                                  {"sessionCookie",
                                   json::object{{"type", "apiKey"},
                                                {"in", "cookie"},
                                                {"name", "__Host-parley_session"},
                                                {"description", "Browser session from POST /api/v1/auth/session; "
                                                                "unsafe methods also need X-CSRF-Token and a "
                                                                "same-origin Origin"}}}}}}},
  };
}

std::vector<std::string> undocumented_routes(const Router& router) {
  std::vector<std::string> problems;
  for (const auto& route : router.routes()) {
    std::string name = std::string(method_name(route->method)) + " " + route->path;
    if (route->doc.summary.empty()) problems.push_back(name + ": no summary");
    if (route->doc.tags.empty()) problems.push_back(name + ": no tags");
    if (route->doc.responses.empty()) problems.push_back(name + ": no documented responses");
    bool takes_body = route->method == Method::post || route->method == Method::put || route->method == Method::patch;
    if (takes_body && route->doc.request_schema.is_null() && !route->doc.consumes.empty())
      problems.push_back(name + ": accepts a body but documents no request schema");
  }
  return problems;
}

namespace schema {

json::value object(std::initializer_list<std::pair<std::string_view, json::value>> properties,
                   std::initializer_list<std::string_view> required) {
  if (properties.size() == 0) return json::object{{"type", "object"}, {"additionalProperties", true}};
  json::object props;
  for (const auto& [name, s] : properties) props[name] = s;
  json::object out{{"type", "object"}, {"properties", std::move(props)}};
  if (required.size() > 0) {
    json::array req;
    for (auto r : required) req.emplace_back(r);
    out["required"] = std::move(req);
  }
  return out;
}

json::value string(std::string_view format) {
  json::object out{{"type", "string"}};
  if (!format.empty()) out["format"] = format;
  return out;
}

json::value integer() { return json::object{{"type", "integer"}}; }
json::value number() { return json::object{{"type", "number"}}; }
json::value boolean() { return json::object{{"type", "boolean"}}; }
json::value array(json::value items) { return json::object{{"type", "array"}, {"items", std::move(items)}}; }
json::value ref(std::string_view component) {
  return json::object{{"$ref", "#/components/schemas/" + std::string(component)}};
}

json::value with_optional(json::value object_schema, std::initializer_list<std::string_view> optional) {
  auto& o = object_schema.as_object();
  json::array required;
  for (const auto& [name, _] : o.at("properties").as_object()) {
    if (std::find(optional.begin(), optional.end(), std::string_view(name)) == optional.end())
      required.emplace_back(name);
  }
  o["required"] = std::move(required);
  return object_schema;
}

json::value nullable(json::value schema) {
  if (!schema.is_object()) return schema;
  auto& o = schema.as_object();
  if (auto* type = o.if_contains("type")) {
    if (type->is_string()) {
      *type = json::array{type->as_string(), "null"};
    } else if (type->is_array()) {
      auto& types = type->as_array();
      bool has_null = false;
      for (const auto& t : types) has_null = has_null || t == "null";
      if (!has_null) types.emplace_back("null");
    }
    return schema;
  }
  return json::object{{"anyOf", json::array{std::move(schema), json::object{{"type", "null"}}}}};
}

}  // namespace schema

}  // namespace parley::http
