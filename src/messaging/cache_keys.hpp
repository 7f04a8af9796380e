#pragma once
// What messaging keeps in the cache (cache/cache.hpp) and what invalidates it; docs/caching.md
// is the list for readers.
//
//   namespace "conversation:<id>"  bumped by every committed event about the conversation
//                                  (messages, reactions, members, the conversation itself)
//   namespace "users"              bumped when a user's display name changes
//   "page/<conversation>/<viewer>/<query>"  a message page's JSON (per viewer: reactions carry `me`)
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/repositories/message_repository.hpp"
#include "events/event_bus.hpp"
#include "events/pending_events.hpp"

namespace parley::messaging {

struct MessagingContext;

inline constexpr std::string_view kUsersNamespace = "users";

std::string conversation_namespace(std::int64_t conversation_id);
// The namespaces that `events` (committed) invalidate: one per conversation they are about.
std::vector<std::string> cache_namespaces(std::span<const events::Event> events);
// The key of a message page as `viewer_id` sees it, every query parameter included.
std::string page_key(std::int64_t conversation_id, std::int64_t viewer_id, const db::repositories::PageQuery& query);

// After the commit of an action that recorded `events`: invalidates, in this process's cache (in
// every process's with the Redis store), the namespaces of the conversations they are about, then
// hands the events to the stream. Awaited before the action returns, so no request that starts
// after the write was acknowledged reads a page from before it.
boost::asio::awaitable<void> publish_committed(MessagingContext& ctx, events::PendingEvents& events);

}  // namespace parley::messaging
