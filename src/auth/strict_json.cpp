#include "auth/strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <vector>

namespace parley::auth {
namespace {

namespace json = boost::json;

// A basic_parser handler that only looks for a member name repeated within one object.
class DuplicateKeyCheck {
 public:
  static constexpr std::size_t max_array_size = 4096;
  static constexpr std::size_t max_object_size = 1024;
  static constexpr std::size_t max_string_size = 64 * 1024;
  static constexpr std::size_t max_key_size = 256;

  bool duplicate() const noexcept { return duplicate_; }
  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    objects_.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    auto& keys = objects_.back();
    if (std::find(keys.begin(), keys.end(), key_) != keys.end()) {
      duplicate_ = true;
      ec = json::error::syntax;
      return false;
    }
    keys.push_back(std::move(key_));
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::vector<std::vector<std::string>> objects_;
  std::string key_;
  bool duplicate_ = false;
};

}  // namespace

std::optional<json::object> parse_strict_object(std::string_view text, int max_depth, std::string& reason) {
  json::parse_options options;
  options.max_depth = static_cast<std::size_t>(max_depth);
  {
    json::basic_parser<DuplicateKeyCheck> check(options);
    json::error_code ec;
    const std::size_t used = check.write_some(false, text.data(), text.size(), ec);
    if (check.handler().duplicate()) {
      reason = "has a duplicate member";
      return std::nullopt;
    }
    if (ec || used != text.size()) {
      reason = "is not valid JSON";
      return std::nullopt;
    }
  }
  json::error_code ec;
  json::value value = json::parse(text, ec, json::storage_ptr(), options);
  if (ec) {
    reason = "is not valid JSON";
    return std::nullopt;
  }
  if (!value.is_object()) {
    reason = "is not a JSON object";
    return std::nullopt;
  }
  return std::move(value.as_object());
}

}  // namespace parley::auth
