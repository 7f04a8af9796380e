#include "http/openapi.hpp"

#include <boost/json.hpp>

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

json::object operation(const Route& route) {
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
  if (!parameters.empty()) op["parameters"] = std::move(parameters);

  if (doc.auth != Auth::none) {
    op["security"] = json::array{json::object{{"bearerAuth", json::array{}}},
                                 json::object{{"sessionCookie", json::array{}}}};
  } else {
    op["security"] = json::array{};
  }
  if (!doc.request_schema.is_null()) {
    json::object content;
    for (const auto& type : doc.consumes) content[type] = json::object{{"schema", doc.request_schema}};
    op["requestBody"] = json::object{{"required", true}, {"content", std::move(content)}};
  }
  json::object responses;
  for (const auto& r : doc.responses) {
    json::object response{{"description", r.description}};
    if (!r.schema.is_null()) {
      response["content"] = json::object{{doc.produces.empty() ? "application/json" : doc.produces,
                                          json::object{{"schema", r.schema}}}};
    }
    responses[std::to_string(r.status)] = std::move(response);
  }
  auto problem = json::object{
      {"description", "Error (RFC 9457)"},
      {"content", json::object{{"application/problem+json",
                                json::object{{"schema", json::object{{"$ref", "#/components/schemas/Problem"}}}}}}}};
  responses["default"] = problem;
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

json::object build_openapi(const Router& router, const ApiInfo& info) {
  json::object paths;
  for (const auto& route : router.routes()) {
    auto path = openapi_path(*route);
    auto& item = paths[path];
    if (!item.is_object()) item = json::object{};
    std::string method(method_name(route->method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (method == "other") continue;
    item.as_object()[method] = operation(*route);
  }
  return json::object{
      {"openapi", "3.1.0"},
      {"info", json::object{{"title", info.title}, {"version", info.version}, {"description", info.description}}},
      {"servers", json::array{json::object{{"url", "/"}}}},
      {"paths", std::move(paths)},
      {"components",
       json::object{{"schemas", json::object{{"Problem", problem_schema()}}},
                    {"securitySchemes",
                     json::object{{"bearerAuth", json::object{{"type", "http"}, {"scheme", "bearer"},
                                                               {"description", "JWT access token or pat_ token"}}},
                                  {"sessionCookie", json::object{{"type", "apiKey"}, {"in", "cookie"},
                                                                 {"name", "__Host-parley_session"}}}}}}},
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

}  // namespace schema

}  // namespace parley::http
