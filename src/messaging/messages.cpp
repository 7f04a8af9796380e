#include "messaging/messages.hpp"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <chrono>

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "core/trace.hpp"
#include "events/pending_events.hpp"
#include "markdown/markdown.hpp"
#include "messaging/cache_keys.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/send_batcher.hpp"

namespace parley::messaging {
namespace {

using boost::asio::awaitable;
using db::repositories::Message;
namespace json = boost::json;

// A body rendered for storage: the HTML, and the mentions resolved against the members.
struct RenderedBody {
  std::string html;
  std::vector<std::int64_t> mentions;  // ascending
  bool mentions_everyone = false;
};

awaitable<RenderedBody> render_body(MessagingContext& ctx, db::Executor& db, std::int64_t conversation_id,
                                    const std::string& body) {
  auto document = markdown::Document::parse(body);
  auto scan = document.mentions();
  markdown::ResolvedMentions resolved;
  RenderedBody out;
  if (!scan.usernames.empty()) {
    auto members = co_await ctx.mentions.resolve_members(db, conversation_id, scan.usernames);
    for (auto& m : members) {
      out.mentions.push_back(m.user_id);
      resolved.emplace(std::move(m.username_lower), m.user_id);
    }
    std::sort(out.mentions.begin(), out.mentions.end());
  }
  out.html = document.render_html(resolved);
  out.mentions_everyone = scan.channel || scan.here;
  co_return out;
}

json::object message_ref(const Message& m) {
  return json::object{{"id", m.id},
                      {"conversation_id", m.conversation_id},
                      {"parent_id", m.parent_id ? json::value(*m.parent_id) : json::value(nullptr)}};
}

// 409 once the edit window (zero: none) has passed since `created_at`.
void require_within_edit_window(const MessagingSettings& settings, const std::string& created_at) {
  if (settings.edit_window.count() == 0) return;
  auto sent = parse_rfc3339(created_at);
  if (sent && std::chrono::system_clock::now() - *sent > settings.edit_window) {
    throw AppError::conflict("The edit window of this message has passed.", "edit_window_passed");
  }
}

// One line of an export.
json::object export_json(const db::repositories::ExportedMessage& e) {
  const Message& m = e.message;
  return json::object{
      {"id", m.id},
      {"conversation_id", m.conversation_id},
      {"parent_id", m.parent_id ? json::value(*m.parent_id) : json::value(nullptr)},
      {"sender",
       json::object{{"id", m.sender_id}, {"username", e.sender_username}, {"display_name", e.sender_display_name}}},
      {"body", m.body},
      {"html", m.html},
      {"reply_count", m.reply_count},
      {"mentions_everyone", m.mentions_everyone},
      {"created_at", m.created_at},
      {"edited_at", m.edited_at ? json::value(*m.edited_at) : json::value(nullptr)},
      {"deleted", m.deleted()}};
}

}  // namespace

namespace {

// The messages are REST's (core/validation.hpp's ObjectReader wording), so that moving the rules
// here left REST's answers unchanged.
void check_body(FieldErrors& errors, const std::string& body, bool may_be_blank) {
  if (code_points(body) > kMaxBodyLength) {
    errors["body"].push_back("Ensure this field has no more than " + std::to_string(kMaxBodyLength) + " characters.");
  } else if (!may_be_blank && body.find_first_not_of(" \t\r\n") == std::string::npos) {
    errors["body"].push_back("This field may not be blank.");
  }
}

}  // namespace

FieldErrors send_input_errors(const SendInput& in) {
  FieldErrors errors;
  if (!in.has_body) {
    if (in.attachment_ids.empty()) errors["body"].push_back("This field is required.");
  } else {
    check_body(errors, in.body, !in.attachment_ids.empty());
  }
  if (in.client_msg_id) {
    const auto& id = *in.client_msg_id;
    if (id.empty()) {
      errors["client_msg_id"].push_back("This field may not be blank.");
    } else if (code_points(id) > kMaxClientMsgIdLength) {
      errors["client_msg_id"].push_back("Ensure this field has no more than " +
                                        std::to_string(kMaxClientMsgIdLength) + " characters.");
    } else if (!is_valid_client_msg_id(id)) {
      errors["client_msg_id"].push_back("Use 1 to 64 visible ASCII characters.");
    }
  }
  if (in.attachment_ids.size() > kMaxAttachmentsPerMessage) {
    errors["attachment_ids"].push_back("Ensure this field has no more than " +
                                       std::to_string(kMaxAttachmentsPerMessage) + " elements.");
  } else {
    auto ids = in.attachment_ids;
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
      errors["attachment_ids"].push_back("Duplicate values are not allowed.");
    }
  }
  return errors;
}

