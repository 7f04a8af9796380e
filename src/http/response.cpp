#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace parley::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [n, v] : headers) {
    if (iequals(n, name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string_view Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

bool Response::has_header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return true;
  }
  return false;
}

Response Response::json(const boost::json::value& value, int status) {
  return Response{status, std::string(kJsonType), {}, boost::json::serialize(value)};
}

Response Response::json(const boost::json::object& object, int status) {
  return Response{status, std::string(kJsonType), {}, boost::json::serialize(object)};
}

Response Response::json_text(std::string body, int status) {
  return Response{status, std::string(kJsonType), {}, std::move(body)};
}

Response Response::stream(std::string content_type, BodyProducer producer, std::optional<std::uint64_t> length,
                          int status) {
  Response response{status, std::move(content_type), {}, {}};
  response.streamed = std::make_shared<StreamedBody>(std::move(producer), length);
  return response;
}

StreamedBody::~StreamedBody() {
  for (auto& hook : hooks_) {
    try {
      hook(outcome_);
    } catch (...) {
      // A report that failed must not take the connection down with it.
    }
  }
}

Response Response::text(std::string body, std::string content_type, int status) {
  return Response{status, std::move(content_type), {}, std::move(body)};
}

}  // namespace parley::http
