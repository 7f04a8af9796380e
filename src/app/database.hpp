#pragma once
// Opening the configured database and bringing its schema up to date.
#include "core/config.hpp"
#include "db/database.hpp"
#include "http/io_pool.hpp"

#include <spdlog/logger.h>

#include <memory>

namespace parley {

// SQLite for "sqlite:<path>" (its folder is created), PostgreSQL otherwise, with its connections
// spread over `pool`'s contexts. Throws AppError 503 when the database cannot be opened.
// `observer` (may be null) hears of every statement and must outlive the database.
std::unique_ptr<db::Database> open_database(const Config& config, http::IoPool& pool,
                                            db::StatementObserver* observer = nullptr);

// Applies pending migrations when PARLEY_AUTO_MIGRATE allows, otherwise refuses (std::runtime_error
// naming the pending files and the command to run). Logs what it applied.
boost::asio::awaitable<void> prepare_schema(const Config& config, db::Database& db, spdlog::logger& logger);

}  // namespace parley
