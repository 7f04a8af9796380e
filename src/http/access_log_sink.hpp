#pragma once
// Where access-log lines go: batched per thread and written by a thread of the sink's own, so
// that no request waits for the log's target.
//
// The access log is the one record written for every request, so it bypasses the general
// logger's queue (a mutex and a condition-variable wake-up per record): lines are appended to one
// of a few shard buffers (an uncontended lock, chosen by thread), and a shard holding 32 KiB is
// handed to the writer thread, which writes it with one write(2). The writer also writes out what
// the shards hold every 250 ms, so a quiet period keeps no line unwritten for longer. Whole lines
// are written, so lines from different threads never interleave.
//
// Why a thread: a write(2) to a file can block for as long as the file system makes it, and an
// I/O thread blocked there would hold every connection it serves. Why the writeback: when the
// target is a file, the writer starts the writeback of every kWritebackBytes it wrote
// (sync_file_range, not waiting for it), as PostgreSQL does with its own files (*_flush_after).
// Left to the kernel, the log's dirty pages are written back in bursts of hundreds of megabytes
// (30 s after a busy period); with what else is dirty on that disk (the database's data files),
// the database's WAL fsync waits behind them: every send stalled for up to 0.3 s a few times a
// run, p99 160-200 ms instead of 34 ms (docs/benchmarks.md, "the send's tail was the access log's
// writeback").
//
// When the target is slower than the requests for long, the lines handed over and not written yet
// are bounded (kMaxPendingBytes by default): what does not fit is dropped and counted, never
// waited for.
#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace parley::http {

class AccessLogSink {
 public:
  static constexpr std::size_t kMaxPendingBytes = 64 * 1024 * 1024;

  // `fd` is borrowed (stderr by default) and must stay open while the sink lives.
  explicit AccessLogSink(int fd = 2, std::size_t max_pending_bytes = kMaxPendingBytes);
  // Writes every line appended before, then stops the writer.
  ~AccessLogSink();
  AccessLogSink(const AccessLogSink&) = delete;
  AccessLogSink& operator=(const AccessLogSink&) = delete;

  // Appends one line; `line` must not contain a newline (it is added). Thread-safe; never waits
  // for I/O.
  void write_line(std::string_view line);
  // Returns once every line appended before the call is written (or dropped). Blocks: for tests
  // and shutdown, never on an I/O thread.
  void flush();
  // The lines dropped since the last call because the writer was max_pending_bytes behind.
  std::uint64_t take_dropped_lines();

 private:
  struct alignas(64) Shard {
    std::mutex mutex;
    std::string buffer;
  };
  void hand_over(std::string buffer);  // to the writer, or dropped when it is too far behind
  void run();                          // the writer thread
  void write_out(const std::string& buffer);  // on the writer thread

  static constexpr std::size_t kShards = 8;
  static constexpr std::size_t kBatchBytes = 32 * 1024;
  static constexpr std::size_t kWritebackBytes = 1024 * 1024;
  int fd_;
  bool regular_file_;
  std::size_t unsynced_bytes_ = 0;  // the writer thread's
  std::size_t max_pending_bytes_;
  std::array<Shard, kShards> shards_;

  std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;     // the writer: buffers handed over, a flush asked, or stopping
  std::condition_variable flushed_;  // flush(): the writer finished a round
  std::deque<std::string> ready_;
  std::size_t ready_bytes_ = 0;  // handed over and not written yet
  std::uint64_t dropped_lines_ = 0;
  std::uint64_t flushes_asked_ = 0;
  std::uint64_t flushes_done_ = 0;
  bool stopping_ = false;

  std::thread writer_;  // last: started once the members above exist
};

}  // namespace parley::http
