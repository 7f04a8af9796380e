#include "uploads/blob_store.hpp"

#include "db/testing.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace parley::uploads {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file();
  return n;
}

TEST(BlobStore, WritesHashesAndCommitsUnderARandomKey) {
  db::testing::TempDir dir;
  BlobStore store(dir.path() / "uploads");
  EXPECT_TRUE(fs::is_directory(store.temp_dir()));
  auto pending = store.create();
  EXPECT_TRUE(fs::exists(pending->temp_path()));
  EXPECT_EQ(pending->temp_path().parent_path(), store.temp_dir());
  pending->write("a");
  pending->write("bc");
  EXPECT_EQ(pending->size(), 3u);
  StoredBlob blob = pending->commit();
  EXPECT_EQ(blob.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // SHA-256("abc")
  EXPECT_EQ(blob.size, 3u);
  ASSERT_EQ(blob.key.size(), 32u);
  fs::path path = store.path_of(blob.key);
  EXPECT_EQ(path, store.root() / blob.key.substr(0, 2) / blob.key.substr(2, 2) / blob.key);
  EXPECT_EQ(read_file(path), "abc");
  EXPECT_FALSE(fs::exists(pending->temp_path()));
  pending.reset();
  EXPECT_TRUE(fs::exists(path)) << "a committed blob stays";

  auto file = store.open(blob.key);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->size(), 3u);
  char buffer[2];
  EXPECT_EQ(file->read_at(0, buffer), 2u);
  EXPECT_EQ(std::string_view(buffer, 2), "ab");
  EXPECT_EQ(file->read_at(2, buffer), 1u);
  EXPECT_EQ(file->read_at(3, buffer), 0u);

  store.remove(blob.key);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(store.open(blob.key));
}

TEST(BlobStore, EmptyBlobHasTheEmptyHash) {
  db::testing::TempDir dir;
  BlobStore store(dir.path());
  StoredBlob blob = store.create()->commit();
  EXPECT_EQ(blob.size, 0u);
  EXPECT_EQ(blob.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(BlobStore, DiscardedOrAbandonedBlobsLeaveNothing) {
  db::testing::TempDir dir;
  BlobStore store(dir.path());
  {
    auto pending = store.create();
    pending->write("partial");
    pending->discard();
    EXPECT_FALSE(fs::exists(pending->temp_path()));
    pending->discard();  // idempotent
  }
  {
    auto abandoned = store.create();
    abandoned->write("partial");
  }
  EXPECT_EQ(files_in(dir.path()), 0u);
}

TEST(BlobStore, KeysAreRandomHexAndCheckedOnUse) {
  db::testing::TempDir dir;
  BlobStore store(dir.path());
  auto a = random_key();
  auto b = random_key();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  for (const std::string& bad : std::vector<std::string>{"", "../../../../etc/passwd", std::string(32, 'G'),
                                                         std::string(31, 'a'), "0123456789abcdef0123456789abcde/"}) {
    EXPECT_THROW(store.path_of(bad), std::invalid_argument) << bad;
    EXPECT_THROW(store.open(bad), std::invalid_argument) << bad;
    store.remove(bad);  // ignored
  }
  EXPECT_FALSE(store.open(a)) << "absent";
}

TEST(BlobStore, RemovesOnlyStaleTemporaryFiles) {
  db::testing::TempDir dir;
  BlobStore store(dir.path());
  auto fresh = store.create();
  fs::path old = store.temp_dir() / (random_key() + ".part");
  std::ofstream(old) << "left by a crash";
  fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(48));
  fs::path other = store.temp_dir() / "notes.txt";
  std::ofstream(other) << "not ours";
  fs::last_write_time(other, fs::file_time_type::clock::now() - std::chrono::hours(48));
  EXPECT_EQ(store.remove_stale_temp_files(std::chrono::hours(24)), 1u);
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(fs::exists(fresh->temp_path()));
  EXPECT_TRUE(fs::exists(other));
}

TEST(BlobStore, RefusesAFolderItCannotCreate) {
  db::testing::TempDir dir;
  std::ofstream(dir.path() / "a-file") << "x";
  EXPECT_THROW(BlobStore(dir.path() / "a-file" / "uploads"), std::runtime_error);
}

}  // namespace
}  // namespace parley::uploads
