#pragma once
// The user directory's reads with their rules, for every API (REST's GET /api/v1/users and
// /api/v1/users/{id}, GraphQL's `user` and `users`): who may see a user's email, and which users a
// guest may list. Reads only; no transaction. Thread-safe: no state.
#include "db/database.hpp"
#include "db/repositories/user_repository.hpp"
#include "http/request.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::accounts {

struct VisibleUser {
  db::repositories::User user;
  bool with_email = false;  // show `email`: the user themself, or an admin asks
};

struct UserPage {
  std::vector<db::repositories::User> users;  // ascending id
  bool more = false;                           // a next page exists (after users.back().id)
  bool with_email = false;                     // show emails: an admin asks
};

// Any user by id, deactivated ones included, as `by` may see them; 404 when there is none.
boost::asio::awaitable<VisibleUser> get_user(db::Database& db, db::repositories::UserRepository& users,
                                             http::Principal by, std::int64_t id);

// The directory: users whose username, display name or email contains `search` (any case; empty:
// all), by id after `after_id`, at most `limit` (1 to 200). A guest sees only the people they
// share a conversation with (and themself).
boost::asio::awaitable<UserPage> list_users(db::Database& db, db::repositories::UserRepository& users,
                                            http::Principal by, std::string search,
                                            std::optional<std::int64_t> after_id, int limit);

}  // namespace parley::accounts
