#include "app/database.hpp"

#include "db/migrations.hpp"
#include "db/pg/pg_database.hpp"
#include "db/sqlite/sqlite_database.hpp"

#include <filesystem>
#include <stdexcept>

namespace parley {

std::unique_ptr<db::Database> open_database(const Config& config, http::IoPool& pool,
                                            db::StatementObserver* observer) {
  if (config.uses_sqlite()) {
    std::filesystem::path path = config.database_url.substr(std::string_view("sqlite:").size());
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    return std::make_unique<db::sqlite::SqliteDatabase>(db::sqlite::SqliteOptions{.path = path.string(), .observer = observer});
  }
  std::vector<boost::asio::any_io_executor> executors;
  for (std::size_t i = 0; i < pool.size(); ++i) executors.push_back(pool.next().get_executor());
  return db::pg::make_postgres(std::move(executors),
                               db::pg::PgConfig{.url = config.database_url,
                                                .pool_max = config.db_pool_max,
                                                .acquire_timeout = config.db_acquire_timeout,
                                                .statement_timeout = config.db_statement_timeout,
                                                .observer = observer});
}

boost::asio::awaitable<void> prepare_schema(const Config& config, db::Database& db, spdlog::logger& logger) {
  db::Migrator migrator(db, db::migrations_dir(config.migrations_dir, db.dialect()));
  auto pending = co_await migrator.pending();
  if (pending.empty()) co_return;
  if (!config.effective_auto_migrate()) {
    std::string names;
    for (const auto& m : pending) names += (names.empty() ? "" : ", ") + m.name;
    throw std::runtime_error(std::to_string(pending.size()) + " pending migration(s) (" + names +
                             "); run `parley migrate` or set PARLEY_AUTO_MIGRATE=1");
  }
  int applied = co_await migrator.migrate();
  logger.info("applied {} migration(s)", applied);
}

}  // namespace parley
