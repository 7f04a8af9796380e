#pragma once
// An HTTP response as handlers and middleware build it. The server serializes it itself
// (http/serialize.cpp), so nothing here pulls in Beast.
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

struct Response {
  int status = 200;
  std::string content_type;  // empty = no Content-Type (e.g. 204)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void set_header(std::string name, std::string value);
  // Returns the value of the first header named `name` (ASCII case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;

  static Response json(const boost::json::value& value, int status = 200);
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8", int status = 200);
  static Response no_content() { return Response{204, {}, {}, {}}; }
};

inline constexpr std::string_view kJsonType = "application/json; charset=utf-8";
inline constexpr std::string_view kProblemType = "application/problem+json";

bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace parley::http
