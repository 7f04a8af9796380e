#include "db/repositories/realtime_ticket_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

constexpr DualQuery kCreate{
    "realtime_tickets.create",
    "INSERT INTO realtime_tickets (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
    "INSERT INTO realtime_tickets (token_hash, user_id, expires_at) "
    "VALUES ($1, $2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || CAST($3 AS INTEGER) || ' seconds'))"};
constexpr DualQuery kPurge{"realtime_tickets.purge_expired",
                           "DELETE FROM realtime_tickets WHERE expires_at <= " PARLEY_PG_NOW,
                           "DELETE FROM realtime_tickets WHERE expires_at <= " PARLEY_SQLITE_NOW};
// The ticket goes whatever the outcome: an expired one, or one of a deactivated user, is spent too.
constexpr DualQuery kRedeem{
    "realtime_tickets.redeem",
    "DELETE FROM realtime_tickets t WHERE token_hash = $1 RETURNING user_id, expires_at > " PARLEY_PG_NOW
    " AND EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.is_active)",
    "DELETE FROM realtime_tickets WHERE token_hash = $1 RETURNING user_id, expires_at > " PARLEY_SQLITE_NOW
    " AND EXISTS (SELECT 1 FROM users u WHERE u.id = realtime_tickets.user_id AND u.is_active)"};

}  // namespace

RealtimeTicketRepository::RealtimeTicketRepository(Dialect d)
    : create_(kCreate.pick(d)), purge_(kPurge.pick(d)), redeem_(kRedeem.pick(d)) {}

awaitable<void> RealtimeTicketRepository::create(Database& db, std::string_view token_hash, std::int64_t user_id,
                                                 std::chrono::seconds lifetime) {
  std::array<Value, 3> params{std::string(token_hash), user_id, static_cast<std::int64_t>(lifetime.count())};
  const std::array<Statement, 2> batch{Statement{purge_, {}}, Statement{create_, params}};
  co_await db.execute_all(batch);
}

awaitable<std::optional<std::int64_t>> RealtimeTicketRepository::redeem(Executor& db, std::string_view token_hash) {
  std::array<Value, 1> params{std::string(token_hash)};
  ResultSet rs = co_await db.execute(redeem_, params);
  if (rs.empty() || !rs.rows.front().boolean(1)) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

}  // namespace parley::db::repositories
