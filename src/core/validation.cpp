// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex compiler (std::function
// in _State, GCC bug 105562) at -O1 and above, i.e. in the Sanitize and Release builds. The
// diagnostic is attributed to libstdc++ code instantiated from this file, so it can only be
// silenced for the whole translation unit.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "core/validation.hpp"

#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/params_view.hpp>

#include <algorithm>
#include <charconv>
#include <unordered_set>
#include <variant>

namespace parley {
namespace {

namespace json = boost::json;

constexpr std::string_view kRequired = "This field is required.";
constexpr std::string_view kNotNull = "This field may not be null.";
constexpr std::string_view kNotString = "Not a valid string.";
constexpr std::string_view kNotInteger = "A valid integer is required.";
constexpr std::string_view kNotBoolean = "Must be a valid boolean.";
constexpr std::string_view kNotObject = "Expected a JSON object.";
constexpr std::string_view kBlank = "This field may not be blank.";
constexpr std::string_view kNulCharacter = "Null characters are not allowed.";
constexpr std::string_view kControlCharacter = "Control characters are not allowed.";
constexpr std::string_view kLineBreak = "Line breaks are not allowed.";
constexpr std::string_view kInvalidEmail = "Enter a valid email address.";
constexpr std::string_view kUnknownField = "Unknown field.";
constexpr std::string_view kDuplicateItems = "Duplicate values are not allowed.";
constexpr std::string_view kRepeatedParameter = "Specify this parameter at most once.";
constexpr std::string_view kNonFieldErrors = "non_field_errors";
// Longest echo of client input inside an error message, in code points.
constexpr std::size_t kMaxEchoCodePoints = 64;
constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxEmailLocalLength = 64;
constexpr std::size_t kMaxDomainLength = 253;
constexpr std::size_t kMaxLabelLength = 63;

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_ascii_whitespace(char c) { return is_json_whitespace(c) || c == '\f' || c == '\v'; }

std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && is_ascii_whitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_whitespace(s.back())) s.remove_suffix(1);
  return s;
}

// Length in bytes of the valid UTF-8 sequence starting at s[pos], or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (pos + length > s.size()) return 0;
  if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(pos + i) < 0x80 || byte(pos + i) > 0xBF) return 0;
  }
  return length;
}

// Code points in `s`, which must be valid UTF-8 (Boost.JSON guarantees it for parsed strings).
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// `s` cut to kMaxEchoCodePoints code points (with "..." when cut), for quoting input in messages.
std::string echo(std::string_view s) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == kMaxEchoCodePoints) {
      return std::string(s.substr(0, i)) + "...";
    }
  }
  return std::string(s);
}

std::string describe_parse_error(json::error_code ec, std::string_view body, std::size_t offset) {
  std::string reason;
  if (ec == json::error::incomplete) {
    reason = "unexpected end";
  } else if (ec == json::error::too_deep) {
    reason = "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
  } else if (ec == json::error::extra_data) {
    reason = "unexpected data after the JSON value";
  } else if (ec == json::error::illegal_leading_surrogate || ec == json::error::illegal_trailing_surrogate) {
    reason = "unpaired UTF-16 surrogate in \\u escape";
  } else if (offset < body.size() && static_cast<unsigned char>(body[offset]) >= 0x80 &&
             utf8_sequence_length(body, offset) == 0) {
    reason = "invalid UTF-8";
  } else {
    reason = "syntax error";
  }
  return "Malformed JSON: " + reason + " at offset " + std::to_string(offset) + ".";
}

std::string_view json_type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "unknown";
}

std::string at_most(std::int64_t bound) {
  return "Ensure this value is less than or equal to " + std::to_string(bound) + ".";
}
std::string at_least(std::int64_t bound) {
  return "Ensure this value is greater than or equal to " + std::to_string(bound) + ".";
}

// Checks an integer against rules and the safe range; returns the error message or "" when valid.
// `above_int64` marks values that did not even fit std::int64_t.
std::string check_range(std::int64_t value, bool above_int64, std::optional<std::int64_t> min,
                        std::optional<std::int64_t> max) {
  const std::int64_t high = std::min(max.value_or(kMaxSafeInteger), kMaxSafeInteger);
  const std::int64_t low = std::max(min.value_or(-kMaxSafeInteger), -kMaxSafeInteger);
  if (above_int64 || value > high) return at_most(high);
  if (value < low) return at_least(low);
  return {};
}

