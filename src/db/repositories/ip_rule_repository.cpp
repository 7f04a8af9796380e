#include "db/repositories/ip_rule_repository.hpp"

#include <array>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// The dialects differ in the block's type: PostgreSQL's `cidr` is read and written through text.
#define PARLEY_PG_CIDR_OUT "CAST(cidr AS text)"
#define PARLEY_SQLITE_CIDR_OUT "cidr"
#define PARLEY_PG_CIDR_IN "CAST($1 AS cidr)"
#define PARLEY_SQLITE_CIDR_IN "$1"

#define PARLEY_IP_RULE_COLUMNS(TIME, CIDR) \
  "id, " CIDR ", action, note, created_by, " TIME("created_at") ", " TIME("expires_at")

#define PARLEY_SQL_CREATE(TIME, AT, CIDR_IN, CIDR_OUT)                                 \
  "INSERT INTO ip_rules (cidr, action, note, created_by, expires_at) VALUES (" CIDR_IN \
  ", $2, $3, $4, " AT("$5") ") RETURNING " PARLEY_IP_RULE_COLUMNS(TIME, CIDR_OUT)
// The primary key.
#define PARLEY_SQL_FIND(TIME, CIDR_OUT) "SELECT " PARLEY_IP_RULE_COLUMNS(TIME, CIDR_OUT) " FROM ip_rules WHERE id = $1"
// The primary key, backwards.
#define PARLEY_SQL_LIST(TIME, CIDR_OUT) \
  "SELECT " PARLEY_IP_RULE_COLUMNS(TIME, CIDR_OUT) " FROM ip_rules WHERE id < $1 ORDER BY id DESC LIMIT $2"
// A scan of the (small) table.
#define PARLEY_SQL_LIST_UNEXPIRED(TIME, AT, CIDR_OUT) \
  "SELECT " PARLEY_IP_RULE_COLUMNS(TIME, CIDR_OUT) " FROM ip_rules "                             \
  "WHERE expires_at IS NULL OR expires_at > " AT("$1") " ORDER BY id"
#define PARLEY_SQL_REMOVE(TIME, CIDR_OUT) \
  "DELETE FROM ip_rules WHERE id = $1 RETURNING " PARLEY_IP_RULE_COLUMNS(TIME, CIDR_OUT)

#define PARLEY_IP_DUAL(name, pg, sqlite) \
  DualQuery { name, pg, sqlite }

constexpr DualQuery kCreate = PARLEY_IP_DUAL(
    "ip_rules.create", PARLEY_SQL_CREATE(PARLEY_PG_TIME, PARLEY_PG_AT, PARLEY_PG_CIDR_IN, PARLEY_PG_CIDR_OUT),
    PARLEY_SQL_CREATE(PARLEY_SQLITE_TIME, PARLEY_SQLITE_AT, PARLEY_SQLITE_CIDR_IN, PARLEY_SQLITE_CIDR_OUT));
constexpr DualQuery kFind = PARLEY_IP_DUAL("ip_rules.find", PARLEY_SQL_FIND(PARLEY_PG_TIME, PARLEY_PG_CIDR_OUT),
                                           PARLEY_SQL_FIND(PARLEY_SQLITE_TIME, PARLEY_SQLITE_CIDR_OUT));
constexpr DualQuery kList = PARLEY_IP_DUAL("ip_rules.list", PARLEY_SQL_LIST(PARLEY_PG_TIME, PARLEY_PG_CIDR_OUT),
                                           PARLEY_SQL_LIST(PARLEY_SQLITE_TIME, PARLEY_SQLITE_CIDR_OUT));
constexpr DualQuery kListUnexpired = PARLEY_IP_DUAL(
    "ip_rules.list_unexpired", PARLEY_SQL_LIST_UNEXPIRED(PARLEY_PG_TIME, PARLEY_PG_AT, PARLEY_PG_CIDR_OUT),
    PARLEY_SQL_LIST_UNEXPIRED(PARLEY_SQLITE_TIME, PARLEY_SQLITE_AT, PARLEY_SQLITE_CIDR_OUT));
constexpr DualQuery kRemove = PARLEY_IP_DUAL("ip_rules.remove", PARLEY_SQL_REMOVE(PARLEY_PG_TIME, PARLEY_PG_CIDR_OUT),
                                             PARLEY_SQL_REMOVE(PARLEY_SQLITE_TIME, PARLEY_SQLITE_CIDR_OUT));

#undef PARLEY_PG_CIDR_OUT
#undef PARLEY_SQLITE_CIDR_OUT
#undef PARLEY_PG_CIDR_IN
#undef PARLEY_SQLITE_CIDR_IN
#undef PARLEY_IP_RULE_COLUMNS
#undef PARLEY_SQL_CREATE
#undef PARLEY_SQL_FIND
#undef PARLEY_SQL_LIST
#undef PARLEY_SQL_LIST_UNEXPIRED
#undef PARLEY_SQL_REMOVE
#undef PARLEY_IP_DUAL

IpRuleRecord to_rule(const Row& r) {
  return IpRuleRecord{.id = r.int64(0),
                      .cidr = r.text(1),
                      .action = r.text(2),
                      .note = r.text(3),
                      .created_by = r.opt_int64(4),
                      .created_at = r.text(5),
                      .expires_at = r.opt_text(6)};
}

std::vector<IpRuleRecord> to_rules(const ResultSet& rs) {
  std::vector<IpRuleRecord> rules;
  rules.reserve(rs.rows.size());
  for (const Row& r : rs.rows) rules.push_back(to_rule(r));
  return rules;
}

}  // namespace

IpRuleRepository::IpRuleRepository(Dialect d)
    : q_{.create = kCreate.pick(d),
         .find = kFind.pick(d),
         .list = kList.pick(d),
         .list_unexpired = kListUnexpired.pick(d),
         .remove = kRemove.pick(d)} {}

awaitable<IpRuleRecord> IpRuleRepository::create(Executor& db, const NewIpRule& rule) {
  std::array<Value, 5> params{rule.cidr, rule.action, rule.note,
                              rule.created_by ? Value{*rule.created_by} : Value{nullptr},
                              rule.expires_at ? Value{*rule.expires_at} : Value{nullptr}};
  co_return to_rule((co_await db.execute(q_.create, params)).one());
}

awaitable<std::optional<IpRuleRecord>> IpRuleRepository::find(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(q_.find, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_rule(rs.rows.front());
}

awaitable<std::vector<IpRuleRecord>> IpRuleRepository::list(Executor& db, std::optional<std::int64_t> before_id,
                                                            int limit) {
  std::array<Value, 2> params{before_id.value_or(kNoUpperId), std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.list, params);
  co_return to_rules(rs);
}

awaitable<std::vector<IpRuleRecord>> IpRuleRepository::list_unexpired(Executor& db, std::string_view now) {
  std::array<Value, 1> params{std::string(now)};
  ResultSet rs = co_await db.execute(q_.list_unexpired, params);
  co_return to_rules(rs);
}

awaitable<std::optional<IpRuleRecord>> IpRuleRepository::remove(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(q_.remove, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_rule(rs.rows.front());
}

}  // namespace parley::db::repositories
