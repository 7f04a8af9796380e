#pragma once
// Carrying credential invalidations between the `parley serve` processes of one database
// (accounts/credential_invalidator.hpp, docs/security.md "Verified-credential cache").
#include "accounts/credential_invalidator.hpp"
#include "db/database.hpp"

#include <boost/asio/awaitable.hpp>

namespace parley {

// On PostgreSQL, publishes an invalidation with NOTIFY on CredentialInvalidator::kChannel; on
// SQLite (one process) nothing: the local invalidation is all there is to do.
accounts::CredentialInvalidator::Publish credential_publisher(db::Database& db);

// On PostgreSQL, LISTENs on CredentialInvalidator::kChannel (returns once the server confirmed it)
// and hands every notification to `credentials`; while the listener's connection is down the cache
// is suspended (notifications are being lost), and it starts again empty once the listener is
// back. Nothing on SQLite. Call before serving requests.
boost::asio::awaitable<void> listen_for_credential_changes(db::Database& db,
                                                           accounts::CredentialInvalidator& credentials);

}  // namespace parley
