#include "app/route_helpers.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

#include "core/validation.hpp"
#include "http/openapi.hpp"

namespace parley {

namespace schema = http::schema;

boost::json::value page_schema(boost::json::value item) {
  return schema::object(
      {{"results", schema::array(std::move(item))}, {"next", schema::nullable(schema::string())}, {"previous", schema::nullable(schema::string())}});
}

namespace query_doc {

std::vector<http::QueryDoc> page(std::vector<http::QueryDoc> filters) {
  filters.push_back({.name = "cursor",
                     .schema = schema::string(),
                     .description = "Where the page starts: opaque, taken from `next` or `previous`"});
  filters.push_back(limit());
  return filters;
}

http::QueryDoc limit() {
  return {.name = "limit",
          .schema =
              boost::json::object{
                  {"type", "integer"}, {"minimum", 1}, {"maximum", kMaxPageLimit}, {"default", kDefaultPageLimit}},
          .description = "Items per page"};
}

http::QueryDoc integer(std::string name, std::string description, std::int64_t minimum) {
  return {.name = std::move(name),
          .schema = boost::json::object{{"type", "integer"}, {"minimum", minimum}, {"maximum", kMaxSafeInteger}},
          .description = std::move(description)};
}

http::QueryDoc text(std::string name, std::string description) {
  return {.name = std::move(name), .schema = schema::string(), .description = std::move(description)};
}

http::QueryDoc choice(std::string name, std::initializer_list<std::string_view> choices, std::string description) {
  boost::json::array values;
  for (auto c : choices) values.emplace_back(c);
  return {.name = std::move(name),
          .schema = boost::json::object{{"type", "string"}, {"enum", std::move(values)}},
          .description = std::move(description)};
}

}  // namespace query_doc

AppError query_error(std::string name, std::string message) {
  return AppError::validation({{std::move(name), {std::move(message)}}}, "The query string has invalid parameters.");
}

std::optional<std::string> query_choice(std::string_view query, std::string_view name,
                                        std::initializer_list<std::string_view> choices) {
  auto value = query_param(query, name);
  if (value && std::find(choices.begin(), choices.end(), *value) == choices.end())
    throw query_error(std::string(name), "\"" + *value + "\" is not a valid choice.");
  return value;
}

std::string url_encode(std::string_view text) { return boost::urls::encode(text, boost::urls::unreserved_chars); }

void append_param(std::string& url, std::string_view name, const std::optional<std::string>& value) {
  if (value) url += "&" + std::string(name) + "=" + url_encode(*value);
}

}  // namespace parley
