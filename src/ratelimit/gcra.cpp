#include "ratelimit/gcra.hpp"

#include <algorithm>

namespace parley::ratelimit {

using std::chrono::milliseconds;

GcraStep gcra_step(std::int64_t tat_ms, std::int64_t now_ms, std::int64_t interval_ms, std::int64_t burst) noexcept {
  const std::int64_t tat = std::max(tat_ms, now_ms);
  const std::int64_t new_tat = tat + interval_ms;
  const std::int64_t allow_at = new_tat - burst * interval_ms;
  GcraStep step;
  if (now_ms < allow_at) {
    step.state.reset_after = milliseconds(tat - now_ms);
    step.state.retry_after = milliseconds(allow_at - now_ms);
    step.new_tat = tat_ms;
    return step;
  }
  step.state.allowed = true;
  step.state.remaining = (now_ms - allow_at) / interval_ms;
  step.state.reset_after = milliseconds(new_tat - now_ms);
  step.new_tat = new_tat;
  return step;
}

BucketState untaken(const GcraStep& step, std::int64_t tat_ms, std::int64_t now_ms) noexcept {
  BucketState state = step.state;
  state.allowed = true;
  state.remaining += 1;
  state.reset_after = milliseconds(std::max<std::int64_t>(0, tat_ms - now_ms));
  return state;
}

}  // namespace parley::ratelimit
