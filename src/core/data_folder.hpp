#pragma once
// Parley's data folder: where the embedded default (`make run`: SQLite under ./var) keeps what it
// must find again after a restart. It is the folder of the SQLite database file; there is no
// setting of its own. With PostgreSQL there is no data folder: that is the multi-replica setup,
// where a file kept by each process would give each replica a key of its own.
#include "core/config.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace parley {

// The folder of the SQLite database named by `database_url` ("sqlite:var/parley.db" -> "var",
// "sqlite:parley.db" -> "."). nullopt for PostgreSQL, and for an SQLite database in memory or given
// as a "file:" URI (which may carry parameters, and whose folder Parley does not guess).
std::optional<std::filesystem::path> data_folder(std::string_view database_url);

// File name of the development signing key in the data folder.
inline constexpr std::string_view kDevelopmentSigningKeyName = "jwt-signing-key.pem";

// Where a development server keeps its signing key when PARLEY_JWT_PRIVATE_KEY_FILE is unset:
// <data folder>/jwt-signing-key.pem. nullopt in production (the key must be configured), when the
// variable is set, and without a data folder.
std::optional<std::filesystem::path> development_signing_key_file(const Config& config);

}  // namespace parley
