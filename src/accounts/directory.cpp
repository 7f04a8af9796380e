#include "accounts/directory.hpp"

#include "core/error.hpp"

#include <algorithm>

namespace parley::accounts {

boost::asio::awaitable<VisibleUser> get_user(db::Database& db, db::repositories::UserRepository& users,
                                             http::Principal by, std::int64_t id) {
  auto user = co_await users.find_by_id(db, id);
  if (!user) throw AppError::not_found();
  const bool with_email = by.is_admin() || by.user_id == user->id;
  co_return VisibleUser{std::move(*user), with_email};
}

boost::asio::awaitable<UserPage> list_users(db::Database& db, db::repositories::UserRepository& users,
                                            http::Principal by, std::string search,
                                            std::optional<std::int64_t> after_id, int limit) {
  limit = std::clamp(limit, 1, 200);
  std::optional<std::int64_t> visible_to;
  if (by.role == "guest") visible_to = by.user_id;
  UserPage page;
  page.users = co_await users.search(db, search, after_id, limit + 1, visible_to);
  page.more = page.users.size() > static_cast<std::size_t>(limit);
  if (page.more) page.users.pop_back();
  page.with_email = by.is_admin();
  co_return page;
}

}  // namespace parley::accounts
