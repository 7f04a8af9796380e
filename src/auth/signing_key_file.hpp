#pragma once
// The development signing key that Parley keeps in a file of its own (docs/security.md, "Keys,
// `kid` and rotation"): generated on the first start, reused on every later one, so that tokens
// stay valid across restarts without any configuration.
//
// Contracts:
//  - The file holds an unencrypted PKCS#8 Ed25519 private key in PEM, mode 0600, owned by whoever
//    created it. It appears atomically: it is written and fsynced under a unique temporary name in
//    the same folder, then published with link(2), which fails rather than replace a file that is
//    already there. So a reader never sees a partial file, and of several processes creating it at
//    once exactly one wins; every other one reads the winner's key.
//  - A file that exists is never regenerated or repaired: one with any group or world permission
//    bit, one that is not a regular file (a symlink is not followed), or one that does not hold a
//    valid key makes the call throw std::runtime_error naming the path. Deleting the file is the
//    operator's decision (it invalidates every token it signed).
//  - Errors from the file system throw std::runtime_error naming the path and the reason.
// Thread-safety: free functions on the file system; any number may run at once, in any processes.
#include "auth/jwt.hpp"

#include <filesystem>
#include <optional>

namespace parley::auth {

struct SigningKeyFile {
  Ed25519Key key;
  bool created = false;  // true when this call wrote the file, false when it was there already
};

// The key in `path`, or nullopt when there is no file there. Throws as described above.
std::optional<Ed25519Key> read_signing_key_file(const std::filesystem::path& path);

// Publishes `key` at `path` unless a file is there already, in which case that file's key is
// returned (created = false) and `key` is discarded. `path`'s folder must exist.
SigningKeyFile publish_signing_key_file(const std::filesystem::path& path, const Ed25519Key& key);

// The key in `path`; when there is none, creates `path`'s folder if needed and publishes a newly
// generated key there (or adopts the key of a process that published first).
SigningKeyFile load_or_create_signing_key_file(const std::filesystem::path& path);

}  // namespace parley::auth
