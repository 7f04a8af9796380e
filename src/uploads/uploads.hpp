#pragma once
// Upload and download actions (docs/api.md "Uploads"; docs/uploads.md).
//
//   Uploads uploads(db, {.dir = "var/uploads", .max_bytes = 25 << 20}, registry, logger);
//   Attachment a = co_await uploads.do_upload(principal, content_type, req.body_stream());
//   Attachment b = co_await uploads.check_download(principal, id, filename);   // 404 unless allowed
//   http::BodyProducer body = co_await uploads.open_download(b);               // streams from disk
//
// An upload is read from the request as it arrives (multipart/form-data, field `file`), written to
// a temporary file while SHA-256 and the size are computed, typed from its first bytes by libmagic,
// moved under a random key and recorded in `attachments`; any failure (bad multipart, too large,
// the client gone) removes the temporary file. Memory per upload is bounded by the read chunk
// (64 KiB) plus the sniffing window (64 KiB), whatever the file's size. Disk writes, hashing,
// sniffing and reads run on the Uploads' own thread pool, never on an I/O thread.
//
// Thread-safe; must outlive every operation started on it (the composition root owns it).
#include "db/database.hpp"
#include "db/repositories/attachment_repository.hpp"
#include "http/body_stream.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "uploads/blob_store.hpp"
#include "uploads/mime_sniffer.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace spdlog {
class logger;
}

namespace parley::uploads {

using db::repositories::Attachment;

struct UploadOptions {
  std::filesystem::path dir = "var/uploads";
  std::uint64_t max_bytes = 25 * 1024 * 1024;  // the largest file (413 beyond)
  unsigned threads = 2;                        // the blocking pool
};

class Uploads {
 public:
  // Bytes read from the request, and from disk for a download, per step.
  static constexpr std::size_t kChunkBytes = 64 * 1024;
  // Room for the multipart framing (boundaries, part headers, small extra fields) on top of the
  // largest file: the upload route's request-body limit is max_bytes + this.
  static constexpr std::uint64_t kMultipartOverheadBytes = 64 * 1024;

  // Creates the upload folder, loads libmagic's database and removes temporary files a crash left
  // (older than a day). Throws std::runtime_error naming the problem (the server refuses to start).
  Uploads(db::Database& db, UploadOptions options, prometheus::Registry& registry, spdlog::logger& logger);
  ~Uploads();
  Uploads(const Uploads&) = delete;
  Uploads& operator=(const Uploads&) = delete;

  // Stores the file of a multipart/form-data body for `uploader` and records it. The form's file is
  // the part named `file`, which must carry a filename; other fields are ignored (at most 8 parts).
  // Throws AppError: 400 (`malformed_multipart`) for a body that is not valid multipart; 400
  // (validation, field `file`) when there is no file part, it has no filename, or there are two;
  // 413 when the file is larger than max_bytes (or the body than the route allows); the body
  // stream's 400/408 when the client goes away or stalls. Nothing stays on disk after a failure.
  boost::asio::awaitable<Attachment> do_upload(const http::Principal& uploader, std::string_view content_type,
                                               http::BodyStream& body);

  // The attachment `id` if `viewer` may download it under `filename` (the stored, sanitized name,
  // exactly): the uploader, or a member (not banned) of a conversation where a message that is not
  // deleted carries it. Everyone and everything else gets AppError 404, so ids reveal nothing.
  boost::asio::awaitable<Attachment> check_download(const http::Principal& viewer, std::int64_t id,
                                                    std::string_view filename);

  // Opens the stored bytes of `attachment` and returns the producer that streams them
  // (attachment.size bytes, kChunkBytes at a time, read on the blocking pool). Throws AppError 500
  // when the file is missing or its size differs from the record (logged; an operator must look).
  boost::asio::awaitable<http::BodyProducer> open_download(const Attachment& attachment);

  // Deletes the uploads no message carries that are older than `older_than` (uploaded, never
  // sent: an abandoned draft), rows first and then their files, in batches; returns how many.
  // A file whose removal fails stays on disk, unreferenced (BlobStore::remove ignores errors).
  boost::asio::awaitable<std::int64_t> purge_orphans(std::chrono::seconds older_than);

  // The upload route's request-body limit.
  std::uint64_t max_request_bytes() const noexcept { return options_.max_bytes + kMultipartOverheadBytes; }
  std::uint64_t max_file_bytes() const noexcept { return options_.max_bytes; }
  const BlobStore& store() const noexcept { return store_; }

 private:
  // Records the largest number of upload bytes any upload held in memory between two reads.
  void note_buffered(std::size_t bytes) noexcept;

  db::Database& db_;
  UploadOptions options_;
  spdlog::logger& logger_;
  db::repositories::AttachmentRepository attachments_;
  BlobStore store_;
  MimeSniffer sniffer_;
  prometheus::Counter& stored_;
  prometheus::Counter& refused_;
  prometheus::Counter& failed_;
  prometheus::Counter& stored_bytes_;
  prometheus::Gauge& peak_buffered_;
  std::atomic<std::size_t> peak_buffered_bytes_{0};
  boost::asio::thread_pool pool_;  // last: joined first, while everything its work uses is alive
};

}  // namespace parley::uploads
