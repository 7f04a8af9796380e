#include "accounts/user_json.hpp"

#include "http/openapi.hpp"

namespace parley::accounts {

boost::json::object user_json(const db::repositories::User& user, bool with_email) {
  boost::json::object out{{"id", user.id},
                          {"username", user.username},
                          {"display_name", user.display_name},
                          {"role", user.role},
                          {"is_active", user.is_active},
                          {"created_at", user.created_at},
                          {"last_seen_at", user.last_seen_at ? boost::json::value(*user.last_seen_at) : nullptr}};
  if (with_email) out["email"] = user.email;
  return out;
}

boost::json::object settings_json(const db::repositories::UserSettings& settings) {
  return {{"email_notifications", settings.email_notifications}, {"timezone", settings.timezone}};
}

boost::json::value user_schema(EmailField email) {
  namespace schema = http::schema;
  auto out = schema::object({{"id", schema::integer()},
                             {"username", schema::string()},
                             {"display_name", schema::string()},
                             {"role", schema::string()},
                             {"is_active", schema::boolean()},
                             {"created_at", schema::string("date-time")},
                             {"last_seen_at", schema::nullable(schema::string("date-time"))}});
  if (email == EmailField::never) return out;
  out.as_object()["properties"].as_object()["email"] = schema::string("email");
  return email == EmailField::always ? out : schema::with_optional(std::move(out), {"email"});
}

}  // namespace parley::accounts
