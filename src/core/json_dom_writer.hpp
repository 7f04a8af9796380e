#pragma once
// JsonWriter's interface building a boost::json DOM instead of text, so one function written
// against "a writer" (e.g. messaging::write_message) serves both: REST writes the text, GraphQL
// builds the value it hands to its engine, in the engine's memory, without writing text and
// parsing it back.
//
//   JsonDomWriter w(storage, KeyCase::camel);
//   w.begin_object(); w.key("reply_count"); w.value(3); w.end_object();
//   boost::json::value v = w.release();   // {"replyCount":3}
//
// Misuse (a value where a key is due, unbalanced ends) is a programming error it does not detect,
// as with JsonWriter.
#include "core/json_dom_walk.hpp"
#include "core/json_writer.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::core {

class JsonDomWriter {
 public:
  explicit JsonDomWriter(boost::json::storage_ptr storage = {}, KeyCase keys = KeyCase::as_written)
      : root_(storage), keys_(keys) {
    open_.reserve(8);
  }

  // `expected_members` reserves room for them: the object is not moved as it grows.
  void begin_object(std::size_t expected_members = 0) {
    boost::json::value* object = place(boost::json::object(root_.storage()));
    if (expected_members > 0) object->get_object().reserve(expected_members);
    open_.push_back(object);
  }
  void end_object() { open_.pop_back(); }
  void begin_array() { open_.push_back(place(boost::json::array(root_.storage()))); }
  void end_array() { open_.pop_back(); }
  void key(std::string_view name) {
    key_.clear();
    if (keys_ == KeyCase::camel) append_camel_case(key_, name);
    else key_.assign(name);
  }

  void value(std::string_view text) { place(boost::json::string(text, root_.storage())); }
  void value(const char* text) { value(std::string_view(text)); }
  void value(std::int64_t number) { place(number); }
  void value(int number) { value(std::int64_t{number}); }
  void value(bool flag) { place(flag); }
  void value(std::nullptr_t) { place(nullptr); }
  template <typename T>
  void value(const std::optional<T>& maybe) {
    if (maybe) {
      value(*maybe);
    } else {
      value(nullptr);
    }
  }
  // JSON text (a stored payload), parsed into the document.
  void raw(std::string_view json) { place(boost::json::parse(json, root_.storage())); }
  // A DOM value, its object keys spelled as this writer spells keys.
  void dom(const boost::json::value& json) {
    walk_dom(*this, json,
             [this](const boost::json::value& scalar) { place(boost::json::value(scalar, root_.storage())); });
  }

  // The document written (null when nothing was); the writer is empty afterwards.
  boost::json::value release() {
    open_.clear();
    boost::json::value out(std::move(root_));  // keeps the storage: a move, not a copy
    root_ = boost::json::value(out.storage());
    return out;
  }

 private:
  // Puts `v` where the next value goes (the root, the end of the open array, or the pending key of
  // the open object) and returns where it now lives. Only the innermost open container grows while
  // a pointer to it is held, so the pointers on open_ stay valid.
  template <typename V>
  boost::json::value* place(V&& v) {
    if (open_.empty()) {
      root_ = boost::json::value(std::forward<V>(v), root_.storage());
      return &root_;
    }
    boost::json::value& top = *open_.back();
    if (top.is_array()) return &top.get_array().emplace_back(std::forward<V>(v));
    return &top.get_object().insert_or_assign(key_, std::forward<V>(v)).first->value();
  }

  boost::json::value root_;
  KeyCase keys_;
  std::vector<boost::json::value*> open_;
  std::string key_;
};

}  // namespace parley::core
