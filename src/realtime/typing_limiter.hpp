#pragma once
// The per-socket limit on typing frames: a token bucket holding `burst` tokens, refilled one per
// `interval`. A typing frame over the limit is dropped (typing is a hint; nobody misses one).
// Not thread-safe: a socket's frames are handled one at a time.
#include <algorithm>
#include <chrono>

namespace parley::realtime {

class TypingLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  TypingLimiter(int burst, std::chrono::milliseconds interval)
      : burst_(std::max(burst, 1)), interval_(std::max(interval, std::chrono::milliseconds(1))) {}

  bool allow(Clock::time_point now) {
    if (!started_) {
      started_ = true;
      tokens_ = burst_;
      refilled_at_ = now;
    }
    const auto earned = (now - refilled_at_) / interval_;
    if (earned > 0) {
      tokens_ = static_cast<int>(std::min<long long>(burst_, tokens_ + earned));
      refilled_at_ += earned * interval_;
      if (tokens_ == burst_) refilled_at_ = now;  // a full bucket does not bank time
    }
    if (tokens_ == 0) return false;
    --tokens_;
    return true;
  }

 private:
  int burst_;
  std::chrono::milliseconds interval_;
  bool started_ = false;
  int tokens_ = 0;
  Clock::time_point refilled_at_;
};

}  // namespace parley::realtime
