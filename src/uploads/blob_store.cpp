#include "uploads/blob_store.hpp"

#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace parley::uploads {
namespace {

namespace fs = std::filesystem;

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 0x0F];
  }
  return out;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

bool is_key(std::string_view key) {
  if (key.size() != 32) return false;
  for (char c : key) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string random_key() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
  return to_hex(bytes, sizeof bytes);
}

PendingBlob::PendingBlob(const BlobStore& store, fs::path temp_path, int fd)
    : store_(store), temp_path_(std::move(temp_path)), fd_(fd), hash_(EVP_MD_CTX_new()) {
  if (hash_ == nullptr || EVP_DigestInit_ex(hash_, EVP_sha256(), nullptr) != 1) {
    discard();
    EVP_MD_CTX_free(hash_);
    throw std::runtime_error("OpenSSL: cannot start a SHA-256 digest");
  }
}

PendingBlob::~PendingBlob() {
  if (!finished_) discard();
  EVP_MD_CTX_free(hash_);
}

void PendingBlob::write(std::string_view bytes) {
  if (finished_) throw std::logic_error("PendingBlob::write after commit or discard");
  EVP_DigestUpdate(hash_, bytes.data(), bytes.size());
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("writing " + temp_path_.string());
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
}

StoredBlob PendingBlob::commit() {
  if (finished_) throw std::logic_error("PendingBlob::commit twice");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(hash_, digest, &length);
  StoredBlob blob{random_key(), to_hex(digest, length), size_};
  fs::path target = store_.path_of(blob.key);
  try {
    // The bytes reach the disk before the name does: a crash never leaves a short blob under a key.
    if (::fdatasync(fd_) != 0) throw_errno("flushing " + temp_path_.string());
    ::close(fd_);
    fd_ = -1;
    fs::create_directories(target.parent_path());
    fs::rename(temp_path_, target);
  } catch (...) {
    discard();
    throw;
  }
  finished_ = true;
  return blob;
}

void PendingBlob::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!finished_) ::unlink(temp_path_.c_str());
  finished_ = true;
}

BlobFile::~BlobFile() { ::close(fd_); }

std::size_t BlobFile::read_at(std::uint64_t offset, std::span<char> buffer) const {
  for (;;) {
    ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_errno("reading a stored upload");
  }
}

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_ / "tmp", ec);
  if (ec)
    throw std::runtime_error("PARLEY_UPLOAD_DIR: cannot create " + (root_ / "tmp").string() + ": " + ec.message());
}

std::unique_ptr<PendingBlob> BlobStore::create() const {
  fs::path path = temp_dir() / (random_key() + ".part");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw_errno("creating " + path.string());
  return std::make_unique<PendingBlob>(*this, std::move(path), fd);
}

std::unique_ptr<BlobFile> BlobStore::open(std::string_view key) const {
  fs::path path = path_of(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    throw_errno("opening " + path.string());
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int saved = errno;
    ::close(fd);
    throw std::system_error(saved, std::generic_category(), "stat " + path.string());
  }
  return std::make_unique<BlobFile>(fd, static_cast<std::uint64_t>(info.st_size));
}

void BlobStore::remove(std::string_view key) const noexcept {
  if (!is_key(key)) return;
  std::error_code ignored;
  fs::remove(path_of(key), ignored);
}

fs::path BlobStore::path_of(std::string_view key) const {
  if (!is_key(key)) throw std::invalid_argument("not a storage key: " + std::string(key.substr(0, 64)));
  return root_ / key.substr(0, 2) / key.substr(2, 2) / key;
}

std::size_t BlobStore::remove_stale_temp_files(std::chrono::seconds age) const {
  std::size_t removed = 0;
  std::error_code ec;
  auto cutoff = fs::file_time_type::clock::now() - age;
  for (const auto& entry : fs::directory_iterator(temp_dir(), ec)) {
    if (entry.path().extension() != ".part") continue;
    std::error_code stat_error;
    auto modified = entry.last_write_time(stat_error);
    if (stat_error || modified > cutoff) continue;
    if (fs::remove(entry.path(), stat_error)) ++removed;
  }
  return removed;
}

}  // namespace parley::uploads