// A JSON value as an integer within the rules: the value, or the error message.
std::variant<std::int64_t, std::string> to_integer(const json::value& v, std::optional<std::int64_t> min,
                                                   std::optional<std::int64_t> max) {
  std::string error;
  if (v.is_int64()) {
    error = check_range(v.get_int64(), false, min, max);
    if (error.empty()) return v.get_int64();
  } else if (v.is_uint64()) {  // Boost.JSON uses uint64 only above INT64_MAX
    error = check_range(0, true, min, max);
  } else {
    error = kNotInteger;
  }
  return error;
}

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool is_valid_email_local(std::string_view local) {
  if (local.empty() || local.size() > kMaxEmailLocalLength) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  return std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || is_atext(c); });
}

bool is_valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxDomainLength) return false;
  std::size_t labels = 0;
  std::string_view last;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > kMaxLabelLength) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const bool numeric_tld = std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
  return labels >= 2 && !numeric_tld;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

json::value parse_json_body(std::string_view body) {
  if (std::all_of(body.begin(), body.end(), is_json_whitespace)) {
    throw AppError::bad_request("Request body is empty.", "malformed_json");
  }
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  json::stream_parser parser({}, options);
  json::error_code ec;
  std::size_t offset = parser.write_some(body.data(), body.size(), ec);
  if (!ec && offset < body.size()) {
    ec = json::error::extra_data;  // write_some stops after a complete value and its whitespace
  }
  if (!ec) {
    parser.finish(ec);
    if (ec) offset = body.size();
  }
  if (ec) throw AppError::bad_request(describe_parse_error(ec, body, offset), "malformed_json");
  return parser.release();
}

// ---------------------------------------------------------------------------------------------

Pattern::Pattern(std::string_view expression, std::string message)
    : regex_(expression.begin(), expression.end(), std::regex::ECMAScript | std::regex::optimize),
      message_(std::move(message)) {}

bool Pattern::matches(std::string_view text) const {
  if (text.size() > kMaxInputBytes) return false;
  return std::regex_match(text.begin(), text.end(), regex_);
}

// ---------------------------------------------------------------------------------------------

ObjectReader::ObjectReader(const json::value& value) : context_(std::make_shared<Context>()), scope_(0) {
  if (const json::object* object = value.if_object()) {
    context_->scopes.push_back(Scope{object, {}, std::vector<bool>(object->size(), false)});
  } else {
    context_->scopes.push_back(Scope{nullptr, {}, {}});
    error_at(std::string(kNonFieldErrors), std::string(kNotObject));
  }
}

std::string ObjectReader::path(std::string_view name) const {
  return context_->scopes[scope_].prefix + std::string(name);
}

void ObjectReader::error_at(std::string path, std::string message) {
  context_->errors[std::move(path)].push_back(std::move(message));
}

void ObjectReader::add_error(std::string_view name, std::string message) {
  error_at(path(name), std::move(message));
}

bool ObjectReader::has_errors() const noexcept { return !context_->errors.empty(); }

ObjectReader::Slot ObjectReader::take(std::string_view name, const FieldRules& rules, const json::value** out) {
  Scope& scope = context_->scopes[scope_];
  if (scope.object == nullptr) return Slot::absent;
  const auto it = scope.object->find(name);
  if (it == scope.object->end()) {
    if (rules.required) add_error(name, std::string(kRequired));
    return Slot::absent;
  }
  scope.seen[static_cast<std::size_t>(it - scope.object->begin())] = true;
  *out = &it->value();
  if (it->value().is_null()) {
    if (rules.nullable) return Slot::null;
    add_error(name, std::string(kNotNull));
    return Slot::absent;
  }
  return Slot::value;
}

