#include "accounts/credential_invalidator.hpp"

#include <charconv>

namespace parley::accounts {

namespace asio = boost::asio;

CredentialInvalidator::CredentialInvalidator(CredentialCache& cache, Publish publish, spdlog::logger& logger)
    : cache_(cache), publish_(std::move(publish)), logger_(logger) {}

asio::awaitable<void> CredentialInvalidator::user_changed(std::int64_t user_id) {
  cache_.invalidate_user(user_id, CredentialCache::Clock::now());
  if (!publish_) co_return;
  try {
    // GCC 12 destroys temporaries inside a co_await expression twice: the call's argument is not one.
    asio::awaitable<void> publishing = publish_(std::to_string(user_id));
    co_await std::move(publishing);
  } catch (const std::exception& e) {
    logger_.error("could not publish the credential invalidation of user {} to other processes: {}", user_id,
                  e.what());
  }
}

void CredentialInvalidator::received(std::string_view payload) {
  std::int64_t user_id = 0;
  auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), user_id);
  if (ec != std::errc() || end != payload.data() + payload.size()) {
    logger_.warn("credential invalidation with an unreadable payload; clearing the credential cache");
    cache_.clear();
    return;
  }
  cache_.invalidate_user(user_id, CredentialCache::Clock::now());
}

}  // namespace parley::accounts
