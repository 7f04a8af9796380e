#pragma once
// Times that come from the application (expiries, an explicit `now`) in the repositories' SQL
// (private to src/db/repositories; builds on sql.hpp).
//
// Such a time is bound as RFC 3339 text. PostgreSQL casts it to timestamptz. SQLite stores and
// compares times as text, which orders correctly only in one exact shape, so the text is
// normalized with strftime to "YYYY-MM-DDTHH:MM:SS.SSSZ" (offsets converted to UTC); a value SQLite
// cannot read becomes NULL, so it fails a NOT NULL column and never compares as true.
//
// A statement that takes application times is written once as a macro of (TIME, NOW, AT) and
// instantiated for both dialects with PARLEY_DUAL_AT:
//   #define PARLEY_SQL_FIND(TIME, NOW, AT) "SELECT id FROM t WHERE expires_at > " AT("$2")
//   constexpr DualQuery kFind = PARLEY_DUAL_AT("t.find", PARLEY_SQL_FIND);
#include "db/repositories/sql.hpp"

// Parameter `p` (e.g. "$2") read as a time.
#define PARLEY_PG_AT(p) "CAST(" p " AS timestamptz)"
#define PARLEY_SQLITE_AT(p) "strftime('%Y-%m-%dT%H:%M:%fZ', " p ")"
// Parameter `p` read as a time, minus `secs` (a parameter holding whole seconds).
#define PARLEY_PG_AT_MINUS_SECONDS(p, secs) "(CAST(" p " AS timestamptz) - make_interval(secs => " secs "))"
#define PARLEY_SQLITE_AT_MINUS_SECONDS(p, secs) \
  "strftime('%Y-%m-%dT%H:%M:%fZ', " p ", '-' || CAST(" secs " AS INTEGER) || ' seconds')"

// The database clock plus parameter `p` holding seconds (negative: minus; fractions allowed).
#define PARLEY_PG_NOW_PLUS(p) "(now() + make_interval(secs => CAST(" p " AS double precision)))"
#define PARLEY_SQLITE_NOW_PLUS(p) "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', " p "))"

#define PARLEY_DUAL_AT(name, sql_macro)                                    \
  ::parley::db::repositories::DualQuery {                                  \
    name, sql_macro(PARLEY_PG_TIME, PARLEY_PG_NOW, PARLEY_PG_AT),          \
        sql_macro(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW, PARLEY_SQLITE_AT) \
  }
