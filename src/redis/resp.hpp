#pragma once
// RESP2, the Redis wire protocol: an incremental reply parser and the command encoder.
//
// Parser: bytes go in as they arrive (the socket reads straight into the parser's buffer through
// prepare()/commit(), so nothing is copied on the way in); next() hands out each complete reply.
// Progress is kept between calls: a partial array keeps the elements already parsed, so a large
// reply arriving in many reads is parsed once, not again from its start on every read. Only the
// element being parsed is looked at again when its bytes are still incomplete.
//
// Malformed input (an unknown type byte, a bad length, a missing CRLF) and input over the limits
// throw AppError (500, "redis_protocol_error"). The stream is then out of step for good: the
// parser refuses further use and the connection must be dropped.
//
// Not thread-safe: one parser per connection, used on that connection's strand.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/reply.hpp"

namespace parley::redis {

struct ParserLimits {
  std::size_t max_bulk_bytes = 512u << 20;      // Redis' own proto-max-bulk-len default
  std::size_t max_array_elements = 1u << 22;    // per array (each element costs ~100 bytes parsed)
  std::size_t max_depth = 16;                   // arrays in arrays (EXEC of SCAN replies is 3)
  std::size_t max_line_bytes = 64u << 10;       // a simple string, an error, an integer, a header
};

class Parser {
 public:
  explicit Parser(ParserLimits limits = {});

  // Writable space for at least `at_least` bytes at the end of the buffer; read into it, then
  // commit() what was read. The span is valid until the next call on the parser.
  std::span<char> prepare(std::size_t at_least);
  void commit(std::size_t bytes);
  // Copies `bytes` in (tests, and callers that already hold the bytes elsewhere).
  void feed(std::string_view bytes);

  // The next complete reply, or nullopt when more bytes are needed. Throws AppError on malformed
  // input (see above).
  std::optional<Reply> next();

  // Bytes received but not yet handed out as part of a reply.
  std::size_t buffered() const noexcept { return end_ - read_; }

 private:
  // One element at read_: a complete scalar, the header of a non-empty array, or "need more".
  struct Item {
    enum Kind { incomplete, value, array_header } kind = incomplete;
    Reply reply;
    std::size_t count = 0;  // array_header
  };
  Item parse_item();
  [[noreturn]] void fail(const std::string& detail);

  struct Frame {
    Reply array;
    std::size_t remaining = 0;
  };

  ParserLimits limits_;
  std::vector<char> buffer_;
  std::size_t read_ = 0;  // first byte not yet consumed
  std::size_t end_ = 0;   // one past the last byte received
  std::vector<Frame> stack_;
  bool failed_ = false;
};

// A command as Redis expects it from clients: an array of bulk strings. Appends to `out`.
void append_command(std::string& out, std::span<const std::string> args);
std::string encode_command(std::span<const std::string> args);

}  // namespace parley::redis