Field<std::string> ObjectReader::string(std::string_view name, const StringRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, {rules.required, rules.nullable}, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<std::string>::null();
    case Slot::value: break;
  }
  if (!v->is_string()) {
    add_error(name, std::string(kNotString));
    return {};
  }
  std::string_view text = v->get_string();
  if (rules.trim) text = trim_ascii(text);

  bool valid = true;
  auto fail = [&](std::string message) {
    add_error(name, std::move(message));
    valid = false;
  };
  if (text.find('\0') != std::string_view::npos) fail(std::string(kNulCharacter));
  if (!rules.allow_control || rules.single_line) {
    bool control = false;
    bool line_break = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c == '\n' || c == '\r') {
        line_break = true;
      } else if (c == '\0' || c == '\t') {
        // NUL has its own message; tab is always allowed
      } else if (c < 0x20 || c == 0x7F ||
                 (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F)) {
        control = true;  // C0, DEL, C1 (U+0080..U+009F is C2 80..C2 9F)
      }
    }
    if (control && !rules.allow_control) fail(std::string(kControlCharacter));
    if (line_break && rules.single_line) fail(std::string(kLineBreak));
  }
  if (text.empty()) {
    if (!rules.allow_blank) {
      fail(std::string(kBlank));
      return {};
    }
  }
  const std::size_t length = code_points(text);
  bool length_ok = true;
  if (length > rules.max_length) {
    fail("Ensure this field has no more than " + std::to_string(rules.max_length) + " characters.");
    length_ok = false;
  } else if (length < rules.min_length) {
    fail("Ensure this field has at least " + std::to_string(rules.min_length) + " characters.");
    length_ok = false;
  }
  if (length_ok && rules.pattern != nullptr && !rules.pattern->matches(text)) fail(rules.pattern->message());
  if (!valid) return {};
  return Field<std::string>::of(std::string(text));
}

Field<std::string> ObjectReader::email(std::string_view name, const FieldRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, rules, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<std::string>::null();
    case Slot::value: break;
  }
  if (!v->is_string()) {
    add_error(name, std::string(kNotString));
    return {};
  }
  const std::string_view text = trim_ascii(v->get_string());
  if (text.empty()) {
    add_error(name, std::string(kBlank));
    return {};
  }
  const std::size_t at = text.find('@');
  if (text.size() > kMaxEmailLength || at == std::string_view::npos ||
      text.find('@', at + 1) != std::string_view::npos || !is_valid_email_local(text.substr(0, at)) ||
      !is_valid_domain(text.substr(at + 1))) {
    add_error(name, std::string(kInvalidEmail));
    return {};
  }
  std::string normalised(text);
  std::transform(normalised.begin() + static_cast<std::ptrdiff_t>(at) + 1, normalised.end(),
                 normalised.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return Field<std::string>::of(std::move(normalised));
}

Field<std::int64_t> ObjectReader::integer(std::string_view name, const IntRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, {rules.required, rules.nullable}, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<std::int64_t>::null();
    case Slot::value: break;
  }
  auto result = to_integer(*v, rules.min, rules.max);
  if (auto* message = std::get_if<std::string>(&result)) {
    add_error(name, std::move(*message));
    return {};
  }
  return Field<std::int64_t>::of(std::get<std::int64_t>(result));
}

Field<bool> ObjectReader::boolean(std::string_view name, const FieldRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, rules, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<bool>::null();
    case Slot::value: break;
  }
  if (!v->is_bool()) {
    add_error(name, std::string(kNotBoolean));
    return {};
  }
  return Field<bool>::of(v->get_bool());
}

Field<std::string> ObjectReader::enumeration(std::string_view name, std::span<const std::string_view> choices,
                                             const FieldRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, rules, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<std::string>::null();
    case Slot::value: break;
  }
  if (!v->is_string()) {
    add_error(name, std::string(kNotString));
    return {};
  }
  const std::string_view text = v->get_string();
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    add_error(name, "\"" + echo(text) + "\" is not a valid choice.");
    return {};
  }
  return Field<std::string>::of(std::string(text));
}

Field<std::vector<std::int64_t>> ObjectReader::integer_list(std::string_view name, const IntListRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, {rules.required, rules.nullable}, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<std::vector<std::int64_t>>::null();
    case Slot::value: break;
  }
  const json::array* array = v->if_array();
  if (array == nullptr) {
    add_error(name, "Expected a list of items but got type \"" + std::string(json_type_name(*v)) + "\".");
    return {};
  }
  if (array->size() > rules.max_items) {
    add_error(name, "Ensure this field has no more than " + std::to_string(rules.max_items) + " elements.");
    return {};
  }
  bool valid = true;
  if (array->size() < rules.min_items) {
    add_error(name, "Ensure this field has at least " + std::to_string(rules.min_items) + " elements.");
    valid = false;
  }
  std::vector<std::int64_t> items;
  items.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const json::value& item = (*array)[i];
    const std::string item_path = path(name) + "." + std::to_string(i);
    if (item.is_null()) {
      error_at(item_path, std::string(kNotNull));
      valid = false;
      continue;
    }
    auto result = to_integer(item, rules.min, rules.max);
    if (auto* message = std::get_if<std::string>(&result)) {
      error_at(item_path, std::move(*message));
      valid = false;
    } else {
      items.push_back(std::get<std::int64_t>(result));
    }
  }
  if (valid && rules.unique) {
    std::unordered_set<std::int64_t> distinct(items.begin(), items.end());
    if (distinct.size() != items.size()) {
      add_error(name, std::string(kDuplicateItems));
      valid = false;
    }
  }
  if (!valid) return {};
  return Field<std::vector<std::int64_t>>::of(std::move(items));
}