FieldErrors edit_input_errors(std::string_view body) {
  FieldErrors errors;
  check_body(errors, std::string(body), false);
  return errors;
}

awaitable<Messages::Located> Messages::locate(db::Executor& db, std::int64_t message_id, const http::Principal& by) {
  auto message = co_await ctx_.messages.find(db, message_id);
  if (!message) throw AppError::not_found();
  auto access = co_await load_access(ctx_, db, message->conversation_id, by);
  co_return Located{std::move(*message), std::move(access)};
}

awaitable<std::vector<MessageView>> Messages::load_views(db::Executor& db, std::vector<Message> messages,
                                                         std::int64_t viewer_id) {
  std::vector<MessageView> views;
  if (messages.empty()) co_return views;
  std::vector<std::int64_t> ids, senders;
  ids.reserve(messages.size());
  senders.reserve(messages.size());
  for (const auto& m : messages) {
    ids.push_back(m.id);
    senders.push_back(m.sender_id);
  }
  std::sort(senders.begin(), senders.end());
  senders.erase(std::unique(senders.begin(), senders.end()), senders.end());
  // One batch: a single round trip on PostgreSQL, one hop to the pool on SQLite. Built outside the
  // co_await expression (GCC 12 destroys temporaries created inside one twice).
  auto batch = db::read_all(db, ctx_.users.read_many(senders), ctx_.reactions.read_counts(ids, viewer_id),
                            ctx_.mentions.read_for_messages(ids), ctx_.attachments.read_for_messages(ids));
  auto [users, reactions, mentions, attachments] = co_await std::move(batch);

  views.reserve(messages.size());
  for (auto& m : messages) {
    MessageView view;
    auto user = std::lower_bound(users.begin(), users.end(), m.sender_id,
                                 [](const db::repositories::User& u, std::int64_t id) { return u.id < id; });
    if (user != users.end() && user->id == m.sender_id) view.sender = *user;
    for (const auto& r : reactions) {
      if (r.message_id == m.id) view.reactions.push_back(r);
    }
    for (const auto& row : mentions) {
      if (row.message_id == m.id) view.mentions.push_back(row.user_id);
    }
    if (!m.deleted()) {
      for (const auto& a : attachments) {
        if (a.message_id == m.id) view.attachments.push_back(a.attachment);
      }
    }
    view.message = std::move(m);
    views.push_back(std::move(view));
  }
  co_return views;
}

awaitable<MessageView> Messages::fresh_view(db::Executor& db, Message message, db::repositories::User sender,
                                            std::vector<std::int64_t> mentions, bool has_attachments) {
  MessageView view;
  view.sender = std::move(sender);
  if (has_attachments) {
    const std::array<std::int64_t, 1> ids{message.id};
    auto attached = co_await ctx_.attachments.for_messages(db, ids);
    for (auto& a : attached) view.attachments.push_back(std::move(a.attachment));
  }
  view.mentions = std::move(mentions);
  view.message = std::move(message);
  co_return view;
}

awaitable<MessageListing> Messages::list(http::Principal by, std::int64_t conversation_id,
                                         db::repositories::PageQuery query) {
  auto access = co_await load_access(ctx_, ctx_.db, conversation_id, by);
  co_return co_await list_with_access(by, access, query);
}

awaitable<MessageListing> Messages::list(http::Principal by, const ConversationAccess& access,
                                         db::repositories::PageQuery query) {
  co_return co_await list_with_access(by, access, query);
}

awaitable<MessageListing> Messages::list_with_access(const http::Principal& by, const ConversationAccess& access,
                                                 const db::repositories::PageQuery& query) {
  require_member(access);
  const std::int64_t conversation_id = access.conversation.id;
  if (query.parent_id) {
    auto parent = co_await ctx_.messages.find(ctx_.db, *query.parent_id);
    if (!parent || parent->conversation_id != conversation_id || parent->parent_id) throw AppError::not_found();
  }
  auto page = co_await ctx_.messages.page(ctx_.db, conversation_id, query);
  MessageListing listing{.messages = {}, .has_older = page.has_older, .has_newer = page.has_newer};
  listing.messages = co_await load_views(ctx_.db, std::move(page.messages), by.user_id);
  co_return listing;
}

