#include "uploads/uploads.hpp"

#include "core/error.hpp"
#include "db/repositories/maintenance_repository.hpp"
#include "db/sqlite/offload.hpp"
#include "uploads/filename.hpp"
#include "uploads/multipart.hpp"

#include <spdlog/logger.h>

#include <algorithm>
#include <exception>
#include <vector>

namespace parley::uploads {
namespace {

using boost::asio::awaitable;
using db::sqlite::offload;

constexpr std::string_view kFileField = "file";

prometheus::Family<prometheus::Counter>& uploads_family(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("parley_uploads_total")
      .Help("Uploads by result: stored, refused (the client's fault) or failed (the server's)")
      .Register(registry);
}

std::string megabytes(std::uint64_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Picks the form's file out of the multipart stream: keeps the bytes of the part named `file`
// until the caller wrote them to disk, and the first bytes for sniffing; skips every other part.
class FileCollector final : public MultipartHandler {
 public:
  explicit FileCollector(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  void on_part_begin(const PartInfo& part) override {
    in_file_ = part.name == kFileField;
    if (!in_file_) return;
    if (found_) throw AppError::validation({{"file", {"Send exactly one file."}}});
    if (!part.filename) {
      throw AppError::validation({{"file", {"The file field must be a file (its part needs a filename)."}}});
    }
    found_ = true;
    filename_ = sanitize_filename(*part.filename);
  }

  void on_part_data(std::string_view bytes) override {
    if (!in_file_) return;
    size_ += bytes.size();
    if (size_ > max_bytes_) {
      throw AppError::payload_too_large("The file is larger than the " + megabytes(max_bytes_) + " limit.");
    }
    pending_.append(bytes);
    if (head_.size() < MimeSniffer::kSniffBytes) head_.append(bytes.substr(0, MimeSniffer::kSniffBytes - head_.size()));
  }

  void on_part_end() override { in_file_ = false; }

  bool found() const noexcept { return found_; }
  const std::string& filename() const noexcept { return filename_; }
  // File bytes not written to disk yet.
  const std::string& pending() const noexcept { return pending_; }
  void written() noexcept { pending_.clear(); }
  const std::string& head() const noexcept { return head_; }

 private:
  std::uint64_t max_bytes_;
  bool in_file_ = false;
  bool found_ = false;
  std::string filename_;
  std::uint64_t size_ = 0;
  std::string pending_;
  std::string head_;
};

// Streams `size` bytes of `file` into `out`, one chunk at a time, reading on `pool`.
awaitable<void> stream_blob(boost::asio::thread_pool::executor_type pool, std::shared_ptr<BlobFile> file,
                            std::uint64_t size, http::BodyWriter& out) {
  std::vector<char> buffer(Uploads::kChunkBytes);
  std::uint64_t offset = 0;
  while (offset < size) {
    std::span<char> into(buffer.data(),
                         static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - offset)));
    std::size_t n = co_await offload(pool, [&] { return file->read_at(offset, into); });
    if (n == 0) throw std::runtime_error("a stored upload is shorter than its record");
    std::string_view piece(buffer.data(), n);
    co_await out.write(piece);
    offset += n;
  }
}

}  // namespace

Uploads::Uploads(db::Database& db, UploadOptions options, prometheus::Registry& registry, spdlog::logger& logger)
    : db_(db),
      options_(std::move(options)),
      logger_(logger),
      attachments_(db.dialect()),
      store_(options_.dir),
      stored_(uploads_family(registry).Add({{"result", "stored"}})),
      refused_(uploads_family(registry).Add({{"result", "refused"}})),
      failed_(uploads_family(registry).Add({{"result", "failed"}})),
      stored_bytes_(prometheus::BuildCounter()
                        .Name("parley_upload_bytes_total")
                        .Help("Bytes of uploaded files stored")
                        .Register(registry)
                        .Add({})),
      peak_buffered_(prometheus::BuildGauge()
                         .Name("parley_upload_buffered_bytes_peak")
                         .Help("Most upload bytes one upload held in memory between two reads, since start "
                               "(bounded by the read chunk plus a boundary; the sniffing window is apart)")
                         .Register(registry)
                         .Add({})),
      pool_(options_.threads) {
  if (auto stale = store_.remove_stale_temp_files(std::chrono::hours(24)); stale > 0)
    logger_.warn("removed {} unfinished upload(s) left in {}", stale, store_.temp_dir().string());
}

Uploads::~Uploads() { pool_.join(); }

void Uploads::note_buffered(std::size_t bytes) noexcept {
  std::size_t seen = peak_buffered_bytes_.load();
  while (bytes > seen && !peak_buffered_bytes_.compare_exchange_weak(seen, bytes)) {
  }
  if (bytes > seen) peak_buffered_.Set(static_cast<double>(bytes));
}

awaitable<Attachment> Uploads::do_upload(const http::Principal& uploader, std::string_view content_type,
                                         http::BodyStream& body) {
  auto pool = pool_.get_executor();
  std::unique_ptr<PendingBlob> pending;
  std::exception_ptr failure;
  StoredBlob stored;
  std::string filename;
  std::string sniffed;
  try {
    MultipartParser parser(multipart_boundary(content_type));
    FileCollector file(options_.max_bytes);
    std::vector<char> buffer(kChunkBytes);
    for (;;) {
      std::span<char> into(buffer);
      std::size_t n = co_await body.read_some(into);
      if (n == 0) break;
      parser.feed(std::string_view(buffer.data(), n), file);
      note_buffered(file.pending().size() + parser.buffered_bytes());
      if (file.pending().empty()) continue;
      if (!pending) pending = co_await offload(pool, [this] { return store_.create(); });
      co_await offload(pool, [&] { pending->write(file.pending()); });
      file.written();
    }
    parser.finish();
    if (!file.found()) throw AppError::validation({{"file", {"No file was submitted."}}});
    if (!pending) pending = co_await offload(pool, [this] { return store_.create(); });  // an empty file
    const std::string& head = file.head();
    sniffed = co_await offload(pool, [&] { return sniffer_.sniff(head); });
    stored = co_await offload(pool, [&] { return pending->commit(); });
    filename = file.filename();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    if (pending) co_await offload(pool, [&] { pending->discard(); });
    try {
      std::rethrow_exception(failure);
    } catch (const AppError& e) {
      (e.status() >= 500 ? failed_ : refused_).Increment();
    } catch (...) {
      failed_.Increment();
    }
    std::rethrow_exception(failure);
  }

  db::repositories::NewAttachment record{.uploader_id = uploader.user_id,
                                         .filename = filename,
                                         .content_type = sniffed,
                                         .size = static_cast<std::int64_t>(stored.size),
                                         .sha256 = stored.sha256,
                                         .storage_key = stored.key};
  std::optional<Attachment> created;
  try {
    created = co_await attachments_.create(db_, record);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // No row points at the file: remove it rather than leave an orphan.
    std::string key = stored.key;
    co_await offload(pool, [&] { store_.remove(key); });
    failed_.Increment();
    std::rethrow_exception(failure);
  }
  stored_.Increment();
  stored_bytes_.Increment(static_cast<double>(stored.size));
  co_return std::move(*created);
}

awaitable<Attachment> Uploads::check_download(const http::Principal& viewer, std::int64_t id,
                                              std::string_view filename) {
  std::optional<Attachment> found = co_await attachments_.find(db_, id);
  if (!found || found->filename != filename) throw AppError::not_found();
  if (found->uploader_id == viewer.user_id) co_return std::move(*found);
  bool visible = co_await attachments_.visible_in_conversation_of(db_, id, viewer.user_id);
  if (!visible) throw AppError::not_found();
  co_return std::move(*found);
}

awaitable<http::BodyProducer> Uploads::open_download(const Attachment& attachment) {
  auto pool = pool_.get_executor();
  const std::string& key = attachment.storage_key;
  std::shared_ptr<BlobFile> file = co_await offload(pool, [&] { return std::shared_ptr<BlobFile>(store_.open(key)); });
  if (!file) throw AppError::internal("the stored file of attachment " + std::to_string(attachment.id) + " is missing");
  auto size = static_cast<std::uint64_t>(attachment.size);
  if (file->size() != size) {
    throw AppError::internal("the stored file of attachment " + std::to_string(attachment.id) + " has " +
                             std::to_string(file->size()) + " bytes, its record " + std::to_string(size));
  }
  co_return [pool, file, size](http::BodyWriter& out) { return stream_blob(pool, file, size, out); };
}

awaitable<std::int64_t> Uploads::purge_orphans(std::chrono::seconds older_than) {
  constexpr int kBatch = 500;
  db::repositories::MaintenanceRepository maintenance(db_.dialect());
  auto pool = pool_.get_executor();
  std::int64_t purged = 0;
  for (;;) {
    auto keys =
        co_await maintenance.delete_orphaned_attachments(db_, static_cast<double>(older_than.count()), kBatch);
    co_await offload(pool, [&] {
      for (const auto& key : keys) store_.remove(key);
    });
    purged += std::ssize(keys);
    if (std::ssize(keys) < kBatch) break;
  }
  co_return purged;
}

}  // namespace parley::uploads
