#include "db/repositories/message_repository.hpp"

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_MESSAGE_COLUMNS(TIME)                                                                             \
  "id, conversation_id, sender_id, parent_id, body, html, mentions_everyone, client_msg_id, reply_count, " TIME( \
      "last_reply_at") ", " TIME("created_at") ", " TIME("edited_at") ", " TIME("deleted_at")

// ON CONFLICT names the partial unique index messages_sender_client_msg_key: a retry inserts
// nothing and returns no row; the caller then reads the original.
#define PARLEY_SQL_INSERT(TIME, NOW)                                                                            \
  "INSERT INTO messages (conversation_id, sender_id, parent_id, body, html, mentions_everyone, client_msg_id) " \
  "VALUES ($1, $2, $3, $4, $5, $6, $7) "                                                                        \
  "ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING "                          \
  "RETURNING " PARLEY_MESSAGE_COLUMNS(TIME)
#define PARLEY_SQL_FIND(TIME, NOW) "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages WHERE id = $1"
#define PARLEY_SQL_FIND_MANY_PG(TIME, NOW) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages WHERE id = ANY (CAST($1 AS bigint[])) ORDER BY id"
#define PARLEY_SQL_FIND_MANY_SQLITE(TIME, NOW) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages WHERE id IN (SELECT value FROM json_each($1)) ORDER BY id"
// Export: every message of the conversation by id, with its sender's names.
#define PARLEY_SQL_EXPORT(TIME, NOW) \
  "SELECT m.id, m.conversation_id, m.sender_id, m.parent_id, m.body, m.html, m.mentions_everyone, "         \
  "m.client_msg_id, m.reply_count, " TIME("m.last_reply_at") ", " TIME("m.created_at") ", " TIME("m.edited_at") \
  ", " TIME("m.deleted_at") ", u.username, u.display_name "                                                  \
  "FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.conversation_id = $1 ORDER BY m.id"
#define PARLEY_SQL_FIND_BY_CLIENT_MSG_ID(TIME, NOW) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages WHERE sender_id = $1 AND client_msg_id = $2"
// Pages: ($1 conversation, $2 cursor, $3 limit, $4 sender or NULL, $5 since or NULL, $6 until or
// NULL[, $7 parent]). Top level is served by messages_conversation_idx, a thread by
// messages_thread_idx; the filters narrow the rows those indexes yield in id order.
#define PARLEY_MESSAGE_FILTERS(AT) \
  " AND (CAST($4 AS bigint) IS NULL OR sender_id = $4)"                                              \
  " AND (" AT("$5") " IS NULL OR created_at >= " AT("$5") ")"                                        \
  " AND (" AT("$6") " IS NULL OR created_at < " AT("$6") ")"
#define PARLEY_SQL_TOP_BEFORE(TIME, NOW, AT) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages "                                           \
  "WHERE conversation_id = $1 AND parent_id IS NULL AND id < $2" PARLEY_MESSAGE_FILTERS(AT)          \
  " ORDER BY id DESC LIMIT $3"
#define PARLEY_SQL_TOP_AFTER(TIME, NOW, AT) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages "                                           \
  "WHERE conversation_id = $1 AND parent_id IS NULL AND id > $2" PARLEY_MESSAGE_FILTERS(AT)          \
  " ORDER BY id LIMIT $3"
#define PARLEY_SQL_THREAD_BEFORE(TIME, NOW, AT) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages "                                           \
  "WHERE parent_id = $7 AND id < $2 AND conversation_id = $1" PARLEY_MESSAGE_FILTERS(AT)             \
  " ORDER BY id DESC LIMIT $3"
#define PARLEY_SQL_THREAD_AFTER(TIME, NOW, AT) \
  "SELECT " PARLEY_MESSAGE_COLUMNS(TIME) " FROM messages "                                           \
  "WHERE parent_id = $7 AND id > $2 AND conversation_id = $1" PARLEY_MESSAGE_FILTERS(AT)             \
  " ORDER BY id LIMIT $3"
