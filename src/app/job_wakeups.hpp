#pragma once
// Waking a worker for jobs committed by other processes (jobs/worker.hpp): the enqueue statement
// NOTIFYs channel parley_jobs on PostgreSQL, delivered at commit.
#include "db/database.hpp"
#include "jobs/worker.hpp"

#include <boost/asio/awaitable.hpp>

namespace parley {

// On PostgreSQL, LISTENs on parley_jobs (returns once the server confirmed it) and wakes `worker`
// on every notice and after every reconnect of the listener (notices sent while it was down are
// lost; the worker's poll finds those jobs anyway). Nothing on SQLite: the worker polls, and
// jobs committed in its own process wake it through Jobs::committed().
boost::asio::awaitable<void> listen_for_jobs(db::Database& db, jobs::Worker& worker);

}  // namespace parley
