#pragma once
// IP allow/deny rules (table ip_rules; accounts/ip_rules.hpp enforces them).
//
// `cidr` is stored normalised (core/cidr.hpp): a `cidr` column on PostgreSQL, which refuses host
// bits set as the application does; text on SQLite. Times are RFC 3339 UTC with milliseconds.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct IpRuleRecord {
  std::int64_t id = 0;
  std::string cidr;    // "10.0.0.0/8", "2001:db8::/32"
  std::string action;  // allow | deny
  std::string note;
  std::optional<std::int64_t> created_by;  // nullopt once the user is deleted
  std::string created_at;
  std::optional<std::string> expires_at;  // nullopt: never
};

struct NewIpRule {
  std::string cidr;  // normalised
  std::string action;
  std::string note;
  std::optional<std::int64_t> created_by;
  std::optional<std::string> expires_at;  // RFC 3339; must be after the database's now (CHECK)
};

class IpRuleRepository {
 public:
  explicit IpRuleRepository(Dialect dialect);

  // 400 on a CHECK (action, an expiry not after created_at, a malformed block on PostgreSQL).
  boost::asio::awaitable<IpRuleRecord> create(Executor& db, const NewIpRule& rule);
  boost::asio::awaitable<std::optional<IpRuleRecord>> find(Executor& db, std::int64_t id);
  // Every rule with id < before_id (all when nullopt), expired ones included, newest first, at
  // most `limit` (clamped to 1..200).
  boost::asio::awaitable<std::vector<IpRuleRecord>> list(Executor& db, std::optional<std::int64_t> before_id,
                                                         int limit);
  // Every rule unexpired at `now` (RFC 3339), oldest first: what the enforcement loads. The table
  // is small by nature (a few hundred rows), so this reads it whole.
  boost::asio::awaitable<std::vector<IpRuleRecord>> list_unexpired(Executor& db, std::string_view now);
  // Deletes rule `id`; returns it as it was, nullopt when there was none.
  boost::asio::awaitable<std::optional<IpRuleRecord>> remove(Executor& db, std::int64_t id);

 private:
  struct Queries {
    Query create, find, list, list_unexpired, remove;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