#define PARLEY_SQL_EDIT(TIME, NOW)                             \
  "UPDATE messages SET body = $2, html = $3, edited_at = " NOW \
  " WHERE id = $1 AND deleted_at IS NULL "                     \
  "RETURNING " PARLEY_MESSAGE_COLUMNS(TIME)
#define PARLEY_SQL_HISTORY(TIME, NOW)                                      \
  "SELECT id, message_id, editor_id, previous_body, previous_html, " TIME( \
      "edited_at") " FROM message_edits WHERE message_id = $1 ORDER BY id"
#define PARLEY_SQL_SOFT_DELETE(TIME, NOW)                       \
  "UPDATE messages SET body = '', html = '', deleted_at = " NOW \
  " WHERE id = $1 AND deleted_at IS NULL "                      \
  "RETURNING " PARLEY_MESSAGE_COLUMNS(TIME)

constexpr DualQuery kInsert = PARLEY_DUAL("messages.insert", PARLEY_SQL_INSERT);
// PostgreSQL only; $1 is a JSON array of rows. A row is inserted only when its sender exists and
// is an unbanned member of its conversation, which is not archived (the rules of a send alone,
// which answers the others with their errors), and its (sender, client_msg_id) is new. Each
// inserted row takes its id from the identity's own sequence in `allowed` (materialized: referenced
// twice, and nextval is volatile; PostgreSQL evaluates a volatile output column after the ORDER BY,
// so the ids ascend with `slot`), so the ids interleave with those of single inserts as those do
// among themselves. The final SELECT answers with each inserted row and its `slot` (last).
constexpr Query kInsertMany{
    "messages.insert_many",
    "WITH input AS ("
    " SELECT m.* FROM json_to_recordset(CAST($1 AS json)) AS m(slot integer, conversation_id bigint,"
    " sender_id bigint, body text, html text, mentions_everyone boolean, client_msg_id text)),"
    " allowed AS ("
    " SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id, i.* FROM input i"
    " JOIN conversations c ON c.id = i.conversation_id AND c.archived_at IS NULL"
    " JOIN conversation_members cm ON cm.conversation_id = i.conversation_id AND cm.user_id = i.sender_id"
    " AND cm.banned_at IS NULL"
    " JOIN users u ON u.id = i.sender_id"
    " ORDER BY i.slot),"
    " inserted AS ("
    " INSERT INTO messages (id, conversation_id, sender_id, body, html, mentions_everyone, client_msg_id)"
    " OVERRIDING SYSTEM VALUE"
    " SELECT id, conversation_id, sender_id, body, html, mentions_everyone, client_msg_id FROM allowed ORDER BY id"
    " ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING"
    " RETURNING " PARLEY_MESSAGE_COLUMNS(PARLEY_PG_TIME) ") "
    "SELECT inserted.*, allowed.slot FROM allowed JOIN inserted ON inserted.id = allowed.id ORDER BY allowed.slot"};
constexpr DualQuery kFind = PARLEY_DUAL("messages.find", PARLEY_SQL_FIND);
// $1 is an id list (id_list_param).
constexpr DualQuery kFindMany{"messages.find_many", PARLEY_SQL_FIND_MANY_PG(PARLEY_PG_TIME, PARLEY_PG_NOW),
                              PARLEY_SQL_FIND_MANY_SQLITE(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW)};
constexpr DualQuery kExport = PARLEY_DUAL("messages.export", PARLEY_SQL_EXPORT);
constexpr DualQuery kFindByClientMsgId =
    PARLEY_DUAL("messages.find_by_client_msg_id", PARLEY_SQL_FIND_BY_CLIENT_MSG_ID);
constexpr DualQuery kTopBefore = PARLEY_DUAL_AT("messages.page_top_before", PARLEY_SQL_TOP_BEFORE);
constexpr DualQuery kTopAfter = PARLEY_DUAL_AT("messages.page_top_after", PARLEY_SQL_TOP_AFTER);
constexpr DualQuery kThreadBefore = PARLEY_DUAL_AT("messages.page_thread_before", PARLEY_SQL_THREAD_BEFORE);
constexpr DualQuery kThreadAfter = PARLEY_DUAL_AT("messages.page_thread_after", PARLEY_SQL_THREAD_AFTER);
constexpr DualQuery kEdit = PARLEY_DUAL("messages.edit", PARLEY_SQL_EDIT);
constexpr DualQuery kHistory = PARLEY_DUAL("messages.history", PARLEY_SQL_HISTORY);
constexpr DualQuery kSoftDelete = PARLEY_DUAL("messages.soft_delete", PARLEY_SQL_SOFT_DELETE);

