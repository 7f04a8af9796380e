#include "messaging/cache_keys.hpp"

#include <algorithm>

#include "messaging/context.hpp"

namespace parley::messaging {

std::string conversation_namespace(std::int64_t conversation_id) {
  return "conversation:" + std::to_string(conversation_id);
}

std::vector<std::string> cache_namespaces(std::span<const events::Event> events) {
  std::vector<std::int64_t> ids;
  for (const auto& event : events) {
    if (event.conversation_id) ids.push_back(*event.conversation_id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (auto id : ids) out.push_back(conversation_namespace(id));
  return out;
}

namespace {

void append_optional(std::string& out, char tag, const std::optional<std::int64_t>& value) {
  out += '/';
  out += tag;
  if (value) out += std::to_string(*value);
}

void append_optional(std::string& out, char tag, const std::optional<std::string>& value) {
  out += '/';
  out += tag;
  if (value) out += *value;
}

}  // namespace

std::string page_key(std::int64_t conversation_id, std::int64_t viewer_id, const db::repositories::PageQuery& q) {
  std::string key = "page/" + std::to_string(conversation_id) + "/" + std::to_string(viewer_id) + "/l" +
                    std::to_string(q.limit);
  append_optional(key, 'b', q.before);
  append_optional(key, 'a', q.after);
  append_optional(key, 'r', q.around);
  append_optional(key, 'p', q.parent_id);
  append_optional(key, 's', q.sender_id);
  append_optional(key, 'f', q.since);
  append_optional(key, 'u', q.until);
  return key;
}

boost::asio::awaitable<void> publish_committed(MessagingContext& ctx, events::PendingEvents& events) {
  if (ctx.cache.cache != nullptr && !events.conversations().empty()) {
    std::vector<std::string> namespaces;
    for (auto id : events.conversations()) namespaces.push_back(conversation_namespace(id));
    std::sort(namespaces.begin(), namespaces.end());
    namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
    auto bump = ctx.cache.cache->bump(std::move(namespaces));
    co_await std::move(bump);
  }
  events.publish();
}

}  // namespace parley::messaging
