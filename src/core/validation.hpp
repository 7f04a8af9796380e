#pragma once
// Request-input validation: strict JSON body parsing, a reader that turns a JSON object into typed
// values while collecting DRF-style field errors, and query-string parameter helpers.
//
// Typical handler code:
//
//   boost::json::value body = parse_json_body(request.body());   // AppError 400 malformed_json
//   ObjectReader in(body);
//   auto name = in.string("username", {.required = true, .min_length = 3, .max_length = 32,
//                                      .pattern = &username_pattern_});
//   auto age = in.integer("age", {.min = 0, .max = 150});
//   in.finish();   // AppError 400 validation_failed with every field error at once
//   // from here on, required fields hold values
//
// Every function here is pure and thread-compatible; a Pattern may be shared between threads.
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace parley {

// Nesting limit of request bodies (arrays and objects).
inline constexpr std::size_t kMaxJsonDepth = 32;
// Largest integer a JSON number carries exactly in every client (2^53 - 1, JavaScript's
// Number.MAX_SAFE_INTEGER). Integer fields never accept anything beyond +-kMaxSafeInteger.
inline constexpr std::int64_t kMaxSafeInteger = 9'007'199'254'740'991;
// "No upper bound" for lengths and item counts.
inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

// Parses a request body as one strict RFC 8259 JSON text: no comments, no trailing commas,
// strings must be valid UTF-8 (raw bytes and \u escapes; unpaired surrogates are rejected),
// nesting at most kMaxJsonDepth, nothing but whitespace after the value.
// Throws AppError::bad_request(code "malformed_json"):
//   "Request body is empty."                      for an empty or whitespace-only body;
//   "Malformed JSON: <reason> at offset <n>."     otherwise (n is a byte offset into `body`).
// Duplicate object keys are accepted; the last one wins (Boost.JSON 1.81 has no option to refuse them).
boost::json::value parse_json_body(std::string_view body);

// A precompiled regular expression with the message shown when a value does not match it.
// Build patterns once (as members of the handler, or `static const` in the function) and pass
// them by pointer in StringRules: a std::regex is expensive to compile and cheap to run.
// The expression is ECMAScript and must match the whole value; it sees UTF-8 bytes, not code
// points, so keep patterns to ASCII classes. Inputs longer than kMaxInputBytes never match
// (std::regex recurses per character), so pair a pattern with a max_length.
// matches() is const and safe to call from several threads at once.
class Pattern {
 public:
  static constexpr std::size_t kMaxInputBytes = 4096;
  static constexpr std::string_view kDefaultMessage = "This value does not match the required pattern.";

  // Throws std::regex_error for an invalid expression (a programming error).
  explicit Pattern(std::string_view expression, std::string message = std::string(kDefaultMessage));

  bool matches(std::string_view text) const;
  const std::string& message() const noexcept { return message_; }

 private:
  std::regex regex_;
  std::string message_;
};

// The result of reading one field: absent, explicitly null, or a value. It reads like
// std::optional<T> (operator bool, *, ->, value(), value_or()) where "no value" covers both absent
// and null; is_null() / is_absent() tell them apart, which PATCH handlers need
// ("absent" = leave unchanged, "null" = clear). A field that failed validation is absent; its
// error is in the reader. A null is only ever returned for fields read with `.nullable = true`.
template <class T>
class Field {
 public:
  Field() = default;
  static Field null() {
    Field f;
    f.null_ = true;
    return f;
  }
  static Field of(T value) {
    Field f;
    f.value_.emplace(std::move(value));
    return f;
  }

  bool is_absent() const noexcept { return !null_ && !value_; }
  bool is_null() const noexcept { return null_; }
  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  // Throws std::bad_optional_access without a value.
  const T& value() const& { return value_.value(); }
  T& value() & { return value_.value(); }
  T&& value() && { return std::move(value_).value(); }
  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }
  T&& operator*() && { return *std::move(value_); }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  T value_or(T fallback) const& { return value_ ? *value_ : std::move(fallback); }
  T value_or(T fallback) && { return value_ ? std::move(*value_) : std::move(fallback); }
  // The value as a plain optional (null and absent both become nullopt).
  std::optional<T> to_optional() const& { return value_; }
  std::optional<T> to_optional() && { return std::move(value_); }

 private:
  std::optional<T> value_;
  bool null_ = false;
};

// Rules shared by every field kind. `required`: absence is an error ("This field is required.").
// `nullable`: JSON null is accepted and returned as Field::null(); otherwise null is an error
// ("This field may not be null.").
struct FieldRules {
  bool required = false;
  bool nullable = false;
};

// Rules for strings; lengths count Unicode code points. Checks run in this order and every
// failing check adds its message: NUL / control characters, blank, length, pattern (the pattern
// runs only on values whose length passed).
struct StringRules {
  bool required = false;
  bool nullable = false;
  bool trim = false;         // strip leading/trailing ASCII whitespace before every other check
  bool allow_blank = false;  // "" (after trim) is accepted; by default "This field may not be blank."
  std::size_t min_length = 0;
  std::size_t max_length = kNoLimit;
  const Pattern* pattern = nullptr;  // not owned; must outlive the reader call
  // NUL (U+0000) is always rejected. Other C0/C1 controls and DEL are rejected unless
  // allow_control; \t, \n and \r are always allowed except that single_line rejects \n and \r.
  bool allow_control = false;
  bool single_line = false;
};

// Rules for integers: JSON numbers with no fraction or exponent (1.0, 1e2 and "1" are refused),
// within [min, max] and never beyond +-kMaxSafeInteger.
struct IntRules {
  bool required = false;
  bool nullable = false;
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;
};

