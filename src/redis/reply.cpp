#include "redis/reply.hpp"

#include "core/error.hpp"

namespace parley::redis {

std::string_view Reply::error_code() const noexcept {
  if (type != Type::error) return {};
  std::string_view view = text;
  return view.substr(0, view.find(' '));
}

const Reply& Reply::throw_if_error() const {
  if (is_error()) throw AppError::internal("redis: " + text);
  return *this;
}

std::string Reply::debug_string() const {
  switch (type) {
    case Type::simple_string:
      return text;
    case Type::error:
      return "(error) " + text;
    case Type::integer:
      return "(integer) " + std::to_string(integer);
    case Type::bulk_string:
      return '"' + text + '"';
    case Type::null:
      return "nil";
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace parley::redis