namespace {

void append_param(std::string& url, std::string_view name, const std::optional<std::string>& value) {
  if (!value) return;
  url += '&';
  url += name;
  url += '=';
  url += boost::urls::encode(*value, boost::urls::unreserved_chars);
}

std::optional<std::string> as_text(std::optional<std::int64_t> value) {
  return value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt;
}

std::string page_url(std::int64_t conversation_id, std::string_view cursor_name, std::int64_t cursor,
                     const db::repositories::PageQuery& q) {
  std::string url = "/api/v1/conversations/" + std::to_string(conversation_id) + "/messages?" +
                    std::string(cursor_name) + "=" + std::to_string(cursor) + "&limit=" + std::to_string(q.limit);
  append_param(url, "parent_id", as_text(q.parent_id));
  append_param(url, "sender", as_text(q.sender_id));
  append_param(url, "since", q.since);
  append_param(url, "until", q.until);
  return url;
}

}  // namespace

std::string Messages::page_json(std::int64_t conversation_id, const db::repositories::PageQuery& query,
                                const MessageListing& listing) {
  std::optional<std::string> next, previous;
  if (!listing.messages.empty()) {
    if (listing.has_newer) next = page_url(conversation_id, "after", listing.messages.back().message.id, query);
    if (listing.has_older) previous = page_url(conversation_id, "before", listing.messages.front().message.id, query);
  }
  std::size_t size = 64;
  for (const auto& view : listing.messages) size += 400 + view.message.body.size() + view.message.html.size();
  std::string body;
  body.reserve(size);
  core::JsonWriter out(body);
  out.begin_object();
  out.key("results");
  out.begin_array();
  for (const auto& view : listing.messages) write_message(out, view);
  out.end_array();
  out.key("next");
  out.value(next);
  out.key("previous");
  out.value(previous);
  out.end_object();
  return body;
}

awaitable<std::string> Messages::page(http::Principal by, std::int64_t conversation_id,
                                      db::repositories::PageQuery query) {
  auto load = [this, by, conversation_id, query]() -> awaitable<std::string> {
    auto listing = co_await list(by, conversation_id, query);
    co_return page_json(conversation_id, query, listing);
  };
  if (ctx_.cache.cache == nullptr) co_return co_await load();
  // A hit skips the membership check too: membership changes bump the conversation's namespace,
  // and the key is the viewer's own (a non-member's 404 is never cached).
  std::vector<std::string> namespaces{conversation_namespace(conversation_id), std::string(kUsersNamespace)};
  auto cached = ctx_.cache.cache->get_or_load(ctx_.cache.pages, std::move(namespaces),
                                              page_key(conversation_id, by.user_id, query), ctx_.cache.ttl, load);
  co_return co_await std::move(cached);
}

Messages::Messages(MessagingContext& ctx)
    : ctx_(ctx), batcher_(ctx.db.dialect() == db::Dialect::postgres ? std::make_unique<SendBatcher>(ctx) : nullptr) {}

Messages::~Messages() = default;

awaitable<std::optional<SentMessage>> Messages::send_batched(const http::Principal& by, std::int64_t conversation_id,
                                                             const SendInput& in) {
  // Rendered here, before the batch checks the membership, so that the batch's transaction waits
  // for no Markdown and no mention lookup. The members that lookup reads never reach a refused
  // send's answer (404).
  auto rendered = co_await render_body(ctx_, ctx_.db, conversation_id, in.body);
  const trace::SpanContext* traced = trace::current();
  BatchedSend send{.message = {.conversation_id = conversation_id,
                               .sender_id = by.user_id,
                               .parent_id = std::nullopt,
                               .body = in.body,
                               .html = std::move(rendered.html),
                               .mentions_everyone = rendered.mentions_everyone,
                               .client_msg_id = in.client_msg_id},
                   .mentions = std::move(rendered.mentions),
                   .span = traced ? std::optional<trace::SpanContext>(*traced) : std::nullopt};
  auto written = batcher_->write(std::move(send));  // named: no temporary inside co_await (GCC 12)
  std::optional<std::string> json = co_await std::move(written);
  if (!json) co_return std::nullopt;
  co_return SentMessage{std::move(*json), true};
}