// Rules for arrays of integers. Items are checked with min/max like IntRules and may not be
// null; item errors are reported at "<field>.<index>". When the array has more than max_items
// items, its items are not examined.
struct IntListRules {
  bool required = false;
  bool nullable = false;
  std::size_t min_items = 0;
  std::size_t max_items = kNoLimit;
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;
  bool unique = false;  // duplicates are an error on the field
};

// Reads the fields of one JSON object, converting them to typed values and collecting every
// error as DRF-style field errors keyed by path ("username", "settings.timezone", "member_ids.3").
// Each read marks its field as known; finish() reports every field that no read asked for as
// "Unknown field." and throws one AppError::validation with everything collected.
//
// A reader does not own the JSON: the value passed to the constructor must outlive it and every
// nested reader. Readers are cheap handles; nested readers returned by object() share the root's
// error list. Values returned before finish() may be missing for fields that had errors: use
// them only after finish() returns. Not thread-safe (one request, one thread).
class ObjectReader {
 public:
  // A `value` that is not an object records {"non_field_errors": ["Expected a JSON object."]};
  // every read then returns an absent field without further errors.
  explicit ObjectReader(const boost::json::value& value);

  // A JSON string only ("Not a valid string." for numbers, booleans, ...).
  Field<std::string> string(std::string_view name, const StringRules& rules = {});
  // An e-mail address: leading/trailing whitespace is trimmed and the domain lower-cased.
  // Practical syntax, not full RFC 5322: one '@'; a dot-atom local part of at most 64 ASCII
  // characters; a domain of at least two dot-separated LDH labels (1-63 characters, no leading or
  // trailing '-'), at most 253 characters, with a non-numeric top-level label; total length at
  // most 254. Internationalised addresses (non-ASCII) and quoted local parts are refused.
  Field<std::string> email(std::string_view name, const FieldRules& rules = {});
  Field<std::int64_t> integer(std::string_view name, const IntRules& rules = {});
  // JSON true or false only ("Must be a valid boolean." for 0, 1, "true", ...).
  Field<bool> boolean(std::string_view name, const FieldRules& rules = {});
  // A string equal to one of `choices` (case-sensitive): "\"x\" is not a valid choice.".
  Field<std::string> enumeration(std::string_view name, std::span<const std::string_view> choices,
                                 const FieldRules& rules = {});
  Field<std::string> enumeration(std::string_view name, std::initializer_list<std::string_view> choices,
                                 const FieldRules& rules = {}) {
    return enumeration(name, std::span<const std::string_view>(choices.begin(), choices.size()), rules);
  }
  Field<std::vector<std::int64_t>> integer_list(std::string_view name, const IntListRules& rules = {});
  // A nested object, read with the returned reader; its errors and unknown fields are reported
  // under "<name>." by the root's finish(). Reading the same name twice gives the same scope.
  Field<ObjectReader> object(std::string_view name, const FieldRules& rules = {});
  // The raw value of a field for shapes the typed readers do not cover; marks the field known.
  // nullptr when absent. No rule is applied.
  const boost::json::value* raw(std::string_view name);

  // Records a custom error for `name` (relative to this reader; "non_field_errors" for
  // object-wide ones), e.g. after a cross-field check.
  void add_error(std::string_view name, std::string message);
  // Whether any error was collected so far (in this reader's root, nested readers included).
  bool has_errors() const noexcept;

  // Call once, on the root reader, after every read: adds "Unknown field." for every unread field
  // (nested objects included) and throws AppError::validation if any error was collected.
  // Throws AppError::internal when called on a nested reader (a programming error).
  void finish();

 private:
  struct Scope {
    const boost::json::object* object;  // nullptr when the root value is not an object
    std::string prefix;                 // "" for the root, "settings." for a nested object
    std::vector<bool> seen;             // per member of `object`, in its order
  };
  struct Context {
    FieldErrors errors;
    std::vector<Scope> scopes;  // [0] is the root
  };
  enum class Slot { absent, null, value };

  ObjectReader(std::shared_ptr<Context> context, std::size_t scope) noexcept
      : context_(std::move(context)), scope_(scope) {}

  // Looks `name` up, marks it seen and applies required / nullable; on Slot::value `*out` is set.
  Slot take(std::string_view name, const FieldRules& rules, const boost::json::value** out);
  std::string path(std::string_view name) const;
  void error_at(std::string path, std::string message);

  std::shared_ptr<Context> context_;
  std::size_t scope_;
};

// Query-string parameters. `raw_query` is the part of the target after '?', still
// percent-encoded ('+' means space). A malformed query string throws
// AppError::bad_request(code "malformed_query"); a parameter given more than once throws
// AppError::validation {name: ["Specify this parameter at most once."]}; every
// validation error of a query parameter has detail "The query string has invalid parameters.".

// The decoded value of parameter `name`, or nullopt when absent ("?name" alone gives "").
std::optional<std::string> query_param(std::string_view raw_query, std::string_view name);

struct QueryIntRules {
  bool required = false;
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;
};

// Parameter `name` as an integer: optional '-' and decimal digits only (no '+', spaces or
// fraction; an empty value is invalid), within [min, max] and +-kMaxSafeInteger. Throws
// AppError::validation {name: [message]} with the same messages as ObjectReader::integer.
// Apply defaults with value_or: query_int(q, "limit", {.min = 1, .max = 200}).value_or(50).
std::optional<std::int64_t> query_int(std::string_view raw_query, std::string_view name,
                                      const QueryIntRules& rules = {});

}  // namespace parley
