#pragma once
// A redis-server of the test's own, on a free loopback port, for tests that stop and restart
// Redis mid-test (the shared test server must stay up for the other suites).
//
//   PrivateRedis redis;            // started and answering
//   redis.url();                   // redis://127.0.0.1:<port>
//   redis.stop();                  // SIGKILL: connections drop as in a crash
//   redis.start();                 // again, on the same port, empty
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "child_process.hpp"

namespace parley::testing {

class PrivateRedis {
 public:
  PrivateRedis();  // throws when redis-server is not installed or does not come up
  ~PrivateRedis();
  void start();
  void stop();
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  std::filesystem::path binary_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Child> child_;
};

}  // namespace parley::testing
