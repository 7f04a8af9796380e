#include "http/access_log_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::http {

namespace {

constexpr auto kFlushInterval = std::chrono::milliseconds(250);

bool is_regular_file(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

AccessLogSink::AccessLogSink(int fd, std::size_t max_pending_bytes)
    : fd_(fd), regular_file_(is_regular_file(fd)), max_pending_bytes_(max_pending_bytes), writer_([this] { run(); }) {}

AccessLogSink::~AccessLogSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AccessLogSink::write_line(std::string_view line) {
  thread_local const std::size_t shard_index = std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards;
  auto& shard = shards_[shard_index];
  std::string full;
  {
    std::lock_guard lock(shard.mutex);
    shard.buffer.append(line);
    shard.buffer += '\n';
    if (shard.buffer.size() < kBatchBytes) return;
    full.swap(shard.buffer);
  }
  hand_over(std::move(full));
}

void AccessLogSink::hand_over(std::string buffer) {
  {
    std::lock_guard lock(mutex_);
    if (ready_bytes_ + buffer.size() > max_pending_bytes_) {
      dropped_lines_ += static_cast<std::uint64_t>(std::count(buffer.begin(), buffer.end(), '\n'));
      return;
    }
    ready_bytes_ += buffer.size();
    ready_.push_back(std::move(buffer));
  }
  wake_.notify_one();
}

void AccessLogSink::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t asked = ++flushes_asked_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flushes_done_ >= asked; });
}

std::uint64_t AccessLogSink::take_dropped_lines() {
  std::lock_guard lock(mutex_);
  return std::exchange(dropped_lines_, 0);
}

void AccessLogSink::run() {
  auto next_round = std::chrono::steady_clock::now() + kFlushInterval;
  for (;;) {
    std::deque<std::string> handed_over;
    std::uint64_t asked = 0;
    bool stop = false;
    bool round = false;  // the shards too, not only the full ones handed over
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_round,
                       [&] { return !ready_.empty() || stopping_ || flushes_asked_ > flushes_done_; });
      handed_over.swap(ready_);
      asked = flushes_asked_;
      stop = stopping_;
      const auto now = std::chrono::steady_clock::now();
      round = now >= next_round || asked > flushes_done_ || stop;  // the interval, a flush() or the end
      if (round) next_round = now + kFlushInterval;
    }
    std::size_t handed_over_bytes = 0;
    for (const auto& buffer : handed_over) {
      write_out(buffer);
      handed_over_bytes += buffer.size();
    }
    if (handed_over_bytes > 0) {
      std::lock_guard lock(mutex_);
      ready_bytes_ -= handed_over_bytes;  // counted until written, not only while queued
    }
    if (!round) continue;
    for (auto& shard : shards_) {
      std::string pending;
      {
        std::lock_guard lock(shard.mutex);
        pending.swap(shard.buffer);
      }
      if (!pending.empty()) write_out(pending);
    }
    {
      std::lock_guard lock(mutex_);
      flushes_done_ = asked;
    }
    flushed_.notify_all();
    if (stop) return;  // the owner appends nothing once it destroys the sink
  }
}

void AccessLogSink::write_out(const std::string& buffer) {
  std::size_t written = 0;
  while (written < buffer.size()) {
    auto n = ::write(fd_, buffer.data() + written, buffer.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the log target is gone; never crash for it
    written += static_cast<std::size_t>(n);
  }
  if (!regular_file_) return;
  unsynced_bytes_ += written;
  if (unsynced_bytes_ < kWritebackBytes) return;
  unsynced_bytes_ = 0;
  // Starts the writeback of what the file has dirty, without waiting for it (see the header).
  ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
}

}  // namespace parley::http