awaitable<SentMessage> Messages::send(http::Principal by, std::int64_t conversation_id, SendInput in) {
  if (auto errors = send_input_errors(in); !errors.empty()) throw AppError::validation(std::move(errors));
  if (batcher_ && !in.parent_id && in.attachment_ids.empty()) {
    if (auto sent = co_await send_batched(by, conversation_id, in)) co_return std::move(*sent);
  }
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  // The conversation with the caller's membership and the caller's user row (the sender the
  // answer shows) in one batch, which on PostgreSQL also carries the BEGIN.
  auto first = db::read_all(*tx, ctx_.conversations.read_with_member(conversation_id, by.user_id),
                            ctx_.users.read_by_id(by.user_id));
  auto [found, sender] = co_await std::move(first);
  auto access = access_from(std::move(found));
  require_member(access);
  require_not_archived(access);
  if (!sender) throw AppError::unauthenticated();  // deleted since the request was authenticated
  auto rendered = co_await render_body(ctx_, *tx, conversation_id, in.body);
  db::repositories::NewMessage fresh{.conversation_id = conversation_id,
                                     .sender_id = by.user_id,
                                     .parent_id = in.parent_id,
                                     .body = std::move(in.body),
                                     .html = std::move(rendered.html),
                                     .mentions_everyone = rendered.mentions_everyone,
                                     .client_msg_id = std::move(in.client_msg_id)};
  auto inserted = co_await ctx_.messages.insert(*tx, fresh);
  if (!inserted.created) {  // a retry of a client_msg_id: the original, as it is now
    std::vector<Message> one{std::move(inserted.message)};
    auto views = co_await load_views(*tx, std::move(one), by.user_id);
    co_await tx->commit();
    co_return SentMessage{message_json_text(views.front()), false};
  }
  const std::int64_t message_id = inserted.message.id;
  co_await ctx_.mentions.add(*tx, message_id, rendered.mentions);
  if (!in.attachment_ids.empty()) {
    co_await ctx_.attachments.attach_to_message(*tx, message_id, by.user_id, in.attachment_ids);
  }
  auto view = co_await fresh_view(*tx, std::move(inserted.message), std::move(*sender), std::move(rendered.mentions),
                                  !in.attachment_ids.empty());
  SentMessage out{message_json_text(view), true};
  // The one row lock every send by this user here contends for (their read marker) is taken
  // last, so it is held for the fewest statements. Writing in a conversation means having read it
  // up to here. The event is one row whatever the number of members.
  co_await ctx_.members.advance_read_marker(*tx, conversation_id, by.user_id, message_id);
  co_await tell_members(*tx, events, conversation_id, "message.created", std::string_view(out.json));
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return out;
}

awaitable<MessageView> Messages::get(http::Principal by, std::int64_t message_id) {
  auto located = co_await locate(ctx_.db, message_id, by);
  require_member(located.access);
  std::vector<Message> one{std::move(located.message)};
  auto views = co_await load_views(ctx_.db, std::move(one), by.user_id);
  co_return std::move(views.front());
}

awaitable<MessageView> Messages::edit(http::Principal by, std::int64_t message_id, std::string body) {
  if (auto errors = edit_input_errors(body); !errors.empty()) throw AppError::validation(std::move(errors));
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto located = co_await locate(*tx, message_id, by);
  require_member(located.access);
  const Message& original = located.message;
  if (original.sender_id != by.user_id) throw AppError::forbidden("Only the sender may edit a message.");
  if (original.deleted()) throw AppError::conflict("A deleted message cannot be edited.", "message_deleted");
  require_not_archived(located.access);
  require_within_edit_window(ctx_.settings, original.created_at);
  auto rendered = co_await render_body(ctx_, *tx, original.conversation_id, body);
  auto edited = co_await ctx_.messages.edit(*tx, message_id, by.user_id, body, rendered.html);
  if (!edited) throw AppError::conflict("A deleted message cannot be edited.", "message_deleted");
  co_await ctx_.mentions.replace(*tx, message_id, rendered.mentions);
  std::vector<Message> one{std::move(*edited)};
  auto views = co_await load_views(*tx, std::move(one), by.user_id);
  const auto& m = views.front().message;
  json::array mentions;
  for (auto id : views.front().mentions) mentions.emplace_back(id);
  auto data = message_ref(m);
  data["body"] = m.body;
  data["html"] = m.html;
  data["mentions"] = std::move(mentions);
  data["mentions_everyone"] = m.mentions_everyone;
  data["edited_at"] = m.edited_at ? json::value(*m.edited_at) : json::value(nullptr);
  co_await tell_members(*tx, events, m.conversation_id, "message.updated", data);
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return std::move(views.front());
}

