#include "db/repositories/attachment_repository.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "core/error.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_ATTACHMENT_COLUMNS(TIME, p)                                               \
  p "id, " p "uploader_id, " p "filename, " p "content_type, " p "size, " p "sha256, " p \
    "storage_key, " TIME(p "created_at")

#define PARLEY_SQL_CREATE(TIME, NOW)                                                          \
  "INSERT INTO attachments (uploader_id, filename, content_type, size, sha256, storage_key) " \
  "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " PARLEY_ATTACHMENT_COLUMNS(TIME, "")
#define PARLEY_SQL_FIND(TIME, NOW) "SELECT " PARLEY_ATTACHMENT_COLUMNS(TIME, "") " FROM attachments WHERE id = $1"
// The page's links through the primary key (message_id, attachment_id), then each attachment by id.
#define PARLEY_SQL_FOR_MESSAGES_PG(TIME, NOW) \
  "SELECT ma.message_id, " PARLEY_ATTACHMENT_COLUMNS(TIME, "a.") " FROM message_attachments ma "       \
  "JOIN attachments a ON a.id = ma.attachment_id WHERE ma.message_id = ANY (CAST($1 AS bigint[])) " \
  "ORDER BY ma.message_id, ma.position"
#define PARLEY_SQL_FOR_MESSAGES_SQLITE(TIME, NOW) \
  "SELECT ma.message_id, " PARLEY_ATTACHMENT_COLUMNS(TIME, "a.") " FROM message_attachments ma "         \
  "JOIN attachments a ON a.id = ma.attachment_id WHERE ma.message_id IN (SELECT value FROM json_each($1)) " \
  "ORDER BY ma.message_id, ma.position"

constexpr DualQuery kCreate = PARLEY_DUAL("attachments.create", PARLEY_SQL_CREATE);
constexpr DualQuery kFind = PARLEY_DUAL("attachments.find", PARLEY_SQL_FIND);
constexpr DualQuery kForMessages{"attachments.for_messages", PARLEY_SQL_FOR_MESSAGES_PG(PARLEY_PG_TIME, PARLEY_PG_NOW),
                                 PARLEY_SQL_FOR_MESSAGES_SQLITE(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW)};
// How many of the listed ids `uploader_id` uploaded (primary key lookups).
constexpr DualQuery kOwnedBy{
    "attachments.count_owned_by",
    "SELECT count(*) FROM attachments WHERE uploader_id = $1 AND id = ANY (CAST($2 AS bigint[]))",
    "SELECT count(*) FROM attachments WHERE uploader_id = $1 AND id IN (SELECT value FROM json_each($2))"};
// Every link in one statement; position = the id's index in the list.
constexpr DualQuery kLink{"attachments.link_to_message",
                          "INSERT INTO message_attachments (message_id, attachment_id, position) "
                          "SELECT CAST($1 AS bigint), t.id, CAST(t.n - 1 AS integer) "
                          "FROM unnest(CAST($2 AS bigint[])) WITH ORDINALITY AS t(id, n)",
                          "INSERT INTO message_attachments (message_id, attachment_id, position) "
                          "SELECT CAST($1 AS INTEGER), value, key FROM json_each($2)"};
// Download permission: message_attachments_attachment_idx finds where it was posted, then the
// message (PK) and the caller's membership (PK (conversation_id, user_id)).
constexpr Query kVisible{"attachments.visible_in_conversation_of",
                         "SELECT 1 FROM message_attachments ma "
                         "JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL "
                         "JOIN conversation_members cm ON cm.conversation_id = m.conversation_id "
                         "AND cm.user_id = $2 AND cm.banned_at IS NULL "
                         "WHERE ma.attachment_id = $1 LIMIT 1"};

#undef PARLEY_SQL_CREATE
#undef PARLEY_SQL_FIND
#undef PARLEY_SQL_FOR_MESSAGES_PG
#undef PARLEY_SQL_FOR_MESSAGES_SQLITE

// Columns from `first` on, in PARLEY_ATTACHMENT_COLUMNS order.
Attachment to_attachment(const Row& r, std::size_t first = 0) {
  return Attachment{.id = r.int64(first),
                    .uploader_id = r.int64(first + 1),
                    .filename = r.text(first + 2),
                    .content_type = r.text(first + 3),
                    .size = r.int64(first + 4),
                    .sha256 = r.text(first + 5),
                    .storage_key = r.text(first + 6),
                    .created_at = r.text(first + 7)};
}

AppError refused_ids(std::string message) { return AppError::validation({{"attachment_ids", {std::move(message)}}}); }

}  // namespace

AttachmentRepository::AttachmentRepository(Dialect d)
    : dialect_(d),
      create_(kCreate.pick(d)),
      find_(kFind.pick(d)),
      owned_by_(kOwnedBy.pick(d)),
      link_(kLink.pick(d)),
      for_messages_(kForMessages.pick(d)),
      visible_(kVisible) {}

awaitable<Attachment> AttachmentRepository::create(Executor& db, const NewAttachment& a) {
  std::array<Value, 6> params{a.uploader_id, a.filename, a.content_type, a.size, a.sha256, a.storage_key};
  co_return to_attachment((co_await db.execute(create_, params)).one());
}

awaitable<std::optional<Attachment>> AttachmentRepository::find(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(find_, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_attachment(rs.rows.front());
}

awaitable<void> AttachmentRepository::attach_to_message(Executor& db, std::int64_t message_id, std::int64_t uploader_id,
                                                        std::span<const std::int64_t> attachment_ids) {
  if (attachment_ids.empty()) co_return;
  if (attachment_ids.size() > kMaxPerMessage) {
    throw refused_ids("A message carries at most " + std::to_string(kMaxPerMessage) + " attachments.");
  }
  std::set<std::int64_t> distinct(attachment_ids.begin(), attachment_ids.end());
  if (distinct.size() != attachment_ids.size()) throw refused_ids("Attachment ids must not repeat.");
  std::array<Value, 2> owned_params{uploader_id, id_list_param(dialect_, attachment_ids)};
  ResultSet owned = co_await db.execute(owned_by_, owned_params);
  if (owned.one().int64(0) != static_cast<std::int64_t>(attachment_ids.size())) {
    // Unknown and someone else's look the same: uploads are private until posted.
    throw refused_ids("Each attachment id must be an upload of yours.");
  }
  std::array<Value, 2> link_params{message_id, id_list_param(dialect_, attachment_ids)};
  co_await db.execute(link_, link_params);
}

awaitable<std::vector<MessageAttachment>> AttachmentRepository::for_messages(
    Executor& db, std::span<const std::int64_t> message_ids) {
  if (message_ids.empty()) co_return std::vector<MessageAttachment>{};
  co_return co_await read(db, read_for_messages(message_ids));
}

Read<std::vector<MessageAttachment>> AttachmentRepository::read_for_messages(
    std::span<const std::int64_t> message_ids) const {
  return {for_messages_, {id_list_param(dialect_, message_ids)}, [](const ResultSet& rs) {
            std::vector<MessageAttachment> out;
            out.reserve(rs.rows.size());
            for (const Row& r : rs.rows)
              out.push_back(MessageAttachment{.message_id = r.int64(0), .attachment = to_attachment(r, 1)});
            return out;
          }};
}

awaitable<bool> AttachmentRepository::visible_in_conversation_of(Executor& db, std::int64_t attachment_id,
                                                                 std::int64_t user_id) {
  std::array<Value, 2> params{attachment_id, user_id};
  ResultSet rs = co_await db.execute(visible_, params);
  co_return !rs.empty();
}

}  // namespace parley::db::repositories
