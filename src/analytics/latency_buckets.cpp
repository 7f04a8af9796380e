#include "analytics/latency_buckets.hpp"

#include <algorithm>
#include <cmath>

namespace parley::analytics {

std::size_t latency_bucket(double ms) noexcept {
  if (!(ms >= 0)) return 0;  // NaN or negative: a clock step, counted as the fastest
  return static_cast<std::size_t>(std::lower_bound(kLatencyBoundsMs.begin(), kLatencyBoundsMs.end(), ms) -
                                  kLatencyBoundsMs.begin());
}

std::optional<double> latency_quantile_ms(std::span<const std::uint64_t, kLatencyBuckets> counts, double q) noexcept {
  std::uint64_t total = 0;
  for (auto n : counts) total += n;
  if (total == 0) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the quantile among the requests, from 1: the nearest-rank definition.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
    if (counts[i] == 0 || below + counts[i] < rank) {
      below += counts[i];
      continue;
    }
    const double lower = i == 0 ? 0.0 : kLatencyBoundsMs[i - 1];
    if (i == kLatencyBoundsMs.size()) return lower;  // slower than the last bound: no upper edge to go by
    const double upper = kLatencyBoundsMs[i];
    const double within = static_cast<double>(rank - below) / static_cast<double>(counts[i]);
    return lower + (upper - lower) * within;
  }
  return kLatencyBoundsMs.back();  // unreachable: the ranks end in the last non-empty bucket
}

}  // namespace parley::analytics