awaitable<void> Messages::remove(http::Principal by, std::int64_t message_id) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto located = co_await locate(*tx, message_id, by);
  // Site admins moderate every conversation; everyone else must be able to see the message.
  if (!by.is_admin()) require_member(located.access);
  const bool allowed = located.message.sender_id == by.user_id || located.access.can_manage(by) || by.is_admin();
  if (!allowed) throw AppError::forbidden("Only the sender or an admin may delete this message.");
  if (located.message.deleted()) co_return;  // idempotent
  auto deleted = co_await ctx_.messages.soft_delete(*tx, message_id);
  if (!deleted) throw AppError::not_found();
  auto data = message_ref(*deleted);
  data["deleted_by"] = by.user_id;
  co_await tell_members(*tx, events, deleted->conversation_id, "message.deleted", data);
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
}

awaitable<std::vector<HistoryEntry>> Messages::history(http::Principal by, std::int64_t message_id) {
  auto located = co_await locate(ctx_.db, message_id, by);
  require_member(located.access);
  auto edits = co_await ctx_.messages.history(ctx_.db, message_id);
  std::vector<std::int64_t> editors;
  for (const auto& e : edits) editors.push_back(e.editor_id);
  std::sort(editors.begin(), editors.end());
  editors.erase(std::unique(editors.begin(), editors.end()), editors.end());
  auto users = co_await ctx_.users.find_many(ctx_.db, editors);
  std::vector<HistoryEntry> out;
  out.reserve(edits.size());
  for (auto& e : edits) {
    auto it = std::find_if(users.begin(), users.end(), [&](const auto& u) { return u.id == e.editor_id; });
    if (it != users.end()) out.push_back(HistoryEntry{std::move(e), *it});
  }
  co_return out;
}

awaitable<void> Messages::react(http::Principal by, std::int64_t message_id, std::string emoji, bool add) {
  if (!is_valid_emoji(emoji)) {
    throw AppError::bad_request("The emoji must be a shortcode like thumbsup or an emoji sequence.", "invalid_emoji");
  }
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto located = co_await locate(*tx, message_id, by);
  require_member(located.access);
  if (located.message.deleted()) throw AppError::conflict("A deleted message takes no reactions.", "message_deleted");
  if (add) require_not_archived(located.access);
  bool changed = false;
  if (add) {
    changed = co_await ctx_.reactions.add(*tx, message_id, by.user_id, emoji);
  } else {
    changed = co_await ctx_.reactions.remove(*tx, message_id, by.user_id, emoji);
  }
  if (changed) {
    auto data = message_ref(located.message);
    data.erase("id");
    data["message_id"] = message_id;
    data["emoji"] = emoji;
    data["user_id"] = by.user_id;
    std::string_view type = add ? "reaction.added" : "reaction.removed";
    co_await tell_members(*tx, events, located.message.conversation_id, type, data);
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
}

awaitable<SearchListing> Messages::search(http::Principal by, db::repositories::SearchQuery query) {
  query.viewer_id = by.user_id;
  const auto limit = static_cast<std::size_t>(query.limit);
  auto hits = co_await ctx_.search.search(ctx_.db, query);
  SearchListing listing;
  listing.more = hits.size() > limit;
  if (listing.more) hits.resize(limit);
  std::vector<std::int64_t> ids;
  for (const auto& h : hits) ids.push_back(h.message_id);
  auto messages = co_await ctx_.messages.find_many(ctx_.db, ids);
  auto views = co_await load_views(ctx_.db, std::move(messages), by.user_id);
  for (auto& hit : hits) {
    auto it =
        std::find_if(views.begin(), views.end(), [&](const MessageView& v) { return v.message.id == hit.message_id; });
    if (it != views.end()) listing.results.push_back(SearchResult{std::move(hit), std::move(*it)});
  }
  co_return listing;
}

awaitable<http::BodyProducer> Messages::export_conversation(http::Principal by, std::int64_t conversation_id) {
  auto access = co_await load_access(ctx_, ctx_.db, conversation_id, by);
  require_member(access);
  MessagingContext& ctx = ctx_;
  co_return [&ctx, conversation_id](http::BodyWriter& out) -> awaitable<void> {
    std::string chunk;
    std::function<awaitable<void>(std::vector<db::repositories::ExportedMessage>&)> write_batch =
        [&](std::vector<db::repositories::ExportedMessage>& batch) -> awaitable<void> {
      chunk.clear();
      for (const auto& e : batch) {
        chunk += json::serialize(export_json(e));
        chunk.push_back('\n');
      }
      co_await out.write(chunk);
    };
    co_await ctx.messages.stream_conversation(ctx.db, conversation_id, kExportBatch, write_batch);
  };
}

}  // namespace parley::messaging