// Same text on both dialects.
constexpr Query kBumpParent{"messages.bump_parent",
                            "UPDATE messages SET reply_count = reply_count + 1, "
                            "last_reply_at = (SELECT r.created_at FROM messages r WHERE r.id = $2) WHERE id = $1"};
constexpr Query kRecordEdit{
    "messages.record_edit",
    "INSERT INTO message_edits (message_id, editor_id, previous_body, previous_html) "
    "SELECT id, CAST($2 AS bigint), body, html FROM messages WHERE id = $1 AND deleted_at IS NULL"};
constexpr Query kDeleteEdits{"messages.delete_edits", "DELETE FROM message_edits WHERE message_id = $1"};
constexpr Query kDeleteReactions{"messages.delete_reactions", "DELETE FROM reactions WHERE message_id = $1"};
constexpr Query kDeleteMentions{"messages.delete_mentions", "DELETE FROM mentions WHERE message_id = $1"};

constexpr std::size_t kMessageColumns = 13;  // PARLEY_MESSAGE_COLUMNS, which to_message() reads

Message to_message(const Row& r) {
  return Message{.id = r.int64(0),
                 .conversation_id = r.int64(1),
                 .sender_id = r.int64(2),
                 .parent_id = r.opt_int64(3),
                 .body = r.text(4),
                 .html = r.text(5),
                 .mentions_everyone = r.boolean(6),
                 .client_msg_id = r.opt_text(7),
                 .reply_count = r.int64(8),
                 .last_reply_at = r.opt_text(9),
                 .created_at = r.text(10),
                 .edited_at = r.opt_text(11),
                 .deleted_at = r.opt_text(12)};
}

std::optional<Message> first_message(const ResultSet& rs) {
  if (rs.empty()) return std::nullopt;
  return to_message(rs.rows.front());
}

template <typename T>
Value opt(const std::optional<T>& v) {
  return v ? Value{*v} : Value{nullptr};
}

}  // namespace

MessageRepository::MessageRepository(Dialect d)
    : q_{.insert = kInsert.pick(d),
         .find = kFind.pick(d),
         .find_by_client_msg_id = kFindByClientMsgId.pick(d),
         .bump_parent = kBumpParent,
         .top_before = kTopBefore.pick(d),
         .top_after = kTopAfter.pick(d),
         .thread_before = kThreadBefore.pick(d),
         .thread_after = kThreadAfter.pick(d),
         .edit = kEdit.pick(d),
         .history = kHistory.pick(d),
         .soft_delete = kSoftDelete.pick(d),
         .find_many = kFindMany.pick(d),
         .export_all = kExport.pick(d)},
      dialect_(d) {}

Read<std::vector<SlottedMessage>> MessageRepository::insert_many(std::span<const NewMessage> messages) const {
  if (dialect_ != Dialect::postgres) throw AppError::internal("messages.insert_many is PostgreSQL only");
  std::string rows;
  std::size_t size = 2;
  for (const NewMessage& m : messages) size += 160 + m.body.size() + m.html.size();
  rows.reserve(size);
  core::JsonWriter out(rows);
  out.begin_array();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const NewMessage& m = messages[i];
    if (m.parent_id) throw AppError::internal("messages.insert_many takes top-level messages only");
    out.begin_object();
    out.key("slot");
    out.value(static_cast<std::int64_t>(i));
    out.key("conversation_id");
    out.value(m.conversation_id);
    out.key("sender_id");
    out.value(m.sender_id);
    out.key("body");
    out.value(std::string_view(m.body));
    out.key("html");
    out.value(std::string_view(m.html));
    out.key("mentions_everyone");
    out.value(m.mentions_everyone);
    out.key("client_msg_id");
    out.value(m.client_msg_id);
    out.end_object();
  }
  out.end_array();
  return {kInsertMany, {std::move(rows)}, [](const ResultSet& rs) {
            std::vector<SlottedMessage> stored;
            stored.reserve(rs.rows.size());
            for (const Row& r : rs.rows) {
              stored.push_back({static_cast<std::size_t>(r.int64(kMessageColumns)), to_message(r)});
            }
            return stored;
          }};
}

