#pragma once
// Uploaded bytes on local disk, named by the server: `<root>/<k[0:2]>/<k[2:4]>/<k>` for a random
// 128-bit key `k` in lower-case hex (so no client input ever reaches a path), written first to
// `<root>/tmp/<random>.part` and moved into place only when complete.
//
// Every function here blocks on the file system: call them on a blocking pool (uploads.cpp does),
// never on an I/O thread. A BlobStore is thread-safe; a PendingBlob or BlobFile is used by one
// upload or download at a time.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace parley::uploads {

struct StoredBlob {
  std::string key;     // 32 hex digits
  std::string sha256;  // 64 hex digits
  std::uint64_t size = 0;
};

// A blob being written, hashed (SHA-256) and counted as it goes. Not yet visible under a key.
class BlobStore;

class PendingBlob {
 public:
  // Takes ownership of `fd`, the open temporary file at `temp_path`; `store` must outlive it.
  PendingBlob(const BlobStore& store, std::filesystem::path temp_path, int fd);
  // Removes the temporary file unless it was committed.
  ~PendingBlob();
  PendingBlob(const PendingBlob&) = delete;
  PendingBlob& operator=(const PendingBlob&) = delete;

  // Appends `bytes`. Throws std::system_error when the disk write fails (full disk, I/O error).
  void write(std::string_view bytes);
  std::uint64_t size() const noexcept { return size_; }
  // Flushes the file to disk and moves it under a fresh key; returns the key, the hash and the size.
  // Throws std::system_error; the temporary file is removed then.
  StoredBlob commit();
  // Removes the temporary file now (idempotent; errors ignored).
  void discard() noexcept;
  const std::filesystem::path& temp_path() const noexcept { return temp_path_; }

 private:
  const BlobStore& store_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  EVP_MD_CTX* hash_ = nullptr;
  bool finished_ = false;
};

// A stored blob opened for reading.
class BlobFile {
 public:
  BlobFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~BlobFile();
  BlobFile(const BlobFile&) = delete;
  BlobFile& operator=(const BlobFile&) = delete;

  std::uint64_t size() const noexcept { return size_; }
  // Reads up to buffer.size() bytes at `offset`; 0 at the end. Throws std::system_error.
  std::size_t read_at(std::uint64_t offset, std::span<char> buffer) const;

 private:
  int fd_;
  std::uint64_t size_;
};

class BlobStore {
 public:
  // Creates `root` and `root/tmp` when missing. Throws std::runtime_error naming the folder when it
  // cannot (the server refuses to start).
  explicit BlobStore(std::filesystem::path root);

  const std::filesystem::path& root() const noexcept { return root_; }
  std::filesystem::path temp_dir() const { return root_ / "tmp"; }

  // A new, empty temporary file (mode 0600). Throws std::system_error.
  std::unique_ptr<PendingBlob> create() const;
  // The stored blob `key`, or null when there is no such file. Throws std::invalid_argument for a
  // key that is not 32 hex digits, std::system_error for other failures.
  std::unique_ptr<BlobFile> open(std::string_view key) const;
  // Deletes blob `key` (a failed insert after commit); errors ignored.
  void remove(std::string_view key) const noexcept;
  // The path of blob `key`; throws std::invalid_argument for a key that is not 32 hex digits.
  std::filesystem::path path_of(std::string_view key) const;
  // Deletes temporary files older than `age` (left by a crash); returns how many. Younger ones may
  // belong to uploads in progress, maybe in another process sharing the folder.
  std::size_t remove_stale_temp_files(std::chrono::seconds age) const;

 private:
  std::filesystem::path root_;
};

// 128 random bits from OpenSSL's CSPRNG as 32 lower-case hex digits.
std::string random_key();

}  // namespace parley::uploads
