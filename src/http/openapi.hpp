#pragma once
#include "http/router.hpp"

#include <boost/json/object.hpp>

namespace parley::http {

struct ApiInfo {
  std::string title = "Parley API";
  std::string version;
  std::string description;
  // Examples by operation, keyed "METHOD /path/{param}" as the document spells it:
  // {"response": <success body>, "request": <request body>}, either may be absent, and either may be
  // given per media type instead ({"response_by_type": {"text/plain": "..."}}, which wins for its
  // types). build_openapi sets them as the `example` of every documented 2xx response's media types
  // and of the request body's media types.
  boost::json::object examples;
};

// The OpenAPI 3.1 document for every route in `router`, built from the route table's metadata.
boost::json::object build_openapi(const Router& router, const ApiInfo& info);

// Problems with route documentation (missing summary, tags or responses); empty when complete.
std::vector<std::string> undocumented_routes(const Router& router);

// Helpers for writing schemas in route declarations.
namespace schema {
// An object with these properties and no others; object({}) is an object of any properties (a
// free-form payload or document).
boost::json::value object(std::initializer_list<std::pair<std::string_view, boost::json::value>> properties,
                          std::initializer_list<std::string_view> required = {});
boost::json::value string(std::string_view format = {});
boost::json::value integer();
boost::json::value number();
boost::json::value boolean();
boost::json::value array(boost::json::value items);
boost::json::value ref(std::string_view component);  // {"$ref": "#/components/schemas/<component>"}
// The same schema, or null (OpenAPI 3.1: "type": ["string", "null"]; anyOf with null for a $ref).
boost::json::value nullable(boost::json::value schema);
// A response object whose properties are all present except `optional` ones (build_openapi makes
// every property of a response object required unless the schema lists `required` itself).
boost::json::value with_optional(boost::json::value object_schema, std::initializer_list<std::string_view> optional);
}  // namespace schema

}  // namespace parley::http
