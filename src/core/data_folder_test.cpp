// The data folder is the SQLite file's folder, and only development keeps a signing key there.
#include "core/data_folder.hpp"

#include <gtest/gtest.h>

#include <map>

namespace parley {
namespace {

Config config(std::map<std::string, std::string> env) {
  auto loaded = Config::load([&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  EXPECT_TRUE(loaded.problems.empty());
  return loaded.config;
}

TEST(DataFolder, IsTheFolderOfTheSqliteFile) {
  EXPECT_EQ(data_folder("sqlite:var/parley.db"), std::filesystem::path("var"));
  EXPECT_EQ(data_folder("sqlite:/srv/parley/db.sqlite"), std::filesystem::path("/srv/parley"));
  EXPECT_EQ(data_folder("sqlite:parley.db"), std::filesystem::path("."));
}

TEST(DataFolder, DoesNotExistForPostgresqlMemoryOrUriDatabases) {
  EXPECT_EQ(data_folder("postgresql://parley@localhost/parley"), std::nullopt);
  EXPECT_EQ(data_folder("sqlite::memory:"), std::nullopt);
  EXPECT_EQ(data_folder("sqlite:"), std::nullopt);
  EXPECT_EQ(data_folder("sqlite:file:var/parley.db?mode=rwc"), std::nullopt);
}

TEST(DataFolder, DevelopmentKeepsItsSigningKeyThereByDefault) {
  EXPECT_EQ(development_signing_key_file(config({})), std::filesystem::path("var/jwt-signing-key.pem"));
  EXPECT_EQ(development_signing_key_file(config({{"PARLEY_DATABASE_URL", "sqlite:/tmp/x/p.db"}})),
            std::filesystem::path("/tmp/x/jwt-signing-key.pem"));
}

TEST(DataFolder, NoKeptSigningKeyInProductionWhenConfiguredOrOnPostgresql) {
  EXPECT_EQ(development_signing_key_file(config({{"PARLEY_ENV", "production"}})), std::nullopt);
  EXPECT_EQ(development_signing_key_file(config({{"PARLEY_JWT_PRIVATE_KEY_FILE", "/etc/parley/jwt.pem"}})),
            std::nullopt);
  EXPECT_EQ(development_signing_key_file(config({{"PARLEY_DATABASE_URL", "postgresql://p@localhost/p"}})),
            std::nullopt);
}

}  // namespace
}  // namespace parley
