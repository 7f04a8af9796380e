#include "db/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace parley::db {
namespace {

constexpr std::string_view kCreateTablePostgres = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY CHECK (version > 0),
  name       text NOT NULL,
  checksum   text NOT NULL CHECK (length(checksum) = 64),
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

constexpr std::string_view kCreateTableSqlite = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY CHECK (version > 0),
  name       TEXT NOT NULL,
  checksum   TEXT NOT NULL CHECK (length(checksum) = 64),
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
))sql";

constexpr Query kTableExistsPostgres{"migrations.table_exists",
                                     "SELECT to_regclass('schema_migrations') IS NOT NULL"};
constexpr Query kTableExistsSqlite{"migrations.table_exists",
                                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"};
constexpr Query kApplied{"migrations.applied",
                         "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"};
constexpr Query kAppliedOne{"migrations.applied_one", "SELECT checksum FROM schema_migrations WHERE version = $1"};
constexpr Query kRecord{"migrations.record",
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"};
// The key is spelled out (== kMigrationLockKey) so the statement has no parameter to type.
constexpr Query kLock{"migrations.lock", "SELECT pg_advisory_xact_lock(123563833845113)"};
static_assert(kMigrationLockKey == 123563833845113);

AppError checksum_mismatch(const MigrationFile& file, std::string_view recorded) {
  return AppError{500,
                  "migration_checksum_mismatch",
                  "Internal server error",
                  "A database migration changed after it was applied.",
                  "migration " + file.name + " (" + file.path.string() +
                      ") changed after it was applied: recorded checksum " + std::string(recorded) +
                      ", file checksum " + file.checksum + "; restore the file and add a new migration instead"};
}

std::optional<int> parse_version(const std::string& filename) {
  std::size_t digits = 0;
  while (digits < filename.size() && std::isdigit(static_cast<unsigned char>(filename[digits]))) ++digits;
  if (digits == 0 || digits >= filename.size() || filename[digits] != '_') return std::nullopt;
  int version = 0;
  auto [end, ec] = std::from_chars(filename.data(), filename.data() + digits, version);
  if (ec != std::errc{} || version <= 0) return std::nullopt;
  return version;
}

}  // namespace

std::string_view to_string(MigrationState state) noexcept {
  switch (state) {
    case MigrationState::pending:
      return "pending";
    case MigrationState::applied:
      return "applied";
    case MigrationState::changed:
      return "changed";
    case MigrationState::missing_file:
      return "missing_file";
  }
  return "unknown";
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw AppError::internal("EVP_Digest(sha256) failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::filesystem::path migrations_dir(const std::filesystem::path& root, Dialect dialect) {
  return root / (dialect == Dialect::postgres ? "postgres" : "sqlite");
}

std::vector<MigrationFile> load_migration_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw AppError::internal("migrations directory " + dir.string() + " does not exist");
  }
  std::vector<MigrationFile> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::string filename = entry.path().filename().string();
    std::optional<int> version = parse_version(filename);
    if (!version) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw AppError::internal("cannot read migration " + entry.path().string());
    MigrationFile file{*version, filename, entry.path(), {}, text.str()};
    file.checksum = sha256_hex(file.sql);
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      throw AppError::internal("migrations " + files[i - 1].name + " and " + files[i].name + " share version " +
                               std::to_string(files[i].version));
    }
  }
  return files;
}

Migrator::Migrator(Database& db, std::filesystem::path dir) : db_(db), dir_(std::move(dir)) {}

boost::asio::awaitable<bool> Migrator::table_exists() {
  const Query& q = db_.dialect() == Dialect::postgres ? kTableExistsPostgres : kTableExistsSqlite;
  ResultSet rs = co_await db_.execute(q);
  co_return rs.one().boolean(0);
}

boost::asio::awaitable<std::vector<Migrator::Applied>> Migrator::applied(Executor& executor) {
  ResultSet rs = co_await executor.execute(kApplied);
  std::vector<Applied> out;
  for (const Row& row : rs.rows) {
    out.push_back({static_cast<int>(row.int64(0)), row.text(1), row.text(2), row.text(3)});
  }
  co_return out;
}

boost::asio::awaitable<void> Migrator::lock(Transaction& tx) {
  if (db_.dialect() == Dialect::postgres) co_await tx.execute(kLock);
}

boost::asio::awaitable<std::vector<MigrationStatus>> Migrator::status() {
  std::vector<MigrationFile> files = load_migration_files(dir_);
  std::vector<Applied> done;
  if (co_await table_exists()) done = co_await applied(db_);
  std::map<int, MigrationStatus> by_version;
  for (const MigrationFile& f : files) {
    by_version[f.version] = MigrationStatus{f.version, f.name, MigrationState::pending, f.checksum, std::nullopt};
  }
  for (const Applied& a : done) {
    auto it = by_version.find(a.version);
    if (it == by_version.end()) {
      by_version[a.version] = MigrationStatus{a.version, a.name, MigrationState::missing_file, a.checksum, a.applied_at};
    } else {
      it->second.state = it->second.checksum == a.checksum ? MigrationState::applied : MigrationState::changed;
      it->second.applied_at = a.applied_at;
    }
  }
  std::vector<MigrationStatus> out;
  for (auto& [version, s] : by_version) out.push_back(std::move(s));
  co_return out;
}

boost::asio::awaitable<std::vector<MigrationStatus>> Migrator::pending() {
  std::vector<MigrationStatus> all = co_await status();
  std::erase_if(all, [](const MigrationStatus& s) { return s.state != MigrationState::pending; });
  co_return all;
}

boost::asio::awaitable<int> Migrator::migrate() {
  std::vector<MigrationFile> files = load_migration_files(dir_);
  {
    auto tx = co_await db_.begin();
    co_await lock(*tx);
    co_await tx->execute_script(db_.dialect() == Dialect::postgres ? kCreateTablePostgres : kCreateTableSqlite);
    co_await tx->commit();
  }
  // Refuse before applying anything when history was rewritten.
  std::map<int, std::string> recorded;
  for (Applied& a : co_await applied(db_)) recorded.emplace(a.version, std::move(a.checksum));
  for (const MigrationFile& f : files) {
    auto it = recorded.find(f.version);
    if (it != recorded.end() && it->second != f.checksum) throw checksum_mismatch(f, it->second);
  }
  int count = 0;
  for (const MigrationFile& f : files) {
    if (recorded.contains(f.version)) continue;
    auto tx = co_await db_.begin();
    co_await lock(*tx);
    // Another replica may have applied it while we waited for the lock.
    std::array<Value, 1> version{std::int64_t{f.version}};
    ResultSet again = co_await tx->execute(kAppliedOne, version);
    if (!again.empty()) {
      if (again.one().text(0) != f.checksum) throw checksum_mismatch(f, again.one().text(0));
      co_await tx->commit();
      continue;
    }
    std::optional<AppError> failure;
    try {
      co_await tx->execute_script(f.sql);
    } catch (const AppError& e) {
      failure = AppError{500, "migration_failed", "Internal server error", "A database migration failed.",
                         "migration " + f.name + " (" + f.path.string() + ") failed: " + e.what()};
    }
    if (failure) {
      co_await tx->rollback();
      throw *failure;
    }
    std::array<Value, 3> record{std::int64_t{f.version}, f.name, f.checksum};
    co_await tx->execute(kRecord, record);
    co_await tx->commit();
    ++count;
  }
  co_return count;
}

}  // namespace parley::db
