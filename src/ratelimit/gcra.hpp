#pragma once
// The generic cell rate algorithm (GCRA), the arithmetic every rate-limit store shares.
//
// A bucket keeps one number, its theoretical arrival time (TAT): when the bucket would be full
// again. A request at `now` is allowed when, after adding one emission interval T to the TAT,
// the TAT is no more than burst * T ahead of now; it then stores the new TAT. A refused request
// changes nothing. An absent bucket (or a TAT in the past) is full. So a bucket costs one
// integer, expires by itself at its TAT, and the limit is exact at every instant: no window
// edges where twice the quota fits, as fixed windows allow.
//
// The Redis store runs the same steps in Lua (ratelimit/redis_store.cpp); the tests check both
// agree. Times are integer milliseconds (since the epoch for TATs).
#include <chrono>
#include <cstdint>

namespace parley::ratelimit {

struct BucketState {
  bool allowed = false;
  std::int64_t remaining = 0;  // requests that would still be allowed at once after this one
  std::chrono::milliseconds reset_after{0};  // until the bucket is full again
  std::chrono::milliseconds retry_after{0};  // when refused: until one request fits
};

struct GcraStep {
  BucketState state;
  std::int64_t new_tat = 0;  // to store when the request goes ahead
};

// One request against a bucket whose stored TAT is `tat_ms` (0 when absent).
GcraStep gcra_step(std::int64_t tat_ms, std::int64_t now_ms, std::int64_t interval_ms, std::int64_t burst) noexcept;

// The state to report for a bucket that allowed its step when another bucket of the same request
// refused it: nothing was taken, so it is the state before the step.
BucketState untaken(const GcraStep& step, std::int64_t tat_ms, std::int64_t now_ms) noexcept;

}  // namespace parley::ratelimit
