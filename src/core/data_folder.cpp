#include "core/data_folder.hpp"

namespace parley {

std::optional<std::filesystem::path> data_folder(std::string_view database_url) {
  constexpr std::string_view kScheme = "sqlite:";
  if (!database_url.starts_with(kScheme)) return std::nullopt;
  auto path = database_url.substr(kScheme.size());
  // The same spellings SQLite treats as a private in-memory database or a URI (SQLITE_OPEN_URI).
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return std::nullopt;
  std::filesystem::path file(path);
  return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

std::optional<std::filesystem::path> development_signing_key_file(const Config& config) {
  if (config.environment == "production" || !config.jwt_private_key_file.empty()) return std::nullopt;
  auto folder = data_folder(config.database_url);
  if (!folder) return std::nullopt;
  return *folder / kDevelopmentSigningKeyName;
}

}  // namespace parley
