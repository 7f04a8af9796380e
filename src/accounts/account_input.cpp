#include "accounts/account_input.hpp"

#include "core/validation.hpp"

#include <algorithm>
#include <iterator>

namespace parley::accounts {
namespace {

namespace json = boost::json;

// `scopes`: a non-empty array of distinct names from kTokenScopes.
std::vector<std::string> read_scopes(ObjectReader& in) {
  std::vector<std::string> scopes;
  const json::value* raw = in.raw("scopes");
  if (raw == nullptr) {
    in.add_error("scopes", "This field is required.");
    return scopes;
  }
  if (!raw->is_array() || raw->as_array().empty()) {
    in.add_error("scopes", "Give a non-empty list of scopes: read, write, admin.");
    return scopes;
  }
  for (const auto& item : raw->as_array()) {
    const auto* name = item.if_string();
    auto known = std::begin(kTokenScopes);
    auto end = std::end(kTokenScopes);
    if (name == nullptr || std::find(known, end, std::string_view(*name)) == end) {
      in.add_error("scopes", "Each scope must be one of read, write, admin.");
      return {};
    }
    if (std::find(scopes.begin(), scopes.end(), std::string_view(*name)) != scopes.end()) {
      in.add_error("scopes", "Scopes must not repeat.");
      return {};
    }
    scopes.emplace_back(*name);
  }
  return scopes;
}

}  // namespace

ProfileChange read_profile_change(const json::value& body) {
  ObjectReader in(body);
  ProfileChange change;
  change.display_name =
      in.string("display_name", {.trim = true, .allow_blank = true, .max_length = 64, .single_line = true})
          .to_optional();
  change.email = in.email("email").to_optional();
  change.password = in.string("password", {.max_length = 1024}).to_optional();
  change.current_password = in.string("current_password", {.max_length = 1024}).to_optional();
  in.finish();  // anything else (role, is_active, ...) is an unknown field: no mass assignment
  return change;
}

db::repositories::SettingsUpdate read_settings_update(const json::value& body) {
  static const Pattern kTimezone("[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}", "Use an IANA time zone name.");
  ObjectReader in(body);
  db::repositories::SettingsUpdate update;
  update.email_notifications = in.enumeration("email_notifications", {"all", "mentions", "none"}).to_optional();
  update.timezone = in.string("timezone", {.max_length = 64, .pattern = &kTimezone}).to_optional();
  in.finish();
  return update;
}

NewToken read_new_token(const json::value& body) {
  ObjectReader in(body);
  NewToken token;
  auto name = in.string("name", {.required = true, .trim = true, .min_length = 1, .max_length = 100, .single_line = true});
  token.scopes = read_scopes(in);
  token.expires_in_days =
      in.integer("expires_in_days", {.nullable = true, .min = 1, .max = kMaxTokenLifetimeDays}).to_optional();
  in.finish();
  token.name = *name;
  return token;
}

}  // namespace parley::accounts
