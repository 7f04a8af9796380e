#pragma once
// Test-only helpers for the authentication repositories' tests: application times as RFC 3339 UTC
// text with milliseconds, and stand-in 64-character token hashes.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace parley::db::repositories::test_support {

// `t` as "YYYY-MM-DDTHH:MM:SS.mmmZ".
inline std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

// A fixed instant for one test and times relative to it, so expiry is tested without sleeping.
class Clock {
 public:
  Clock() : base_(std::chrono::system_clock::now()) {}
  std::string now() const { return rfc3339(base_); }
  template <typename Duration>
  std::string at(Duration offset) const {
    return rfc3339(base_ + offset);
  }

 private:
  std::chrono::system_clock::time_point base_;
};

// A distinct 64-character lowercase hex string standing in for a SHA-256 hex digest.
inline std::string fake_hash(int n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064x", static_cast<unsigned>(n));
  return buf;
}

}  // namespace parley::db::repositories::test_support
