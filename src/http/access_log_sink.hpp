#pragma once
// Where access-log lines go: batched per thread and written with one write(2) per batch.
//
// The access log is the one record written for every request, so it bypasses the general
// logger's queue (a mutex and a condition-variable wake-up per record): lines are appended to one
// of a few shard buffers (an uncontended lock, chosen by thread), and a shard is written out when it
// holds 32 KiB or when flush() runs (the App calls it every 250 ms and at shutdown). Whole lines
// are written under one lock, so lines from different threads never interleave.
#include <array>
#include <mutex>
#include <string>
#include <string_view>

namespace parley::http {

class AccessLogSink {
 public:
  // `fd` is borrowed (stderr by default) and must stay open while the sink lives.
  explicit AccessLogSink(int fd = 2) : fd_(fd) {}
  ~AccessLogSink() { flush(); }
  AccessLogSink(const AccessLogSink&) = delete;
  AccessLogSink& operator=(const AccessLogSink&) = delete;

  // Appends one line; `line` must not contain a newline (it is added). Thread-safe.
  void write_line(std::string_view line);
  // Writes every buffered line now. Thread-safe.
  void flush();

 private:
  struct alignas(64) Shard {
    std::mutex mutex;
    std::string buffer;
  };
  void write_out(std::string& buffer);

  static constexpr std::size_t kShards = 8;
  static constexpr std::size_t kBatchBytes = 32 * 1024;
  int fd_;
  std::array<Shard, kShards> shards_;
  std::mutex write_mutex_;
};

}  // namespace parley::http
