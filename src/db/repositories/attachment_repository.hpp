#pragma once
// Attachments (tables attachments, message_attachments): uploaded files' metadata, their links to
// the messages they were posted with, and who may download them. The bytes live in the upload
// directory under `storage_key` (src/uploads/blob_store.hpp), never in the database.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "db/read.hpp"

namespace parley::db::repositories {

struct Attachment {
  std::int64_t id = 0;
  std::int64_t uploader_id = 0;
  std::string filename;      // sanitized: no path, no control characters, 1..255 bytes
  std::string content_type;  // sniffed from the content, never taken from the client
  std::int64_t size = 0;
  std::string sha256;       // 64 lower-case hex digits
  std::string storage_key;  // 32 lower-case hex digits, chosen by the server
  std::string created_at;
};

struct MessageAttachment {
  std::int64_t message_id = 0;
  Attachment attachment;
};

struct NewAttachment {
  std::int64_t uploader_id = 0;
  std::string filename;
  std::string content_type;
  std::int64_t size = 0;
  std::string sha256;
  std::string storage_key;
};

class AttachmentRepository {
 public:
  // Most attachments one message may carry.
  static constexpr std::size_t kMaxPerMessage = 10;

  explicit AttachmentRepository(Dialect dialect);

  // Inserts the row of a stored upload. 400 (constraint_violation) when a field breaks the schema's
  // CHECKs; 409 for a storage key that exists.
  boost::asio::awaitable<Attachment> create(Executor& db, const NewAttachment& attachment);
  boost::asio::awaitable<std::optional<Attachment>> find(Executor& db, std::int64_t id);

  // Links attachments to a new message in the given order (position). AppError 400 with field error
  // "attachment_ids" when an id does not exist or was not uploaded by `uploader_id`, or repeats; at
  // most 10 ids. Pass the message's Transaction so the links commit with it. Nothing is written when
  // the ids are refused.
  boost::asio::awaitable<void> attach_to_message(Executor& db, std::int64_t message_id, std::int64_t uploader_id,
                                                 std::span<const std::int64_t> attachment_ids);

  // The attachments of every message in `message_ids` (a page), ordered by message id then
  // position. Messages without attachments have no entries. One statement whatever the page size.
  boost::asio::awaitable<std::vector<MessageAttachment>> for_messages(Executor& db,
                                                                      std::span<const std::int64_t> message_ids);
  Read<std::vector<MessageAttachment>> read_for_messages(std::span<const std::int64_t> message_ids) const;  // to batch

  // Whether `user_id` may download attachment `attachment_id` as a reader of a conversation: a
  // message that is not deleted carries it, in a conversation where the user is a member and not
  // banned. (The uploader may always download it; that is the caller's check.)
  boost::asio::awaitable<bool> visible_in_conversation_of(Executor& db, std::int64_t attachment_id,
                                                          std::int64_t user_id);

 private:
  Dialect dialect_;
  Query create_, find_, owned_by_, link_, for_messages_, visible_;
};

}  // namespace parley::db::repositories
