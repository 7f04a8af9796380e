#pragma once
// A histogram of durations that a hot path observes with relaxed atomics and a metrics scrape
// reads as a snapshot (per-bucket counts, not cumulative, and the sum), to hand on to
// prometheus::Histogram::ObserveMultiple as the growth since its previous read. Observations
// racing with a read land in the next one.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace parley::core {

class AtomicHistogram {
 public:
  // `bounds`: increasing upper bounds in seconds; one more bucket holds what lies beyond them.
  explicit AtomicHistogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

  void observe(std::chrono::microseconds duration) noexcept {
    const std::int64_t us = std::max<std::int64_t>(duration.count(), 0);
    const double seconds = static_cast<double>(us) / 1e6;
    const auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
  }

  const std::vector<double>& bounds() const noexcept { return bounds_; }

  struct Snapshot {
    std::vector<std::uint64_t> counts;  // bounds().size() + 1 buckets, not cumulative
    std::uint64_t sum_us = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    s.counts.reserve(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) s.counts.push_back(counts_[i].load(std::memory_order_relaxed));
    s.sum_us = sum_us_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace parley::core
