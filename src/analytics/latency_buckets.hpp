#pragma once
// Request latencies as a fixed histogram, the shape analytics_latency stores per day: replicas and
// hours add up bucket by bucket, and a day's (or a range's) percentiles come from the sums.
//
// The bounds are part of the stored data: never change or reorder them (append only, at the end
// before the overflow bucket would also move it: add a new table instead).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace parley::analytics {

// Upper bounds in milliseconds of buckets 0..23; bucket 24 holds everything slower.
inline constexpr std::array<double, 24> kLatencyBoundsMs{1,   2,   3,   5,   7.5,  10,   15,   20,   30,   50,    75,    100,
                                                         150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000};
inline constexpr std::size_t kLatencyBuckets = kLatencyBoundsMs.size() + 1;

// The bucket of a request that took `ms` (bounds are inclusive upper bounds, as Prometheus' le).
std::size_t latency_bucket(double ms) noexcept;

// The q-quantile (0 < q <= 1) of the histogram `counts` (kLatencyBuckets entries), interpolated
// linearly within its bucket (the overflow bucket answers its lower bound); nullopt when empty.
std::optional<double> latency_quantile_ms(std::span<const std::uint64_t, kLatencyBuckets> counts, double q) noexcept;

}  // namespace parley::analytics
