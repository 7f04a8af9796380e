#pragma once
// Tells every process's CredentialCache that a user's credentials changed (deactivation, role
// change, password change, logout, session end, personal-token revocation, OIDC linking).
//
// user_changed() is called by the actions after the commit that made the change: it invalidates
// the user's entries in this process at once (so the next request here re-reads the database), then
// publishes the user id so the other processes do the same: on PostgreSQL a NOTIFY on kChannel,
// which every `parley serve` process LISTENs to (the composition root wires publish and
// received()); with SQLite there is one process and nothing to publish. See docs/security.md.
//
// Thread-safety: every member may be called from any thread.
#include "accounts/credential_cache.hpp"

#include <spdlog/logger.h>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace parley::accounts {

class CredentialInvalidator {
 public:
  // The PostgreSQL channel the invalidations travel on; the payload is the user id in decimal.
  static constexpr std::string_view kChannel = "parley_credentials";
  // Carries `payload` to the other processes; empty when there are none to tell.
  using Publish = std::function<boost::asio::awaitable<void>(std::string payload)>;

  CredentialInvalidator(CredentialCache& cache, Publish publish, spdlog::logger& logger);

  CredentialCache& cache() noexcept { return cache_; }

  // After the commit that changed `user_id`'s credentials. Never throws: when publishing fails it
  // logs an error, and the other processes see the change when their entries expire (max_ttl).
  boost::asio::awaitable<void> user_changed(std::int64_t user_id);
  // An invalidation published by a process (this one included). A payload that is not a user id
  // clears the whole cache: never guess.
  void received(std::string_view payload);

 private:
  CredentialCache& cache_;
  Publish publish_;
  spdlog::logger& logger_;
};

}  // namespace parley::accounts
