#include "core/json_writer.hpp"

#include "core/json_dom_walk.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <cstring>

namespace parley::core {
namespace {

// True when one of the 8 bytes of `word` must be escaped: below 0x20, '"' or '\\'. Bytes of 0x80
// and above (UTF-8) never need it. The usual SWAR tests: a byte b is below n when (b - n) borrows
// into its high bit while b's own high bit was clear; a byte equals c when (b ^ c) is below 1.
bool any_to_escape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t control = (word - kOnes * 0x20) & ~word & kHigh;
  const std::uint64_t quote_bits = word ^ (kOnes * '"');
  const std::uint64_t quote = (quote_bits - kOnes) & ~quote_bits & kHigh;
  const std::uint64_t backslash_bits = word ^ (kOnes * '\\');
  const std::uint64_t backslash = (backslash_bits - kOnes) & ~backslash_bits & kHigh;
  return (control | quote | backslash) != 0;
}

void append_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  append_json_escaped(out, text);
  out.push_back('"');
}

void append_json_escaped(std::string& out, std::string_view text) {
  std::size_t clean_from = 0;  // start of the run not yet copied
  std::size_t i = 0;
  while (i < text.size()) {
    // Words of 8 bytes that need nothing are skipped whole; a word that does is looked at bytewise.
    if (i + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if (!any_to_escape(word)) {
        i += 8;
        continue;
      }
    }
    const std::size_t stop = std::min(text.size(), i + 8);
    for (; i < stop; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out.append(text, clean_from, i - clean_from);
      clean_from = i + 1;
      append_escape(out, c);
    }
  }
  out.append(text, clean_from, text.size() - clean_from);
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (first_.back()) {
    first_.back() = false;
  } else {
    out_.push_back(',');
  }
}

void JsonWriter::open(char bracket) {
  separate();
  out_.push_back(bracket);
  first_.push_back(true);
}

void JsonWriter::close(char bracket) {
  out_.push_back(bracket);
  first_.pop_back();
}

void append_camel_case(std::string& out, std::string_view snake) {
  const std::size_t start = out.size();
  bool upper = false;
  for (char c : snake) {
    if (c == '_' && out.size() > start) {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
}

void JsonWriter::key(std::string_view name) {
  separate();
  if (keys_ == KeyCase::camel) {
    std::string camel;  // keys are short: within the small-string buffer
    append_camel_case(camel, name);
    append_json_string(out_, camel);
  } else {
    append_json_string(out_, name);
  }
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::value(std::string_view text) {
  separate();
  append_json_string(out_, text);
}

void JsonWriter::value(std::int64_t number) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
  out_.append(buf, end);
}

void JsonWriter::value(bool flag) {
  separate();
  out_ += flag ? "true" : "false";
}

void JsonWriter::value(std::nullptr_t) {
  separate();
  out_ += "null";
}

void JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
}

void JsonWriter::dom(const boost::json::value& json) {
  walk_dom(*this, json, [this](const boost::json::value& scalar) {
    switch (scalar.kind()) {
      case boost::json::kind::string: value(std::string_view(scalar.get_string())); break;
      case boost::json::kind::int64: value(scalar.get_int64()); break;
      case boost::json::kind::bool_: value(scalar.get_bool()); break;
      case boost::json::kind::null: value(nullptr); break;
      default: raw(boost::json::serialize(scalar));  // uint64, double
    }
  });
}

}  // namespace parley::core
