#include "app/job_wakeups.hpp"

#include "db/pg/pg_database.hpp"

#include <string>

namespace parley {

boost::asio::awaitable<void> listen_for_jobs(db::Database& db, jobs::Worker& worker) {
  auto* pg = dynamic_cast<db::pg::PgDatabase*>(&db);
  if (pg == nullptr) co_return;
  auto& listener = pg->listener();
  jobs::Worker* target = &worker;
  listener.on_reconnect([target] { target->wake(); });
  std::string channel = "parley_jobs";
  db::pg::PgListener::Callback callback = [target](std::string_view, std::string_view) { target->wake(); };
  co_await listener.subscribe(std::move(channel), std::move(callback));
}

}  // namespace parley
