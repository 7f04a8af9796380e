#pragma once
// Settings of the PostgreSQL backend (pool, timeouts). Built from PARLEY_DATABASE_URL and friends
// by the composition root; tests and benchmarks fill it directly.
#include <chrono>
#include <cstddef>
#include <string>

namespace parley::db {
class StatementObserver;
}

namespace parley::db::pg {

struct PgConfig {
  // A libpq connection URI: postgresql://user:pass@host:port/db, or a unix socket with
  // postgresql://user@/db?host=/run/postgresql. libpq parses it; every libpq URI option works.
  std::string url;
  std::size_t pool_min = 1;   // connections kept open (and re-opened) by the maintenance loop
  std::size_t pool_max = 10;  // hard cap, including connections being opened
  // How long a caller waits for a connection when every one is pinned (transactions, streams)
  // before it gets a 503.
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds connect_timeout{5000};
  // Set per session at connect; the server cancels longer statements (57014 -> 503).
  std::chrono::milliseconds statement_timeout{30000};
  // Connections older than this are closed once idle and replaced (server memory, failover).
  std::chrono::seconds max_lifetime{3600};
  // Idle connections are probed (SELECT 1) and the pool is topped up to pool_min this often.
  std::chrono::milliseconds health_interval{10000};
  // Reconnect backoff after a failed connect: doubles from initial up to max.
  std::chrono::milliseconds reconnect_backoff_initial{50};
  std::chrono::milliseconds reconnect_backoff_max{2000};
  // Hears of every statement (metrics, spans); owned by the composition root; may be null.
  StatementObserver* observer = nullptr;
};

}  // namespace parley::db::pg