Field<ObjectReader> ObjectReader::object(std::string_view name, const FieldRules& rules) {
  const json::value* v = nullptr;
  switch (take(name, rules, &v)) {
    case Slot::absent: return {};
    case Slot::null: return Field<ObjectReader>::null();
    case Slot::value: break;
  }
  const json::object* nested = v->if_object();
  if (nested == nullptr) {
    add_error(name, std::string(kNotObject));
    return {};
  }
  auto& scopes = context_->scopes;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (scopes[i].object == nested) return Field<ObjectReader>::of(ObjectReader(context_, i));
  }
  scopes.push_back(Scope{nested, path(name) + ".", std::vector<bool>(nested->size(), false)});
  return Field<ObjectReader>::of(ObjectReader(context_, scopes.size() - 1));
}

const json::value* ObjectReader::raw(std::string_view name) {
  const json::value* v = nullptr;
  return take(name, {.required = false, .nullable = true}, &v) == Slot::absent ? nullptr : v;
}

void ObjectReader::finish() {
  if (scope_ != 0) throw AppError::internal("ObjectReader::finish() called on a nested reader");
  for (const Scope& scope : context_->scopes) {
    if (scope.object == nullptr) continue;
    std::size_t i = 0;
    for (const auto& member : *scope.object) {
      if (!scope.seen[i++]) error_at(scope.prefix + std::string(member.key()), std::string(kUnknownField));
    }
  }
  if (!context_->errors.empty()) throw AppError::validation(context_->errors);
}

// ---------------------------------------------------------------------------------------------

namespace {

AppError query_error(std::string_view name, std::string message) {
  return AppError::validation({{std::string(name), {std::move(message)}}}, "The query string has invalid parameters.");
}

}  // namespace

std::optional<std::string> query_param(std::string_view raw_query, std::string_view name) {
  // Boost.URL 1.81's parse_query, as linked here, reads its input with strlen: a view into a
  // request target runs on past the query (and a null view crashes). Parse a terminated copy.
  if (raw_query.empty()) return std::nullopt;
  const std::string terminated(raw_query);
  std::optional<boost::urls::params_view> params;
  try {
    params.emplace(boost::urls::string_view(terminated.data(), terminated.size()),
                   boost::urls::encoding_opts(/*space_as_plus=*/true));
  } catch (const boost::system::system_error&) {
    throw AppError::bad_request("Malformed query string.", "malformed_query");
  }
  std::optional<std::string> found;
  for (const boost::urls::param& param : *params) {
    if (param.key != name) continue;
    if (found) throw query_error(name, std::string(kRepeatedParameter));
    found = param.has_value ? param.value : std::string();
  }
  return found;
}

std::optional<std::int64_t> query_int(std::string_view raw_query, std::string_view name,
                                      const QueryIntRules& rules) {
  auto invalid = [&](std::string message) { return query_error(name, std::move(message)); };
  const std::optional<std::string> text = query_param(raw_query, name);
  if (!text) {
    if (rules.required) throw invalid(std::string(kRequired));
    return std::nullopt;
  }
  const char* first = text->data();
  const char* last = first + text->size();
  // from_chars accepts a leading '-' but not '+' or whitespace, which is the grammar wanted here.
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (text->empty() || end != last) throw invalid(std::string(kNotInteger));
  const bool positive_overflow = ec == std::errc::result_out_of_range && text->front() != '-';
  if (ec == std::errc::result_out_of_range && !positive_overflow) {
    throw invalid(at_least(std::max(rules.min.value_or(-kMaxSafeInteger), -kMaxSafeInteger)));
  }
  std::string error = check_range(value, positive_overflow, rules.min, rules.max);
  if (!error.empty()) throw invalid(std::move(error));
  return value;
}

}  // namespace parley
