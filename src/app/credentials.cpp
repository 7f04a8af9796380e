#include "app/credentials.hpp"

#include "db/pg/pg_database.hpp"

#include <string>

namespace parley {

namespace asio = boost::asio;
using accounts::CredentialInvalidator;

namespace {

asio::awaitable<void> notify_credentials(db::pg::PgDatabase& db, std::string payload) {
  co_await db.notify(CredentialInvalidator::kChannel, payload);
}

}  // namespace

CredentialInvalidator::Publish credential_publisher(db::Database& db) {
  auto* pg = dynamic_cast<db::pg::PgDatabase*>(&db);
  if (pg == nullptr) return {};
  return [pg](std::string payload) { return notify_credentials(*pg, std::move(payload)); };
}

asio::awaitable<void> listen_for_credential_changes(db::Database& db, CredentialInvalidator& credentials) {
  auto* pg = dynamic_cast<db::pg::PgDatabase*>(&db);
  if (pg == nullptr) co_return;
  auto& listener = pg->listener();
  listener.on_disconnect([&credentials] { credentials.cache().suspend(); });
  listener.on_reconnect([&credentials] { credentials.cache().resume(); });
  std::string channel(CredentialInvalidator::kChannel);
  CredentialInvalidator* target = &credentials;
  db::pg::PgListener::Callback callback = [target](std::string_view, std::string_view payload) {
    target->received(payload);
  };
  co_await listener.subscribe(std::move(channel), std::move(callback));
}

}  // namespace parley
