#include "db/sqlite/connection.hpp"

#include <sqlite3.h>

#include <cctype>

#include "core/error.hpp"
#include "db/errors.hpp"

namespace parley::db::sqlite {
namespace {

// Maps an SQLite (extended) result code to the shared database errors.
AppError map_error(int extended, std::string detail) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return unique_violation(std::move(detail));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return reference_violation(std::move(detail));
    default:
      break;
  }
  // ON DELETE RESTRICT reports a plain or trigger constraint code, with the foreign-key message.
  if ((extended & 0xff) == SQLITE_CONSTRAINT && detail.find("FOREIGN KEY constraint failed") != std::string::npos) {
    return reference_violation(std::move(detail));
  }
  switch (extended & 0xff) {
    case SQLITE_CONSTRAINT:  // CHECK, NOT NULL, RAISE(ABORT) in triggers
      return constraint_violation(std::move(detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return serialization_failure(std::move(detail));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_INTERRUPT:
      return database_unavailable(std::move(detail));
    default:
      return AppError::internal(std::move(detail));
  }
}

// True when only whitespace and ';' remain after the first statement.
bool only_terminators(const char* tail, const char* end) {
  for (; tail < end; ++tail) {
    if (!std::isspace(static_cast<unsigned char>(*tail)) && *tail != ';') return false;
  }
  return true;
}

std::vector<std::optional<std::string>> read_cells(sqlite3_stmt* stmt, int count) {
  std::vector<std::optional<std::string>> cells;
  cells.reserve(static_cast<std::size_t>(count));
  for (int c = 0; c < count; ++c) {
    if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
      cells.emplace_back(std::nullopt);
    } else {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      cells.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
    }
  }
  return cells;
}

std::shared_ptr<std::vector<std::string>> column_names(sqlite3_stmt* stmt) {
  auto names = std::make_shared<std::vector<std::string>>();
  int count = sqlite3_column_count(stmt);
  for (int c = 0; c < count; ++c) names->emplace_back(sqlite3_column_name(stmt, c));
  return names;
}

// Resets a statement (cached) or finalizes it (one-off) when a call leaves, however it leaves.
struct StatementGuard {
  sqlite3_stmt* stmt;
  bool owned;
  ~StatementGuard() {
    if (owned) {
      sqlite3_finalize(stmt);
    } else {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  }
};

}  // namespace

Connection::Connection(const std::string& path, Role role, std::chrono::milliseconds busy_timeout) : role_(role) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = "sqlite open '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw database_unavailable(std::move(detail));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  try {
    if (role == Role::writer) {
      execute_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    } else {
      execute_script("PRAGMA foreign_keys=ON; PRAGMA query_only=ON;");
    }
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
}

Connection::~Connection() {
  for (auto& [name, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void Connection::fail(int rc, std::string_view what) const {
  int extended = db_ ? sqlite3_extended_errcode(db_) : rc;
  std::string detail = "sqlite " + std::string(what) + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  throw map_error(extended, std::move(detail));
}

sqlite3_stmt* Connection::prepare(Query query, bool& owned) {
  owned = query.name.empty();
  if (!owned) {
    auto it = statements_.find(std::string(query.name));
    if (it != statements_.end()) {
      if (std::string_view(sqlite3_sql(it->second)) != query.sql) {
        throw AppError::internal("query name '" + std::string(query.name) + "' is used for two different SQL texts");
      }
      return it->second;
    }
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  unsigned flags = owned ? 0 : SQLITE_PREPARE_PERSISTENT;
  int rc = sqlite3_prepare_v3(db_, query.sql.data(), static_cast<int>(query.sql.size()), flags, &stmt, &tail);
  if (rc != SQLITE_OK) fail(rc, "prepare " + std::string(query.name));
  if (stmt == nullptr) throw AppError::internal("query '" + std::string(query.name) + "' has no statement");
  if (!only_terminators(tail, query.sql.data() + query.sql.size())) {
    sqlite3_finalize(stmt);
    throw AppError::internal("query '" + std::string(query.name) +
                             "' holds several statements; use execute_script for scripts");
  }
  if (!owned) statements_.emplace(std::string(query.name), stmt);
  return stmt;
}

void Connection::bind(sqlite3_stmt* stmt, Query query, Params params) {
  if (sqlite3_bind_parameter_count(stmt) != static_cast<int>(params.size())) {
    throw AppError::internal("query '" + std::string(query.name) + "' takes " +
                             std::to_string(sqlite3_bind_parameter_count(stmt)) + " parameters, got " +
                             std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::string placeholder = "$" + std::to_string(i + 1);
    int index = sqlite3_bind_parameter_index(stmt, placeholder.c_str());
    if (index == 0) {
      throw AppError::internal("query '" + std::string(query.name) + "' does not use " + placeholder);
    }
    const Value& value = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(value)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const auto* i64 = std::get_if<std::int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, *i64);
    } else if (const auto* f64 = std::get_if<double>(&value)) {
      rc = sqlite3_bind_double(stmt, index, *f64);
    } else if (const auto* b = std::get_if<bool>(&value)) {
      rc = sqlite3_bind_int(stmt, index, *b ? 1 : 0);
    } else {
      const auto& s = std::get<std::string>(value);
      rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) fail(rc, "bind " + placeholder + " of " + std::string(query.name));
  }
}

ResultSet Connection::execute(Query query, Params params) {
  bool owned = false;
  sqlite3_stmt* stmt = prepare(query, owned);
  StatementGuard guard{stmt, owned};
  bind(stmt, query, params);
  ResultSet result;
  result.columns = column_names(stmt);
  int count = sqlite3_column_count(stmt);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      result.rows.emplace_back(result.columns.get(), read_cells(stmt, count));
    } else if (rc == SQLITE_DONE) {
      break;
    } else {
      fail(rc, "step " + std::string(query.name));
    }
  }
  if (!sqlite3_stmt_readonly(stmt)) result.affected_rows = sqlite3_changes64(db_);
  return result;
}

void Connection::execute_script(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a terminating NUL
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = "sqlite script: " + std::string(message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    throw map_error(sqlite3_extended_errcode(db_), std::move(detail));
  }
}

bool Connection::is_read_only(Query query) {
  bool owned = false;
  sqlite3_stmt* stmt = prepare(query, owned);
  StatementGuard guard{stmt, owned};
  return sqlite3_stmt_readonly(stmt) != 0;
}

bool Connection::autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

Connection::Cursor::Cursor(Connection& connection, Query query, Params params)
    : connection_(connection), query_(query), stmt_(connection.prepare(query, owned_)) {
  try {
    connection_.bind(stmt_, query, params);
  } catch (...) {
    StatementGuard{stmt_, owned_};
    throw;
  }
  columns_ = column_names(stmt_);
}

Connection::Cursor::~Cursor() { StatementGuard{stmt_, owned_}; }

std::vector<Row> Connection::Cursor::fetch(std::size_t max_rows) {
  std::vector<Row> rows;
  int count = static_cast<int>(columns_->size());
  while (!done_ && rows.size() < max_rows) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      rows.emplace_back(columns_.get(), read_cells(stmt_, count));
    } else if (rc == SQLITE_DONE) {
      done_ = true;
    } else {
      connection_.fail(rc, "step " + std::string(query_.name));
    }
  }
  return rows;
}

}  // namespace parley::db::sqlite
