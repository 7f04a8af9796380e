#pragma once
// What the messaging actions share: the database, one instance of each repository they use, the
// event stream and their settings. Built once by the composition root; thread-safe (repositories
// hold only their statements).
#include <chrono>

#include "db/database.hpp"
#include "db/repositories/attachment_repository.hpp"
#include "db/repositories/conversation_repository.hpp"
#include "db/repositories/member_repository.hpp"
#include "db/repositories/mention_repository.hpp"
#include "db/repositories/message_repository.hpp"
#include "db/repositories/reaction_repository.hpp"
#include "db/repositories/read_state_repository.hpp"
#include "db/repositories/search_repository.hpp"
#include "db/repositories/user_repository.hpp"
#include "cache/cache.hpp"
#include "events/event_stream.hpp"

namespace parley::messaging {

struct MessagingSettings {
  // How long after sending a sender may edit a message; zero means no limit.
  std::chrono::seconds edit_window{0};
};

// The cache of message pages (messaging/cache_keys.hpp, docs/caching.md); no cache when null.
struct MessagingCache {
  cache::Cache* cache = nullptr;
  cache::Stats pages;
  std::chrono::milliseconds ttl{60'000};
};

struct MessagingContext {
  MessagingContext(db::Database& database, events::EventStream& event_stream, MessagingSettings messaging_settings,
                   MessagingCache messaging_cache = {})
      : db(database), events(event_stream), settings(messaging_settings), cache(messaging_cache) {}

  db::Database& db;
  events::EventStream& events;
  MessagingSettings settings;
  MessagingCache cache;
  db::repositories::ConversationRepository conversations{db.dialect()};
  db::repositories::MemberRepository members{db.dialect()};
  db::repositories::MessageRepository messages{db.dialect()};
  db::repositories::ReactionRepository reactions{db.dialect()};
  db::repositories::MentionRepository mentions{db.dialect()};
  db::repositories::ReadStateRepository read_state{db.dialect()};
  db::repositories::UserRepository users{db.dialect()};
  db::repositories::AttachmentRepository attachments{db.dialect()};
  db::repositories::SearchRepository search{db.dialect()};
};

}  // namespace parley::messaging
