#include "auth/signing_key_file.hpp"

#include "auth/tokens.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::auth {
namespace {

// A PEM Ed25519 private key is about 120 bytes; anything this large is not one.
constexpr off_t kMaxKeyFileBytes = 64 * 1024;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw std::runtime_error("signing key file " + path.string() + ": " + what);
}

[[noreturn]] void fail_errno(const std::filesystem::path& path, const std::string& action) {
  fail(path, action + ": " + std::strerror(errno));
}

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  // Closes now, reporting the error close(2) may return after a write.
  int close() noexcept {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// Removes the temporary file when publishing is done, whether it was linked into place or not.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

 private:
  std::filesystem::path path_;
};

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "cannot write");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_all(int fd, const std::filesystem::path& path) {
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "cannot read");
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > static_cast<std::size_t>(kMaxKeyFileBytes)) fail(path, "too large to be a signing key");
  }
}

// Makes a link or unlink in `dir` durable (the new name survives a power loss).
void sync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) fail_errno(dir, "cannot sync the folder");
}

std::filesystem::path folder_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

}  // namespace

std::optional<Ed25519Key> read_signing_key_file(const std::filesystem::path& path) {
  // O_NOFOLLOW: a symlink planted in a shared folder must not redirect us to another file.
  // O_NONBLOCK: opening a FIFO planted there must not hang the start; it is refused below.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) fail(path, "is a symbolic link; point PARLEY_JWT_PRIVATE_KEY_FILE at the key instead");
    fail_errno(path, "cannot open");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_errno(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    fail(path, fmt::format("has mode {:04o}; it holds the private signing key, so group and others must have no "
                           "access (chmod 600 {})",
                           st.st_mode & 07777, path.string()));
  }
  if (st.st_size > kMaxKeyFileBytes) fail(path, "too large to be a signing key");
  auto text = read_all(fd.get(), path);
  try {
    return Ed25519Key::from_private_pem(text);
  } catch (const std::exception&) {
    // The parse error is not repeated: it never names key material, but it adds nothing either.
    fail(path,
         "does not hold an unencrypted PKCS#8 PEM Ed25519 private key; it is left as it is (removing it makes "
         "Parley generate a new key, which invalidates every token signed with the old one)");
  }
}

SigningKeyFile publish_signing_key_file(const std::filesystem::path& path, const Ed25519Key& key) {
  const auto dir = folder_of(path);
  // A name of our own: O_EXCL never meets another process's temporary file, and refuses whatever
  // (a symlink included) might already sit at this name.
  const auto temp = dir / ("." + path.filename().string() + ".tmp-" + random_token(12));
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) fail_errno(temp, "cannot create");
  TempFile cleanup(temp);
  // The umask may have cleared owner bits of 0600; it can never have added any.
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) fail_errno(temp, "cannot set mode 0600");
  write_all(fd.get(), key.private_pem(), temp);
  if (::fsync(fd.get()) != 0) fail_errno(temp, "cannot sync");
  if (fd.close() != 0) fail_errno(temp, "cannot close");
  // link(2), unlike rename(2), never replaces an existing file: of racing creators exactly one wins.
  if (::link(temp.c_str(), path.c_str()) == 0) {
    sync_directory(dir);
    return SigningKeyFile{key, true};
  }
  if (errno != EEXIST) fail_errno(path, "cannot create");
  auto winner = read_signing_key_file(path);
  if (!winner) fail(path, "was created by another process and removed again while starting");
  return SigningKeyFile{std::move(*winner), false};
}

SigningKeyFile load_or_create_signing_key_file(const std::filesystem::path& path) {
  if (auto existing = read_signing_key_file(path)) return SigningKeyFile{std::move(*existing), false};
  std::error_code error;
  std::filesystem::create_directories(folder_of(path), error);
  if (error) fail(path, "cannot create its folder: " + error.message());
  return publish_signing_key_file(path, Ed25519Key::generate());
}

}  // namespace parley::auth
