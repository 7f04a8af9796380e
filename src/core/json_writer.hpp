#pragma once
// JSON written straight into a string, for documents on hot paths (a page of messages, a sent
// message) where building a boost::json DOM first would copy every string once more.
//
//   JsonWriter w(out);
//   w.begin_object();
//   w.key("id"); w.value(id);
//   w.key("results"); w.begin_array(); ... w.end_array();
//   w.end_object();
//
// Commas are placed by the writer; keys and string values are escaped as RFC 8259 requires (the
// text is expected to be valid UTF-8, which every input is checked to be). Misuse (a value where
// a key is due, unbalanced ends) is a programming error the writer does not detect.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::json {
class value;
}

namespace parley::core {

// How a writer spells keys: as the code writes them (snake_case, the REST API) or in camelCase
// (GraphQL's field names) without a second pass over the document.
enum class KeyCase : std::uint8_t { as_written, camel };

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out, KeyCase keys = KeyCase::as_written) : out_(out), keys_(keys) {}

  // The argument is a capacity hint for writers that build a DOM (JsonDomWriter); unused here.
  void begin_object(std::size_t /*expected_members*/ = 0) { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view name);

  void value(std::string_view text);
  void value(const char* text) { value(std::string_view(text)); }
  void value(std::int64_t number);
  void value(int number) { value(std::int64_t{number}); }
  void value(bool flag);
  void value(std::nullptr_t);
  template <typename T>
  void value(const std::optional<T>& maybe) {
    if (maybe) {
      value(*maybe);
    } else {
      value(nullptr);
    }
  }
  // A value that is already JSON text (a stored payload), copied as it is.
  void raw(std::string_view json);
  // A DOM value, its object keys spelled as this writer spells keys.
  void dom(const boost::json::value& json);

 private:
  void separate();
  void open(char bracket);
  void close(char bracket);

  std::string& out_;
  KeyCase keys_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included, appended to `out`.
void append_json_string(std::string& out, std::string_view text);
// The same without the quotes (for writers that assemble a line themselves: the logs).
void append_json_escaped(std::string& out, std::string_view text);
// `snake` in camelCase ("reply_count" -> "replyCount"; a leading underscore is kept), appended.
void append_camel_case(std::string& out, std::string_view snake);

}  // namespace parley::core
