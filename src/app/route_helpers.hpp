#pragma once
// Small pieces the route files share: list pages, query-string choices and page URLs.
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

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

// A JSON value of an optional: the value, or null.
template <typename T>
boost::json::value json_or_null(const std::optional<T>& value) {
  return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

// Appends "&name=value" (value encoded) when `value` is set: carries filters into page URLs.
void append_param(std::string& url, std::string_view name, const std::optional<std::string>& value);

}  // namespace parley
