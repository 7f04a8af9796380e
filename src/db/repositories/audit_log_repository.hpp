#pragma once
// The audit log (table audit_log): who did what to what, when, from where. Append-only.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

// What an entry is about: target_type is one of the schema's values (user, conversation,
// message, webhook, token, ip_rule, job).
struct AuditTarget {
  std::string type;
  std::int64_t id = 0;
};

struct AuditEntry {
  std::optional<std::int64_t> actor_id;  // nullopt: the system or an anonymous caller
  std::string action;                    // "<area>.<verb>", lower case, e.g. "auth.login_failed"
  std::optional<AuditTarget> target;
  std::optional<std::string> ip;  // a valid IP address (inet on PostgreSQL)
  std::optional<std::string> request_id;
  std::string details_json = "{}";  // a JSON value; never secrets
};

struct AuditRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> actor_id;
  std::string action;
  std::optional<AuditTarget> target;
  std::optional<std::string> ip;
  std::optional<std::string> request_id;
  // The JSON as the database returns it: same value, but PostgreSQL's jsonb normalizes spacing
  // and key order, so compare it parsed.
  std::string details_json;
  std::string created_at;
};

// Unset fields do not filter.
struct AuditFilter {
  std::optional<std::int64_t> actor_id;
  std::optional<std::string> action;
  std::optional<AuditTarget> target;
};

class AuditLogRepository {
 public:
  explicit AuditLogRepository(Dialect dialect);

  // Appends an entry (created_at = the database's now). 400 on a malformed action, an unknown
  // target type, or invalid JSON.
  boost::asio::awaitable<AuditRecord> record(Executor& db, const AuditEntry& entry);
  // Entries matching `filter` with id < before_id (all when nullopt), newest first, at most
  // `limit` (clamped to 1..200). The next page's cursor is the last entry's id.
  boost::asio::awaitable<std::vector<AuditRecord>> list(Executor& db, const AuditFilter& filter,
                                                        std::optional<std::int64_t> before_id, int limit);

 private:
  struct Queries {
    Query record, list;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
