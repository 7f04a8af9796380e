#pragma once
// One SQLite connection: pragmas, a prepared-statement cache keyed by Query name, binding of
// `$1, $2, ...` parameters, and error mapping to AppError. Blocking; not thread-safe: exactly one
// thread uses a connection at a time (the connection pool's lease guarantees it).
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "db/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace parley::db::sqlite {

enum class Role { writer, reader };

class Connection {
 public:
  // Opens (creating if needed, for the writer) the database file and applies the pragmas: the
  // writer turns on WAL, synchronous=NORMAL and foreign_keys; readers are query_only.
  Connection(const std::string& path, Role role, std::chrono::milliseconds busy_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Role role() const noexcept { return role_; }

  // Runs one statement to completion and returns all its rows.
  ResultSet execute(Query query, Params params);
  // Runs a multi-statement script (sqlite3_exec).
  void execute_script(std::string_view sql);
  // True when the statement does not write (sqlite3_stmt_readonly); prepares and caches it.
  bool is_read_only(Query query);
  // True outside a transaction (sqlite3_get_autocommit).
  bool autocommit() const noexcept;

  // A statement being stepped in batches; holds the statement until destroyed.
  class Cursor {
   public:
    Cursor(Connection& connection, Query query, Params params);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;
    // Up to `max_rows` next rows; fewer (possibly zero) only at the end.
    std::vector<Row> fetch(std::size_t max_rows);
    bool done() const noexcept { return done_; }
    const std::shared_ptr<std::vector<std::string>>& columns() const noexcept { return columns_; }

   private:
    Connection& connection_;
    Query query_;
    sqlite3_stmt* stmt_;
    bool owned_;
    bool done_ = false;
    std::shared_ptr<std::vector<std::string>> columns_;
  };

 private:
  // Returns a reset statement for `query`; `owned` is set when the caller must finalize it
  // (one-off queries with an empty name), otherwise the cache owns it.
  sqlite3_stmt* prepare(Query query, bool& owned);
  void bind(sqlite3_stmt* stmt, Query query, Params params);
  [[noreturn]] void fail(int rc, std::string_view what) const;

  sqlite3* db_ = nullptr;
  Role role_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace parley::db::sqlite
