#pragma once
// Shared pieces of the repositories' SQL (private to src/db/repositories).
//
// Every statement is a string literal with `$n` placeholders. Where PostgreSQL and SQLite must
// differ, a repository writes both texts next to each other as a DualQuery and picks one by
// Dialect once, in its constructor. Statements that are the same on both are plain Query values.
//
// Times leave the database as RFC 3339 UTC text with milliseconds ("2026-11-23T23:51:00.123Z") on
// both dialects: SQLite stores exactly that text; PostgreSQL formats its timestamptz columns with
// PARLEY_PG_TIME in the SELECT list. New times come from the database clock (now() on PostgreSQL,
// PARLEY_SQLITE_NOW on SQLite), never from the application.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "db/database.hpp"

// `col` (a string literal naming a timestamptz expression) formatted as RFC 3339 UTC with ms.
#define PARLEY_PG_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
// SQLite stores times in the wire format already.
#define PARLEY_SQLITE_TIME(col) col
// The current time: the transaction's timestamp on PostgreSQL; SQLite's stored format (the
// schema's column default).
#define PARLEY_PG_NOW "now()"
#define PARLEY_SQLITE_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
// A statement that differs between dialects only in time formatting and the clock is written once
// as a macro taking (TIME, NOW) and instantiated for both:
//   #define PARLEY_SQL_FIND(TIME, NOW) "SELECT id, " TIME("created_at") " FROM t WHERE id = $1"
//   constexpr DualQuery kFind{"t.find", PARLEY_SQL_FIND(PARLEY_PG_TIME, PARLEY_PG_NOW),
//                             PARLEY_SQL_FIND(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW)};
#define PARLEY_DUAL(name, sql_macro) \
  ::parley::db::repositories::DualQuery {                                                          \
    name, sql_macro(PARLEY_PG_TIME, PARLEY_PG_NOW), sql_macro(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW) \
  }

namespace parley::db::repositories {

// The same statement written for each dialect.
struct DualQuery {
  std::string_view name;
  std::string_view postgres;
  std::string_view sqlite;

  constexpr Query pick(Dialect dialect) const noexcept {
    return Query{name, dialect == Dialect::postgres ? postgres : sqlite};
  }
};

// Open cursor bounds: ids are positive, so 0 and the largest int64 mean "from the start/end".
inline constexpr std::int64_t kNoLowerId = 0;
inline constexpr std::int64_t kNoUpperId = std::numeric_limits<std::int64_t>::max();

// A LIKE pattern matching `text` anywhere: %, _ and \ in it are escaped with '\' (use ESCAPE '\').
inline std::string contains_pattern(std::string_view text) {
  std::string pattern;
  pattern.reserve(text.size() + 2);
  pattern.push_back('%');
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('%');
  return pattern;
}

// ASCII lower-casing (usernames are ASCII by the schema's CHECK; emails are compared lower-cased).
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A list of ids bound as ONE parameter, so a statement's text (and its prepared plan) does not
// depend on the list's length: a PostgreSQL array literal ("{1,2}", read with
// `= ANY (CAST($n AS bigint[]))`) or a JSON array ("[1,2]", read with `IN (SELECT value FROM
// json_each($n))` on SQLite).
inline std::string id_list_param(Dialect dialect, std::span<const std::int64_t> ids) {
  std::string list(1, dialect == Dialect::postgres ? '{' : '[');
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) list.push_back(',');
    list += std::to_string(ids[i]);
  }
  list.push_back(dialect == Dialect::postgres ? '}' : ']');
  return list;
}

// Clamps a page size to [1, max].
inline int clamp_limit(int limit, int max = 200) { return limit < 1 ? 1 : (limit > max ? max : limit); }

}  // namespace parley::db::repositories
