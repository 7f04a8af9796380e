#include "http/access_log_sink.hpp"

#include <cerrno>
#include <functional>
#include <thread>
#include <unistd.h>

namespace parley::http {

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
  write_out(full);
}

void AccessLogSink::flush() {
  for (auto& shard : shards_) {
    std::string pending;
    {
      std::lock_guard lock(shard.mutex);
      pending.swap(shard.buffer);
    }
    if (!pending.empty()) write_out(pending);
  }
}

void AccessLogSink::write_out(std::string& buffer) {
  std::lock_guard lock(write_mutex_);
  std::size_t written = 0;
  while (written < buffer.size()) {
    auto n = ::write(fd_, buffer.data() + written, buffer.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the log target is gone; never block or crash a request for it
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace parley::http
