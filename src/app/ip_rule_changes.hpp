#pragma once
// Carrying IP-rule change notices between the `parley serve` processes of one database
// (accounts/ip_rules.hpp, docs/security.md "IP rules"), the way app/credentials.hpp carries
// credential invalidations.
#include "accounts/ip_rules.hpp"
#include "db/database.hpp"

#include <boost/asio/awaitable.hpp>

namespace parley {

// On PostgreSQL, publishes a notice with NOTIFY on IpRules::kChannel; on SQLite (one process)
// nothing: the local reload is all there is to do.
accounts::IpRules::Publish ip_rule_publisher(db::Database& db);

// On PostgreSQL, LISTENs on IpRules::kChannel (returns once the server confirmed it) and reloads
// the rules on every notice and after every reconnect of the listener (notices sent while it was
// down are lost). While it is down, the process keeps enforcing the rules it has. Nothing on
// SQLite. Call before serving requests.
boost::asio::awaitable<void> listen_for_ip_rule_changes(db::Database& db, accounts::IpRules& rules);

}  // namespace parley
