#pragma once
// One RESP2 reply as the server sent it. A Redis error reply ("-ERR ...") is data, not an
// exception: callers that expect some errors (EVALSHA answering NOSCRIPT) look at it; others call
// throw_if_error().
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::redis {

struct Reply {
  enum class Type {
    simple_string,  // +OK            -> text
    error,          // -ERR message   -> text
    integer,        // :42            -> integer
    bulk_string,    // $3 abc         -> text (binary-safe)
    null,           // $-1 or *-1     (a missing key, a timed-out blocking pop)
    array,          // *2 ...         -> elements
  };

  Type type = Type::null;
  std::string text;
  std::int64_t integer = 0;
  std::vector<Reply> elements;

  static Reply simple(std::string text) { return Reply{Type::simple_string, std::move(text), 0, {}}; }
  static Reply error_reply(std::string text) { return Reply{Type::error, std::move(text), 0, {}}; }
  static Reply number(std::int64_t value) { return Reply{Type::integer, {}, value, {}}; }
  static Reply bulk(std::string text) { return Reply{Type::bulk_string, std::move(text), 0, {}}; }
  static Reply nil() { return Reply{}; }
  static Reply array(std::vector<Reply> elements) { return Reply{Type::array, {}, 0, std::move(elements)}; }

  bool is_error() const noexcept { return type == Type::error; }
  bool is_null() const noexcept { return type == Type::null; }
  bool is_string() const noexcept { return type == Type::simple_string || type == Type::bulk_string; }
  bool is_array() const noexcept { return type == Type::array; }

  // Error replies start with a code word: "NOSCRIPT No matching script." -> "NOSCRIPT".
  std::string_view error_code() const noexcept;
  // Throws AppError::internal naming the server's message when this is an error reply.
  const Reply& throw_if_error() const;

  // Readable form for test failures and logs: "OK", "(error) ERR x", "(integer) 3", "nil", [...].
  std::string debug_string() const;

  friend bool operator==(const Reply&, const Reply&) = default;
};

}  // namespace parley::redis
