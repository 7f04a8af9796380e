#include "core/atomic_histogram.hpp"

#include <gtest/gtest.h>

namespace parley::core {
namespace {

using std::chrono::microseconds;

TEST(AtomicHistogram, CountsEachObservationInItsBucketAndSums) {
  AtomicHistogram h({0.001, 0.005, 0.1});
  h.observe(microseconds(500));     // <= 1 ms
  h.observe(microseconds(1000));    // on a bound: that bucket (Prometheus' le)
  h.observe(microseconds(3000));    // <= 5 ms
  h.observe(microseconds(250000));  // beyond every bound
  h.observe(microseconds(-20));     // a clock step backwards counts as 0
  const auto s = h.snapshot();
  ASSERT_EQ(s.counts.size(), 4u);
  EXPECT_EQ(s.counts[0], 3u);
  EXPECT_EQ(s.counts[1], 1u);
  EXPECT_EQ(s.counts[2], 0u);
  EXPECT_EQ(s.counts[3], 1u);
  EXPECT_EQ(s.sum_us, 500u + 1000u + 3000u + 250000u);
}

TEST(AtomicHistogram, SnapshotsOnlyGrow) {
  AtomicHistogram h({0.01});
  h.observe(microseconds(5));
  const auto first = h.snapshot();
  h.observe(microseconds(5));
  const auto second = h.snapshot();
  EXPECT_EQ(second.counts[0] - first.counts[0], 1u);
  EXPECT_EQ(second.sum_us - first.sum_us, 5u);
}

}  // namespace
}  // namespace parley::core
