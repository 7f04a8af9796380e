#pragma once
// Small pieces the route files share: list pages, query-string choices and page URLs.
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/router.hpp"

namespace parley {

inline constexpr std::int64_t kDefaultPageLimit = 50;
inline constexpr std::int64_t kMaxPageLimit = 200;

// The OpenAPI schema of {"results": [item...], "next": url|null, "previous": url|null}.
boost::json::value page_schema(boost::json::value item);

// A 400 for query parameter `name` (DRF field-error shape).
AppError query_error(std::string name, std::string message);

// Parameter `name` must be one of `choices`; nullopt when absent.
std::optional<std::string> query_choice(std::string_view query, std::string_view name,
                                        std::initializer_list<std::string_view> choices);

// `text` percent-encoded for a query string value.
std::string url_encode(std::string_view text);

// The OpenAPI entries of the query parameters a route reads (RouteDoc::query).
namespace query_doc {
// `filters`, then `cursor` (opaque: follow `next` or `previous`) and `limit` (1 to 200, 50 by default).
std::vector<http::QueryDoc> page(std::vector<http::QueryDoc> filters = {});
// `limit` alone, for lists paged by an id (`before`, `after`).
http::QueryDoc limit();
http::QueryDoc integer(std::string name, std::string description, std::int64_t minimum = 1);
http::QueryDoc text(std::string name, std::string description);
http::QueryDoc choice(std::string name, std::initializer_list<std::string_view> choices, std::string description);
}  // namespace query_doc

// A JSON value of an optional: the value, or null.
template <typename T>
boost::json::value json_or_null(const std::optional<T>& value) {
  return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

// Appends "&name=value" (value encoded) when `value` is set: carries filters into page URLs.
void append_param(std::string& url, std::string_view name, const std::optional<std::string>& value);

}  // namespace parley
