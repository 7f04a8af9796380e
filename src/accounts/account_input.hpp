#pragma once
// The inputs of a signed-in user's account writes, read from JSON with every rule of their fields:
// a REST body as sent, or a GraphQL input with its keys in snake_case. Each reader throws one
// AppError::validation (400) listing every field error (unknown fields included: no mass
// assignment), so both APIs apply the same rules, written once here. What depends on the data
// (the current password, the password policy, a taken email, the admin scope) is the actions'.
#include "accounts/accounts.hpp"
#include "accounts/personal_tokens.hpp"
#include "db/repositories/user_repository.hpp"

#include <boost/json/value.hpp>

namespace parley::accounts {

// {display_name, email, password, current_password} (PATCH /api/v1/users/me)
ProfileChange read_profile_change(const boost::json::value& body);
// {email_notifications (all | mentions | none), timezone (an IANA name)} (PATCH /api/v1/users/me/settings)
db::repositories::SettingsUpdate read_settings_update(const boost::json::value& body);
// {name (required), scopes (required: distinct, of kTokenScopes), expires_in_days} (POST /api/v1/auth/tokens)
NewToken read_new_token(const boost::json::value& body);

}  // namespace parley::accounts
