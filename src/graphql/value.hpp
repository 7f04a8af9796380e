#pragma once
// Value: what a resolver returns and what the next level's resolvers receive as their parent.
// It is one of: null; a JSON value (a leaf for scalars and enums, an object whose members the
// default resolver reads, an array for lists); an opaque object "source" of the application's own
// type (std::any, e.g. a shared_ptr<const Message>), optionally naming its GraphQL object type so
// interfaces and unions resolve without a type resolver; or a list of Values.
#include <boost/json.hpp>

#include <any>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::graphql {

class Value {
 public:
  enum class Kind : std::uint8_t { Null, Json, Object, List };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(const Value&) = default;
  Value(Value&&) noexcept = default;
  Value& operator=(const Value&) = default;
  // A move keeps the JSON's storage: boost::json's move assignment would copy the JSON into the
  // target's storage (a whole page a resolver built in the response's buffer, copied to the heap).
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      this->~Value();
      ::new (static_cast<void*>(this)) Value(std::move(other));
    }
    return *this;
  }
  ~Value() = default;
  Value(boost::json::value json) : kind_(json.is_null() ? Kind::Null : Kind::Json), json_(std::move(json)) {}
  Value(boost::json::object json) : Value(boost::json::value(std::move(json))) {}
  Value(boost::json::array json) : Value(boost::json::value(std::move(json))) {}
  Value(boost::json::string json) : Value(boost::json::value(std::move(json))) {}
  Value(const char* text) : Value(boost::json::value(text)) {}
  Value(std::string_view text) : Value(boost::json::value(text)) {}
  Value(const std::string& text) : Value(boost::json::value(text)) {}
  Value(bool b) : Value(boost::json::value(b)) {}
  Value(int n) : Value(boost::json::value(n)) {}
  Value(std::int64_t n) : Value(boost::json::value(n)) {}
  Value(std::uint64_t n) : Value(boost::json::value(n)) {}
  Value(double d) : Value(boost::json::value(d)) {}

  // An application object; `type_name` (optional) is its GraphQL object type.
  static Value object(std::any source, std::string type_name = {}) {
    Value v;
    v.kind_ = Kind::Object;
    v.source_ = std::move(source);
    v.type_name_ = std::move(type_name);
    return v;
  }
  // A view of JSON owned by something that outlives this Value (no copy). The executor uses it for
  // members of a JSON parent and items of a JSON list, which live as long as their children run;
  // a resolver returning JSON it owns must return it by value instead.
  static Value borrow(const boost::json::value& json) {
    Value v;
    if (json.is_null()) return v;
    v.kind_ = Kind::Json;
    v.ref_ = &json;
    return v;
  }
  static Value list(std::vector<Value> items) {
    Value v;
    v.kind_ = Kind::List;
    v.items_ = std::move(items);
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  // The JSON value (null unless kind() is Json).
  const boost::json::value& json() const { return ref_ ? *ref_ : json_; }
  const std::any& source() const { return source_; }
  const std::vector<Value>& items() const { return items_; }
  const std::string& type_name() const { return type_name_; }
  Value& with_type_name(std::string name) & {
    type_name_ = std::move(name);
    return *this;
  }
  Value&& with_type_name(std::string name) && {
    type_name_ = std::move(name);
    return std::move(*this);
  }

  // The application object as T, or nullptr when this is not an object source holding a T.
  template <typename T>
  const T* as() const {
    return kind_ == Kind::Object ? std::any_cast<T>(&source_) : nullptr;
  }
  // Like as(), but throws std::logic_error when the parent has another type: a schema wiring bug.
  template <typename T>
  const T& get() const {
    if (const T* p = as<T>()) return *p;
    throw std::logic_error("graphql::Value does not hold the requested source type");
  }

 private:
  Kind kind_ = Kind::Null;
  boost::json::value json_;
  const boost::json::value* ref_ = nullptr;  // set by borrow(): json() reads it instead of json_
  std::any source_;
  std::string type_name_;
  std::vector<Value> items_;
};

}  // namespace parley::graphql
