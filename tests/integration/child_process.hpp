#pragma once
// The real `parley` binary as a child process, for tests that need a separate process (signals,
// exit codes, an instance killed with SIGKILL).
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <sys/types.h>

namespace parley::testing {

// PARLEY_BINARY (set by ctest), else the `parley` beside this test executable.
std::filesystem::path parley_binary();

// A child process with stdout and stderr on pipes; killed on destruction if still running.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        const std::filesystem::path& cwd);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }

  // Waits up to `timeout` for more output on either pipe and appends what arrived.
  void pump(std::chrono::milliseconds timeout);
  // Polls stderr until `pattern` matches it or the deadline passes.
  std::optional<std::smatch> wait_for_stderr(const std::regex& pattern, std::chrono::milliseconds deadline);
  // True once the process has exited (reaped); the status is then in raw_status().
  bool exited();
  // Polls for exit until the deadline, reading output meanwhile (a full pipe would block the child).
  bool wait_for_exit(std::chrono::milliseconds deadline);
  int raw_status() const noexcept { return status_; }
  // The exit code, or -1 when it ended by a signal or has not ended.
  int exit_code() const noexcept;

 private:
  static void drain(int fd, std::string& into);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::string out_;
  std::string err_;
};

}  // namespace parley::testing
