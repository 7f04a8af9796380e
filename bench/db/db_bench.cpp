// Database benchmark: queries/s over ONE PostgreSQL connection for a point select by primary key,
// a 50-row page and a single-row insert, each run sequentially (one coroutine: one round trip per
// statement) and pipelined (N coroutines sharing the connection). Prints one line per scenario.
//
//   parley_db_bench <postgresql-url> [seconds per scenario = 5] [concurrency = 64]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "core/error.hpp"
#include "db/pg/pg_database.hpp"

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using parley::db::Query;
using parley::db::Value;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kRows = 100000;
constexpr std::int64_t kConversations = 200;

constexpr Query kPointSelect{"bench_point",
                             "SELECT id, conversation_id, sender_id, body, created_at FROM bench_messages WHERE id = $1"};
constexpr Query kPage{"bench_page",
                      "SELECT id, conversation_id, sender_id, body, created_at FROM bench_messages "
                      "WHERE conversation_id = $1 AND id < $2 ORDER BY id DESC LIMIT 50"};
constexpr Query kInsert{"bench_insert",
                        "INSERT INTO bench_messages (conversation_id, sender_id, body) VALUES ($1, $2, $3) RETURNING id"};

awaitable<void> setup(parley::db::Database& db) {
  co_await db.execute(Query{"", "DROP TABLE IF EXISTS bench_messages"});
  co_await db.execute(Query{"", "CREATE TABLE bench_messages (id bigserial PRIMARY KEY, conversation_id bigint NOT NULL, "
                                "sender_id bigint NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"});
  const std::vector<Value> params{kRows, kConversations};
  co_await db.execute(Query{"", "INSERT INTO bench_messages (conversation_id, sender_id, body) "
                                "SELECT g % $2, g % 1000, repeat('message body ', 5) || g FROM generate_series(1, $1) g"},
                      params);
  // Serves the page query (conversation_id = ? AND id < ? ORDER BY id DESC).
  co_await db.execute(Query{"", "CREATE INDEX ON bench_messages (conversation_id, id)"});
  co_await db.execute(Query{"", "VACUUM ANALYZE bench_messages"});
}

enum class Kind { point, page, insert };

// Runs `io` until `done` (the pool's maintenance timer keeps io.run() from returning by itself).
void run_until(asio::io_context& io, const bool& done) {
  while (!done && io.run_one() > 0) {
  }
}

awaitable<void> worker(parley::db::Database& db, Kind kind, Clock::time_point until, std::uint64_t seed,
                       std::int64_t& count) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> id(1, kRows), conversation(0, kConversations - 1);
  while (Clock::now() < until) {
    switch (kind) {
      case Kind::point: {
        const std::vector<Value> params{id(rng)};
        co_await db.execute(kPointSelect, params);
        break;
      }
      case Kind::page: {
        const std::vector<Value> params{conversation(rng), id(rng)};
        co_await db.execute(kPage, params);
        break;
      }
      case Kind::insert: {
        const std::vector<Value> params{conversation(rng), std::int64_t{7}, std::string("benchmark insert")};
        co_await db.execute(kInsert, params);
        break;
      }
    }
    ++count;
  }
}

double run(const std::string& url, Kind kind, int concurrency, std::chrono::seconds duration) {
  asio::io_context io(1);
  auto db = parley::db::pg::make_postgres(io, {.url = url, .pool_min = 1, .pool_max = 1});
  std::int64_t count = 0;
  // Warm up: connect and prepare before the clock starts.
  bool warm = false;
  asio::co_spawn(io, worker(*db, kind, Clock::now() + std::chrono::milliseconds(200), 1, count),
                 [&warm](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                   warm = true;
                 });
  run_until(io, warm);
  count = 0;
  int running = concurrency;
  bool finished = false;
  const auto start = Clock::now();
  for (int i = 0; i < concurrency; ++i) {
    asio::co_spawn(io, worker(*db, kind, start + duration, 100 + i, count), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      finished = --running == 0;
    });
  }
  std::size_t max_in_flight = 0;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    auto conn = co_await db->pool().shared();
    while (Clock::now() < start + duration) {
      max_in_flight = std::max(max_in_flight, conn->max_in_flight());
      asio::steady_timer t(io, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::use_awaitable);
    }
    max_in_flight = conn->max_in_flight();
  }, asio::detached);
  run_until(io, finished);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  db->close();
  io.run_for(std::chrono::milliseconds(50));
  std::printf("    (max in flight %zu)\n", max_in_flight);
  return static_cast<double>(count) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <postgresql-url> [seconds=5] [concurrency=64]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const std::chrono::seconds duration(argc > 2 ? std::atoi(argv[2]) : 5);
  const int concurrency = argc > 3 ? std::atoi(argv[3]) : 64;
  try {
    {
      asio::io_context io;
      auto db = parley::db::pg::make_postgres(io, {.url = url, .pool_min = 0, .pool_max = 1});
      bool ready = false;
      asio::co_spawn(io, setup(*db), [&ready](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
        ready = true;
      });
      run_until(io, ready);
      db->close();
    }
    const struct {
      const char* name;
      Kind kind;
    } scenarios[] = {{"point select by primary key", Kind::point}, {"50-row page", Kind::page}, {"single-row insert", Kind::insert}};
    std::printf("%-30s %16s %16s %8s\n", "scenario (1 connection)", "sequential q/s", "pipelined q/s", "ratio");
    for (const auto& s : scenarios) {
      std::printf("%s\n", s.name);
      const double sequential = run(url, s.kind, 1, duration);
      const double pipelined = run(url, s.kind, concurrency, duration);
      std::printf("%-30s %16.0f %16.0f %7.1fx\n", s.name, sequential, pipelined, pipelined / sequential);
      std::fflush(stdout);
    }
  } catch (const parley::AppError& e) {
    std::fprintf(stderr, "error: %s (%s)\n", e.public_message().c_str(), e.internal_detail().c_str());
    return 1;
  }
  return 0;
}
