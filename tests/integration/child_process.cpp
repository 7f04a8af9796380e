#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace parley::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

fs::path parley_binary() {
  if (const char* env = std::getenv("PARLEY_BINARY"); env && *env) return env;
  // Run by hand rather than through ctest: the binary sits beside this test executable.
  return fs::read_symlink("/proc/self/exe").parent_path() / "parley";
}

Child::Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const fs::path& cwd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  // The child starts with no blocked signals and default dispositions, whatever this process has.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_strings;
  for (const char* keep : {"PATH", "HOME", "LANG", "TMPDIR"}) {
    if (const char* v = std::getenv(keep)) env_strings.push_back(std::string(keep) + "=" + v);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings = args;
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int rc = posix_spawn(&pid_, arg_strings[0].c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("posix_spawn " + arg_strings[0] + ": " + std::strerror(rc));
  }
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

Child::~Child() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ::close(out_fd_);
  ::close(err_fd_);
}

void Child::pump(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (::poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return;
  drain(out_fd_, out_);
  drain(err_fd_, err_);
}

std::optional<std::smatch> Child::wait_for_stderr(const std::regex& pattern, std::chrono::milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (true) {
    std::smatch match;
    if (std::regex_search(err_, match, pattern)) return match;
    if (Clock::now() >= until || exited()) return std::nullopt;
    pump(std::chrono::milliseconds(50));
  }
}

bool Child::exited() {
  if (exited_) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    status_ = status;
  }
  return exited_;
}

bool Child::wait_for_exit(std::chrono::milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (!exited() && Clock::now() < until) pump(std::chrono::milliseconds(20));
  pump(std::chrono::milliseconds(0));
  drain(out_fd_, out_);
  drain(err_fd_, err_);
  return exited_;
}

int Child::exit_code() const noexcept { return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

void Child::drain(int fd, std::string& into) {
  char chunk[4096];
  while (true) {
    auto n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    into.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace parley::testing
