#pragma once
// Test-only helpers for coroutine test bodies and scratch databases. Header-only.
#include "core/testing.hpp"

#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

namespace parley::db::testing {

using parley::testing::run_awaitable;

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("parley-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace parley::db::testing
