#pragma once
// Schema migrations: numbered SQL files per dialect (migrations/postgres/0001_initial.sql,
// migrations/sqlite/0001_initial.sql, ...), applied in version order, each in its own
// transaction together with its row in `schema_migrations(version, name, checksum, applied_at)`.
//
// Safe with many replicas migrating at once: on PostgreSQL every migration transaction first takes
// a transaction-scoped advisory lock (pg_advisory_xact_lock) and re-checks whether another
// replica applied that version meanwhile; on SQLite BEGIN IMMEDIATE takes the database write lock,
// which serializes migrators in other processes the same way.
//
// A file whose SHA-256 differs from the checksum recorded when it was applied is refused (the
// error names the file); so are two files with the same version.
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db {

// The key of the advisory lock that serializes migrators on PostgreSQL ("parley" in ASCII).
inline constexpr std::int64_t kMigrationLockKey = 0x7061726c6579;

struct MigrationFile {
  int version = 0;
  std::string name;  // file name, e.g. "0001_initial.sql"
  std::filesystem::path path;
  std::string checksum;  // lower-case hex SHA-256 of the file's bytes
  std::string sql;
};

enum class MigrationState {
  pending,       // file present, not applied
  applied,       // applied, checksum matches
  changed,       // applied, but the file changed since (migrate() refuses to run)
  missing_file,  // applied by a newer or different build; no file here
};

struct MigrationStatus {
  int version = 0;
  std::string name;
  MigrationState state = MigrationState::pending;
  std::string checksum;                   // of the file (recorded checksum for missing_file)
  std::optional<std::string> applied_at;  // as the database returned it
};

std::string_view to_string(MigrationState state) noexcept;

// Lower-case hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

// migrations/<dialect> under `root` ("postgres" or "sqlite").
std::filesystem::path migrations_dir(const std::filesystem::path& root, Dialect dialect);

// Reads every NNNN_name.sql file of `dir`, sorted by version. Other files are ignored. Throws
// AppError::internal when the directory is missing or two files share a version. Reads the disk
// synchronously: migrations run at startup or from the CLI, not on a request path.
std::vector<MigrationFile> load_migration_files(const std::filesystem::path& dir);

class Migrator {
 public:
  // `dir` holds this database's dialect's files (see migrations_dir). `db` must outlive this.
  Migrator(Database& db, std::filesystem::path dir);

  // Every file and every recorded migration, by version. Does not create schema_migrations.
  boost::asio::awaitable<std::vector<MigrationStatus>> status();
  // The files not applied yet, in the order migrate() would apply them.
  boost::asio::awaitable<std::vector<MigrationStatus>> pending();
  // Applies every pending migration in order; returns how many this call applied (0 when up to
  // date, also when another replica applied them concurrently). Throws AppError (code
  // "migration_checksum_mismatch") before applying anything if an applied file changed, and an
  // AppError naming the file when a migration fails (its transaction is rolled back).
  boost::asio::awaitable<int> migrate();

 private:
  struct Applied {
    int version;
    std::string name;
    std::string checksum;
    std::string applied_at;
  };
  boost::asio::awaitable<bool> table_exists();
  boost::asio::awaitable<std::vector<Applied>> applied(Executor& executor);
  boost::asio::awaitable<void> lock(Transaction& tx);

  Database& db_;
  std::filesystem::path dir_;
};

}  // namespace parley::db
