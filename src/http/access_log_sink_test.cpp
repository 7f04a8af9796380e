// The access log's sink (access_log_sink.hpp): lines reach the target whole and in order per
// thread, flush() returns once they are written, and a target that blocks never blocks the
// threads that log: what does not fit the bound is dropped and counted.
#include "http/access_log_sink.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace parley::http {
namespace {

std::string read_all(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

TEST(AccessLogSink, WritesEveryLineWholeOnceFlushed) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  std::string written;
  {
    AccessLogSink sink(fds[1]);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&sink, t] {
        for (int i = 0; i < 100; ++i) sink.write_line("thread " + std::to_string(t) + " line " + std::to_string(i));
      });
    }
    for (auto& thread : threads) thread.join();
    sink.flush();
    written = read_all(fds[0]);
  }
  ::close(fds[0]);
  ::close(fds[1]);
  std::vector<int> next(4, 0);  // per thread, the next line expected: in order within a thread
  std::size_t lines = 0;
  for (std::size_t at = 0; at < written.size();) {
    auto end = written.find('\n', at);
    ASSERT_NE(end, std::string::npos) << "every line ends with a newline";
    const std::string line = written.substr(at, end - at);
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d", &t, &i), 2) << line;
    ASSERT_TRUE(t >= 0 && t < 4);
    EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++);
    ++lines;
    at = end + 1;
  }
  EXPECT_EQ(lines, 400u);
}

TEST(AccessLogSink, ATargetThatBlocksDropsWhatExceedsTheBoundAndNeverBlocksTheLogger) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // nobody reads yet: the writer blocks once the pipe is full
  constexpr std::size_t kBound = 256 * 1024;
  const std::string line(1000, 'x');
  {
    AccessLogSink sink(fds[1], kBound);
    // 4 MiB: far more than the pipe and the bound hold; returns although the target is stuck.
    for (int i = 0; i < 4096; ++i) sink.write_line(line);
    const std::uint64_t dropped = sink.take_dropped_lines();
    EXPECT_GT(dropped, 3000u);
    EXPECT_LT(dropped, 4096u);
    EXPECT_EQ(sink.take_dropped_lines(), 0u) << "taken once";
    std::thread reader([fd = fds[0]] { read_all(fd); });  // unblocks the writer, then reads to the end
    sink.flush();
    ::close(fds[1]);  // after the sink's last write (flush returned): the reader sees the end
    reader.join();
  }
  ::close(fds[0]);
}

}  // namespace
}  // namespace parley::http
