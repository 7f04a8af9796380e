// The development signing-key file: created once with mode 0600, reused, never silently replaced,
// and one key for every process that races to create it.
#include "auth/signing_key_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley::auth {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "parley-key-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& file, const std::string& text, mode_t mode) {
  std::ofstream(file, std::ios::binary) << text;
  ASSERT_EQ(::chmod(file.c_str(), mode), 0);
}

mode_t mode_of(const fs::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) throw std::runtime_error("lstat failed");
  return st.st_mode & 07777;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

// The message of the runtime_error `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(SigningKeyFile, IsCreatedWithMode0600InANewFolderAndReusedLater) {
  TempDir dir;
  auto path = dir.path() / "var" / "jwt-signing-key.pem";
  auto first = load_or_create_signing_key_file(path);
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(first.key.has_private_key());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(slurp(path), first.key.private_pem());
  EXPECT_EQ(names_in(path.parent_path()), std::vector<std::string>{"jwt-signing-key.pem"});  // no temp file left

  auto second = load_or_create_signing_key_file(path);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.key.kid(), first.key.kid());
  EXPECT_EQ(second.key.private_pem(), first.key.private_pem());
}

TEST(SigningKeyFile, ReadingAMissingFileGivesNothingAndCreatesNothing) {
  TempDir dir;
  EXPECT_FALSE(read_signing_key_file(dir.path() / "jwt-signing-key.pem").has_value());
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(SigningKeyFile, AGroupOrWorldAccessibleFileIsRefusedNamingItAndLeftAlone) {
  for (mode_t mode : {0640u, 0604u, 0620u, 0644u}) {
    TempDir dir;
    auto path = dir.path() / "jwt-signing-key.pem";
    auto pem = Ed25519Key::generate().private_pem();
    write_file(path, pem, mode);
    auto message = error_of([&] { load_or_create_signing_key_file(path); });
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
    EXPECT_EQ(mode_of(path), mode);
    EXPECT_EQ(slurp(path), pem);
  }
}

TEST(SigningKeyFile, AFileWithoutAValidPrivateKeyIsRefusedNamingItAndLeftAlone) {
  auto public_only = Ed25519Key::generate().public_pem();
  for (const std::string& text : {std::string(), std::string("not a key\n"), public_only,
                                  std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}) {
    TempDir dir;
    auto path = dir.path() / "jwt-signing-key.pem";
    write_file(path, text, 0600);
    auto message = error_of([&] { load_or_create_signing_key_file(path); });
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("does not hold"), std::string::npos) << message;
    EXPECT_EQ(slurp(path), text);
  }
}

TEST(SigningKeyFile, ASymlinkIsNotFollowed) {
  TempDir dir;
  auto target = dir.path() / "elsewhere.pem";
  write_file(target, Ed25519Key::generate().private_pem(), 0600);
  auto path = dir.path() / "jwt-signing-key.pem";
  fs::create_symlink(target, path);
  auto message = error_of([&] { load_or_create_signing_key_file(path); });
  EXPECT_NE(message.find("symbolic link"), std::string::npos) << message;
}

TEST(SigningKeyFile, TheLoserOfACreationRaceAdoptsTheWinnersKey) {
  TempDir dir;
  auto path = dir.path() / "jwt-signing-key.pem";
  auto winner = Ed25519Key::generate();
  ASSERT_TRUE(publish_signing_key_file(path, winner).created);
  // The loser generated its key before it saw the winner's file.
  auto loser = publish_signing_key_file(path, Ed25519Key::generate());
  EXPECT_FALSE(loser.created);
  EXPECT_EQ(loser.key.kid(), winner.kid());
  EXPECT_EQ(slurp(path), winner.private_pem());
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"jwt-signing-key.pem"});
}

TEST(SigningKeyFile, ThreadsCreatingItAtOnceAllGetOneKey) {
  TempDir dir;
  auto path = dir.path() / "jwt-signing-key.pem";
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::string> kids(kThreads);
  std::vector<int> created(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        auto result = load_or_create_signing_key_file(path);
        kids[i] = result.key.kid();
        created[i] = result.created ? 1 : 0;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(std::set<std::string>(kids.begin(), kids.end()).size(), 1u);
  EXPECT_EQ(std::count(created.begin(), created.end(), 1), 1);
  EXPECT_EQ(read_signing_key_file(path)->kid(), kids.front());
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"jwt-signing-key.pem"});
}

TEST(SigningKeyFile, ProcessesCreatingItAtOnceAllGetOneKey) {
  TempDir dir;
  auto path = dir.path() / "jwt-signing-key.pem";
  constexpr int kProcesses = 4;
  // Every child blocks reading `gate` until the parent closes its write end: they start together.
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  std::vector<int> results;  // read ends: each child writes "<created> <kid>" or "error <what>"
  for (int i = 0; i < kProcesses; ++i) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      ::close(out[0]);
      char byte;
      while (::read(gate[0], &byte, 1) < 0) {
      }
      std::string line;
      try {
        auto result = load_or_create_signing_key_file(path);
        line = std::string(result.created ? "1 " : "0 ") + result.key.kid();
      } catch (const std::exception& e) {
        line = std::string("error ") + e.what();
      }
      ssize_t ignored = ::write(out[1], line.data(), line.size());
      (void)ignored;
      ::_exit(0);
    }
    ::close(out[1]);
    children.push_back(pid);
    results.push_back(out[0]);
  }
  ::close(gate[0]);
  ::close(gate[1]);

  std::set<std::string> kids;
  int creators = 0;
  for (int fd : results) {
    std::string line;
    char buffer[512];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) line.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    ASSERT_GE(line.size(), 2u);
    EXPECT_TRUE(line[0] == '0' || line[0] == '1') << line;
    creators += line[0] == '1';
    kids.insert(line.substr(2));
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(kids.size(), 1u);
  EXPECT_EQ(creators, 1);
  EXPECT_EQ(read_signing_key_file(path)->kid(), *kids.begin());
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"jwt-signing-key.pem"});
}

}  // namespace
}  // namespace parley::auth
