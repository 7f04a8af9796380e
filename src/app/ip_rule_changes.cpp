#include "app/ip_rule_changes.hpp"

#include "db/pg/pg_database.hpp"

#include <string>

namespace parley {

namespace asio = boost::asio;
using accounts::IpRules;

namespace {

asio::awaitable<void> notify_ip_rules(db::pg::PgDatabase& db, std::string payload) {
  co_await db.notify(IpRules::kChannel, payload);
}

}  // namespace

IpRules::Publish ip_rule_publisher(db::Database& db) {
  auto* pg = dynamic_cast<db::pg::PgDatabase*>(&db);
  if (pg == nullptr) return {};
  return [pg](std::string payload) { return notify_ip_rules(*pg, std::move(payload)); };
}

asio::awaitable<void> listen_for_ip_rule_changes(db::Database& db, IpRules& rules) {
  auto* pg = dynamic_cast<db::pg::PgDatabase*>(&db);
  if (pg == nullptr) co_return;
  auto& listener = pg->listener();
  IpRules* target = &rules;
  listener.on_reconnect([target] { target->received("reconnect"); });
  std::string channel(IpRules::kChannel);
  db::pg::PgListener::Callback callback = [target](std::string_view, std::string_view payload) {
    target->received(payload);
  };
  co_await listener.subscribe(std::move(channel), std::move(callback));
}

}  // namespace parley
