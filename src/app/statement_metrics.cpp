#include "app/statement_metrics.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace parley {
namespace {

const prometheus::Histogram::BucketBoundaries kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   5.0};
constexpr std::size_t kBucketCount = 15;  // kBuckets and +Inf
constexpr std::size_t kMaxSqlInSpan = 2048;

}  // namespace

struct StatementMetrics::Shard {
  struct Counts {
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    std::array<std::uint64_t, kBucketCount> buckets{};
    double seconds = 0;
  };
  std::mutex mutex;
  // Keyed by the label's text: names are string literals, but equal names may have two addresses.
  std::unordered_map<std::string_view, Counts> series;
};

StatementMetrics::StatementMetrics(prometheus::Registry& registry, trace::SpanSink* spans, std::string system)
    : durations_(prometheus::BuildHistogram()
                     .Name("parley_db_statement_duration_seconds")
                     .Help("Database statement latency, from the call to the result, by statement name")
                     .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name("parley_db_statement_errors_total")
                  .Help("Database statements that failed, by statement name")
                  .Register(registry)),
      spans_(spans),
      system_(std::move(system)) {}

StatementMetrics::~StatementMetrics() = default;

std::string_view StatementMetrics::label(std::string_view name, std::string_view sql) noexcept {
  if (!name.empty()) return name;
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) sql.remove_prefix(1);
  auto end = std::find_if(sql.begin(), sql.end(), [](char c) { return !std::isalpha(static_cast<unsigned char>(c)); });
  std::string_view keyword(sql.data(), static_cast<std::size_t>(end - sql.begin()));
  static constexpr std::array<std::string_view, 9> kKnown{"begin", "commit",  "rollback", "savepoint", "release",
                                                          "set",   "declare", "fetch",    "close"};
  for (std::string_view known : kKnown) {
    if (keyword.size() == known.size() &&
        std::equal(keyword.begin(), keyword.end(), known.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return known;
  }
  return "unnamed";
}

void StatementMetrics::on_statement(const db::StatementSample& sample) noexcept {
  const std::string_view name = label(sample.name, sample.sql);
  const double seconds = std::chrono::duration<double>(sample.elapsed).count();
  const auto bucket = static_cast<std::size_t>(std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) -
                                               kBuckets.begin());
  try {
    Shard& shard = shards_.local();
    std::lock_guard lock(shard.mutex);
    auto& counts = shard.series[name];
    ++counts.count;
    ++counts.buckets[bucket];
    counts.seconds += seconds;
    if (sample.failed) ++counts.errors;
  } catch (...) {
    // Out of memory for a new series: the sample is lost, the statement is not.
  }
  if (spans_ == nullptr || !sample.parent || !sample.parent->sampled) return;
  try {
    trace::FinishedSpan span{.trace_id = sample.parent->trace_id,
                             .span_id = trace::random_span_id(),
                             .parent_span_id = sample.parent->span_id,
                             .name = std::string(name),
                             .kind = trace::SpanKind::client,
                             .start_unix_nano = sample.start_unix_nano,
                             .end_unix_nano = sample.start_unix_nano + sample.elapsed.count(),
                             .error = sample.failed,
                             .status_message = sample.failed ? "statement failed" : "",
                             .attributes = {}};
    span.attributes.emplace_back("db.system", system_);
    span.attributes.emplace_back("db.operation.name", std::string(name));
    span.attributes.emplace_back("db.query.text", std::string(sample.sql.substr(0, kMaxSqlInSpan)));
    spans_->submit(std::move(span));
  } catch (...) {
    // As above: a span is never worth failing a statement for.
  }
}

void StatementMetrics::flush() {
  std::vector<double> increments(kBucketCount);
  shards_.for_each([&](Shard& shard) {
    std::lock_guard lock(shard.mutex);
    for (auto& [name, counts] : shard.series) {
      if (counts.count == 0) continue;
      const std::map<std::string, std::string> labels{{"statement", std::string(name)}};
      for (std::size_t i = 0; i < kBucketCount; ++i) increments[i] = static_cast<double>(counts.buckets[i]);
      durations_.Add(labels, kBuckets).ObserveMultiple(increments, counts.seconds);
      if (counts.errors > 0) errors_.Add(labels).Increment(static_cast<double>(counts.errors));
      counts = Shard::Counts{};
    }
  });
}

}  // namespace parley
