#include "analytics/latency_buckets.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace parley::analytics {
namespace {

using Counts = std::array<std::uint64_t, kLatencyBuckets>;

TEST(LatencyBucket, BoundsAreInclusiveUpperEdges) {
  EXPECT_EQ(latency_bucket(0), 0u);
  EXPECT_EQ(latency_bucket(1), 0u) << "le 1 ms";
  EXPECT_EQ(latency_bucket(1.001), 1u);
  EXPECT_EQ(latency_bucket(300), 14u);
  EXPECT_EQ(latency_bucket(30000), 23u);
  EXPECT_EQ(latency_bucket(30000.5), 24u) << "the overflow bucket";
  EXPECT_EQ(latency_bucket(-3), 0u) << "a clock step";
  EXPECT_EQ(latency_bucket(std::numeric_limits<double>::quiet_NaN()), 0u);
}

TEST(LatencyQuantile, InterpolatesWithinTheBucketOfTheRank) {
  Counts counts{};
  EXPECT_FALSE(latency_quantile_ms(counts, 0.95)) << "no request, no percentile";
  counts[latency_bucket(4)] = 100;  // (3, 5] ms
  EXPECT_DOUBLE_EQ(*latency_quantile_ms(counts, 0.95), 3 + 2 * 0.95);
  EXPECT_DOUBLE_EQ(*latency_quantile_ms(counts, 1.0), 5);
  // 90 fast requests and 10 slow ones: the 95th is the 5th of the slow bucket (150, 200].
  counts = {};
  counts[latency_bucket(0.5)] = 90;
  counts[latency_bucket(180)] = 10;
  EXPECT_DOUBLE_EQ(*latency_quantile_ms(counts, 0.95), 150 + 50 * 0.5);
  EXPECT_DOUBLE_EQ(*latency_quantile_ms(counts, 0.5), 50.0 / 90.0) << "rank 50 of 90 in (0, 1] ms";
}

TEST(LatencyQuantile, TheOverflowBucketAnswersItsLowerBound) {
  Counts counts{};
  counts[kLatencyBuckets - 1] = 3;
  EXPECT_DOUBLE_EQ(*latency_quantile_ms(counts, 0.95), 30000);
}

}  // namespace
}  // namespace parley::analytics
