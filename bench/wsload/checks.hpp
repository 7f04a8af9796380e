#pragma once
// The pure logic of wsload: what one socket checks about its event stream, how the deliveries of
// every socket are matched against the messages sent, and the latency percentiles. No I/O, no
// clock, no threads: unit-tested in checks_test.cpp.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace wsload {

// One socket's view of its stream. Feed it every frame carrying an event id (on_event) and every
// message.created (on_message, after on_event for the same frame).
class StreamChecker {
 public:
  struct Delivery {
    std::int64_t message_id;
    std::int64_t received_ns;
  };

  // Event ids are per user and strictly increasing: an id not above the highest one seen so far is
  // counted out of order (a repeated id included). The highest id is kept, so one stray large id
  // is one error, not an error on every later frame... unless the later ones really are below it.
  void on_event(std::int64_t event_id) {
    if (have_event_ && event_id <= last_event_) {
      ++out_of_order_;
    } else {
      last_event_ = event_id;
      have_event_ = true;
    }
  }

  // A message.created for `message_id`: the first one is a delivery, any later one a duplicate.
  void on_message(std::int64_t message_id, std::int64_t received_ns) {
    if (!seen_.insert(message_id).second) {
      ++duplicates_;
      return;
    }
    deliveries_.push_back({message_id, received_ns});
  }

  std::uint64_t out_of_order() const { return out_of_order_; }
  std::uint64_t duplicates() const { return duplicates_; }
  // Distinct messages received, in arrival order.
  const std::vector<Delivery>& deliveries() const { return deliveries_; }

 private:
  std::int64_t last_event_ = 0;
  bool have_event_ = false;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t duplicates_ = 0;
  std::unordered_set<std::int64_t> seen_;
  std::vector<Delivery> deliveries_;
};

// A message the load generator sent and the server accepted.
struct SentMessage {
  std::int64_t message_id;
  int conversation;          // index into the run's conversations (0: the one holding everybody)
  std::int64_t started_ns;   // the POST was about to be written
  std::int64_t answered_ns;  // its 201 answer had been read
};

// Deliveries of the whole run, summed over sockets.
struct Tally {
  std::uint64_t expected = 0;                 // (sent message, live socket of a member) pairs
  std::uint64_t received = 0;                 // of those, received
  std::uint64_t lost = 0;                     // expected - received
  std::uint64_t unexpected = 0;               // message.created of messages this run did not send (not an error)
  std::vector<std::int64_t> after_answer_ns;  // received - answered, per delivery (may be negative)
  std::vector<std::int64_t> after_start_ns;   // received - started, per delivery
  std::int64_t last_received_ns = 0;
};

// Adds one socket's deliveries to `tally`. `sent` must be sorted by message_id; `member_of[c]` says
// whether the socket's user is a member of conversation c.
inline void tally_socket(const std::vector<SentMessage>& sent, const std::vector<bool>& member_of,
                         std::vector<StreamChecker::Delivery> deliveries, Tally& tally) {
  std::sort(deliveries.begin(), deliveries.end(),
            [](const auto& a, const auto& b) { return a.message_id < b.message_id; });
  auto d = deliveries.begin();
  for (const auto& message : sent) {
    while (d != deliveries.end() && d->message_id < message.message_id) {
      ++tally.unexpected;
      ++d;
    }
    bool expected = message.conversation >= 0 && static_cast<std::size_t>(message.conversation) < member_of.size() &&
                    member_of[static_cast<std::size_t>(message.conversation)];
    bool got = d != deliveries.end() && d->message_id == message.message_id;
    if (got) {
      if (expected) {
        ++tally.received;
        tally.after_answer_ns.push_back(d->received_ns - message.answered_ns);
        tally.after_start_ns.push_back(d->received_ns - message.started_ns);
        tally.last_received_ns = std::max(tally.last_received_ns, d->received_ns);
      } else {
        ++tally.unexpected;  // delivered to a non-member: counted, reported
      }
      ++d;
    }
    if (expected) {
      ++tally.expected;
      if (!got) ++tally.lost;
    }
  }
  tally.unexpected += static_cast<std::uint64_t>(deliveries.end() - d);
}

// Order statistics of a sample (nanoseconds in, kept as given).
struct Summary {
  std::size_t count = 0;
  std::int64_t min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
  double mean = 0;
};

// The nearest-rank percentile of a sorted, non-empty sample: the smallest value with at least p%
// of the sample at or below it.
inline std::int64_t percentile_sorted(const std::vector<std::int64_t>& sorted, double p) {
  auto n = sorted.size();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

// Sorts `sample` in place and summarizes it; all zero for an empty sample.
inline Summary summarize(std::vector<std::int64_t>& sample) {
  Summary s;
  s.count = sample.size();
  if (sample.empty()) return s;
  std::sort(sample.begin(), sample.end());
  s.min = sample.front();
  s.max = sample.back();
  s.p50 = percentile_sorted(sample, 50);
  s.p90 = percentile_sorted(sample, 90);
  s.p99 = percentile_sorted(sample, 99);
  long double sum = 0;
  for (auto v : sample) sum += static_cast<long double>(v);
  s.mean = static_cast<double>(sum / static_cast<long double>(sample.size()));
  return s;
}

}  // namespace wsload