awaitable<InsertedMessage> MessageRepository::insert(Executor& db, const NewMessage& m) {
  if (m.parent_id) {
    std::optional<Message> parent = co_await find(db, *m.parent_id);
    if (!parent || parent->conversation_id != m.conversation_id || parent->parent_id) {
      throw AppError::bad_request("parent_id is not a top-level message of this conversation.", "invalid_reference");
    }
  }
  std::array<Value, 7> params{m.conversation_id,   m.sender_id,         opt(m.parent_id), m.body, m.html,
                              m.mentions_everyone, opt(m.client_msg_id)};
  ResultSet rs = co_await db.execute(q_.insert, params);
  if (rs.empty()) {
    // A retry: (sender, client_msg_id) exists. Under READ COMMITTED the INSERT waited for a
    // concurrent first attempt to commit, so the original is visible.
    std::array<Value, 2> key{m.sender_id, opt(m.client_msg_id)};
    Message original = to_message((co_await db.execute(q_.find_by_client_msg_id, key)).one());
    if (original.conversation_id != m.conversation_id) {
      throw AppError::conflict("client_msg_id was already used for another conversation.");
    }
    co_return InsertedMessage{std::move(original), false};
  }
  Message created = to_message(rs.rows.front());
  if (created.parent_id) {
    std::array<Value, 2> bump{*created.parent_id, created.id};
    co_await db.execute(q_.bump_parent, bump);
  }
  co_return InsertedMessage{std::move(created), true};
}

awaitable<std::optional<Message>> MessageRepository::find(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  co_return first_message(co_await db.execute(q_.find, params));
}

awaitable<std::vector<Message>> MessageRepository::find_many(Executor& db, std::span<const std::int64_t> ids) {
  std::vector<Message> out;
  if (ids.empty()) co_return out;
  std::array<Value, 1> params{id_list_param(dialect_, ids)};
  ResultSet rs = co_await db.execute(q_.find_many, params);
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(to_message(r));
  co_return out;
}

awaitable<std::vector<Message>> MessageRepository::fetch(Executor& db, std::int64_t conversation_id,
                                                         const PageQuery& query, bool older, std::int64_t cursor,
                                                         std::int64_t limit) {
  ResultSet rs;
  std::array<Value, 7> params{
      conversation_id, cursor, limit, opt(query.sender_id), opt(query.since), opt(query.until), opt(query.parent_id)};
  if (query.parent_id) {
    rs = co_await db.execute(older ? q_.thread_before : q_.thread_after, params);
  } else {
    std::span<const Value> top(params.data(), 6);
    rs = co_await db.execute(older ? q_.top_before : q_.top_after, top);
  }
  std::vector<Message> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(to_message(r));
  co_return out;
}

