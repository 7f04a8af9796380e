#pragma once
#include "db/repositories/user_repository.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace parley::accounts {

// docs/api.md's User: {id, username, display_name, role, is_active, created_at, last_seen_at}, plus
// `email` when `with_email` (the user themself, or an admin).
boost::json::object user_json(const db::repositories::User& user, bool with_email);
boost::json::object settings_json(const db::repositories::UserSettings& settings);
// Whether user_json's output carries `email`: always (the caller's own record, the admin
// endpoints), when the caller is that user or an admin (the directory), or never (member lists).
enum class EmailField { always, self_or_admin, never };
// The OpenAPI schema of user_json's output.
boost::json::value user_schema(EmailField email);

}  // namespace parley::accounts
