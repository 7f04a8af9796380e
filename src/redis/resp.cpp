#include "redis/resp.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "core/error.hpp"

namespace parley::redis {
namespace {

// Strict RESP integer: an optional '-' and at least one digit, nothing else, within int64.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text.empty() || text == "-" || text.front() == '+') return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string printable(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

}  // namespace

Parser::Parser(ParserLimits limits) : limits_(limits) {}

std::span<char> Parser::prepare(std::size_t at_least) {
  if (read_ > 0 && (read_ == end_ || read_ >= buffer_.size() / 2)) {
    // Move the unconsumed tail to the front instead of growing: bounded by what one reply needs.
    std::memmove(buffer_.data(), buffer_.data() + read_, end_ - read_);
    end_ -= read_;
    read_ = 0;
  }
  if (buffer_.size() - end_ < at_least) buffer_.resize(std::max(end_ + at_least, buffer_.size() * 2));
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void Parser::commit(std::size_t bytes) { end_ = std::min(end_ + bytes, buffer_.size()); }

void Parser::feed(std::string_view bytes) {
  if (bytes.empty()) return;  // (memcpy from an empty view's null pointer is undefined)
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

void Parser::fail(const std::string& detail) {
  failed_ = true;
  throw AppError(500, "redis_protocol_error", "Internal server error", "An unexpected error occurred.",
                 "redis protocol error: " + detail);
}

Parser::Item Parser::parse_item() {
  const char* const base = buffer_.data();
  const std::size_t available = end_ - read_;
  if (available == 0) return {};
  // The line: type byte, text, CRLF. Look no further than a line may be long.
  const std::size_t scan = std::min(available, limits_.max_line_bytes + 3);
  const char* line = base + read_;
  const auto* cr = static_cast<const char*>(std::memchr(line, '\r', scan));
  if (cr == nullptr) {
    if (available > limits_.max_line_bytes + 2) fail("a line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
    if (std::memchr(line, '\n', scan) != nullptr) fail("a line ends in LF without CR");
    return {};
  }
  const std::size_t cr_at = static_cast<std::size_t>(cr - line);
  if (cr_at + 1 >= available) return {};  // the LF has not arrived yet
  if (cr[1] != '\n') fail("a CR not followed by LF");
  if (cr_at == 0) fail("a line without a type byte");
  const std::string_view text(line + 1, cr_at - 1);
  if (text.find('\n') != std::string_view::npos) fail("a line holds a bare LF");
  const std::size_t after_line = read_ + cr_at + 2;

  Item item;
  switch (line[0]) {
    case '+':
      item.kind = Item::value;
      item.reply = Reply::simple(std::string(text));
      break;
    case '-':
      item.kind = Item::value;
      item.reply = Reply::error_reply(std::string(text));
      break;
    case ':': {
      auto value = parse_integer(text);
      if (!value) fail("an invalid integer '" + std::string(text.substr(0, 32)) + "'");
      item.kind = Item::value;
      item.reply = Reply::number(*value);
      break;
    }
    case '$': {
      auto length = parse_integer(text);
      if (!length || *length < -1) fail("an invalid bulk string length '" + std::string(text.substr(0, 32)) + "'");
      if (*length == -1) {
        item.kind = Item::value;
        item.reply = Reply::nil();
        break;
      }
      const auto size = static_cast<std::uint64_t>(*length);
      if (size > limits_.max_bulk_bytes) {
        fail("a bulk string of " + std::to_string(size) + " bytes (limit " + std::to_string(limits_.max_bulk_bytes) + ")");
      }
      if (end_ - after_line < size + 2) return {};
      const char* payload = base + after_line;
      if (payload[size] != '\r' || payload[size + 1] != '\n') fail("a bulk string not followed by CRLF");
      item.kind = Item::value;
      item.reply = Reply::bulk(std::string(payload, size));
      read_ = after_line + size + 2;
      return item;
    }
    case '*': {
      auto count = parse_integer(text);
      if (!count || *count < -1) fail("an invalid array length '" + std::string(text.substr(0, 32)) + "'");
      if (*count == -1) {
        item.kind = Item::value;
        item.reply = Reply::nil();
        break;
      }
      const auto size = static_cast<std::uint64_t>(*count);
      if (size > limits_.max_array_elements) {
        fail("an array of " + std::to_string(size) + " elements (limit " + std::to_string(limits_.max_array_elements) + ")");
      }
      if (size == 0) {
        item.kind = Item::value;
        item.reply = Reply::array({});
      } else {
        item.kind = Item::array_header;
        item.count = size;
      }
      break;
    }
    default:
      fail("unexpected type byte " + printable(line[0]));
  }
  read_ = after_line;
  return item;
}

std::optional<Reply> Parser::next() {
  if (failed_) fail("the parser already failed on earlier input");
  for (;;) {
    Item item = parse_item();
    if (item.kind == Item::incomplete) return std::nullopt;
    if (item.kind == Item::array_header) {
      if (stack_.size() + 1 > limits_.max_depth) fail("arrays nested deeper than " + std::to_string(limits_.max_depth));
      Frame frame{Reply::array({}), item.count};
      // Reserve up front only what the bytes already received could hold (>= 4 bytes per
      // element): a header claiming millions of elements does not allocate them before they come.
      frame.array.elements.reserve(std::min(item.count, buffered() / 4 + 1));
      stack_.push_back(std::move(frame));
      continue;
    }
    Reply value = std::move(item.reply);
    for (;;) {
      if (stack_.empty()) return value;
      Frame& top = stack_.back();
      top.array.elements.push_back(std::move(value));
      if (--top.remaining > 0) break;
      value = std::move(top.array);
      stack_.pop_back();
    }
  }
}

void append_command(std::string& out, std::span<const std::string> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const auto& arg : args) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
}

std::string encode_command(std::span<const std::string> args) {
  std::string out;
  append_command(out, args);
  return out;
}

}  // namespace parley::redis