awaitable<MessagePage> MessageRepository::page(Executor& db, std::int64_t conversation_id, const PageQuery& query) {
  const std::int64_t limit = clamp_limit(query.limit);
  MessagePage page;
  if (query.around) {
    // The older half strictly before `around`, the rest from `around` on; one extra row each way
    // tells whether more exist.
    const std::int64_t older_n = limit / 2;
    const std::int64_t newer_n = limit - older_n;
    std::vector<Message> older = co_await fetch(db, conversation_id, query, true, *query.around, older_n + 1);
    std::vector<Message> newer = co_await fetch(db, conversation_id, query, false, *query.around - 1, newer_n + 1);
    page.has_older = static_cast<std::int64_t>(older.size()) > older_n;
    page.has_newer = static_cast<std::int64_t>(newer.size()) > newer_n;
    if (page.has_older) older.pop_back();
    if (page.has_newer) newer.pop_back();
    page.messages.assign(std::make_move_iterator(older.rbegin()), std::make_move_iterator(older.rend()));
    page.messages.insert(page.messages.end(), std::make_move_iterator(newer.begin()),
                         std::make_move_iterator(newer.end()));
    co_return page;
  }
  // Default: the newest top-level messages, or a thread from its first reply.
  const bool older = query.before.has_value() || (!query.after && !query.parent_id);
  if (older) {
    const std::int64_t cursor = query.before.value_or(kNoUpperId);
    std::vector<Message> rows = co_await fetch(db, conversation_id, query, true, cursor, limit + 1);
    page.has_older = static_cast<std::int64_t>(rows.size()) > limit;
    if (page.has_older) rows.pop_back();
    std::reverse(rows.begin(), rows.end());
    // Anything newer than the newest row returned (or than the cursor, for an empty page)? Only a
    // `before` cursor can leave newer messages out: the newest page has none by definition.
    const std::int64_t from = rows.empty() ? cursor - 1 : rows.back().id;
    if (query.before) {
      std::vector<Message> probe = co_await fetch(db, conversation_id, query, false, from, 1);
      page.has_newer = !probe.empty();
    }
    page.messages = std::move(rows);
  } else {
    const std::int64_t cursor = query.after.value_or(kNoLowerId);
    std::vector<Message> rows = co_await fetch(db, conversation_id, query, false, cursor, limit + 1);
    page.has_newer = static_cast<std::int64_t>(rows.size()) > limit;
    if (page.has_newer) rows.pop_back();
    const std::int64_t from = rows.empty() ? cursor + 1 : rows.front().id;
    std::vector<Message> probe = co_await fetch(db, conversation_id, query, true, from, 1);
    page.has_older = !probe.empty();
    page.messages = std::move(rows);
  }
  co_return page;
}

awaitable<std::optional<Message>> MessageRepository::edit(Executor& db, std::int64_t id, std::int64_t editor_id,
                                                          std::string_view body, std::string_view html) {
  std::array<Value, 2> record{id, editor_id};
  if ((co_await db.execute(kRecordEdit, record)).affected_rows == 0) co_return std::nullopt;
  std::array<Value, 3> params{id, std::string(body), std::string(html)};
  co_return first_message(co_await db.execute(q_.edit, params));
}

awaitable<void> MessageRepository::stream_conversation(
    Database& db, std::int64_t conversation_id, std::size_t batch_size,
    std::function<awaitable<void>(std::vector<ExportedMessage>&)> on_batch) {
  std::array<Value, 1> params{conversation_id};
  std::vector<ExportedMessage> batch;
  // A named std::function: GCC 12 mishandles temporaries inside a co_await expression.
  std::function<awaitable<void>(std::vector<Row>&)> convert = [&](std::vector<Row>& rows) -> awaitable<void> {
    batch.clear();
    batch.reserve(rows.size());
    for (const Row& r : rows) batch.push_back(ExportedMessage{to_message(r), r.text(13), r.text(14)});
    co_await on_batch(batch);
  };
  co_await db.stream(q_.export_all, params, batch_size, convert);
}

awaitable<std::vector<MessageEdit>> MessageRepository::history(Executor& db, std::int64_t message_id) {
  std::array<Value, 1> params{message_id};
  ResultSet rs = co_await db.execute(q_.history, params);
  std::vector<MessageEdit> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) {
    out.push_back(MessageEdit{.id = r.int64(0),
                              .message_id = r.int64(1),
                              .editor_id = r.int64(2),
                              .previous_body = r.text(3),
                              .previous_html = r.text(4),
                              .edited_at = r.text(5)});
  }
  co_return out;
}

awaitable<std::optional<Message>> MessageRepository::soft_delete(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  std::optional<Message> deleted = first_message(co_await db.execute(q_.soft_delete, params));
  if (!deleted) co_return co_await find(db, id);  // unknown (nullopt) or deleted before
  // The content goes with the message: earlier versions, reactions and mentions.
  co_await db.execute(kDeleteEdits, params);
  co_await db.execute(kDeleteReactions, params);
  co_await db.execute(kDeleteMentions, params);
  co_return deleted;
}

}  // namespace parley::db::repositories
