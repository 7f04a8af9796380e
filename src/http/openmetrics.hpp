#pragma once
// The OpenMetrics 1.0 text exposition (https://prometheus.io/docs/specs/om/open_metrics_spec/) of
// a prometheus-cpp collection, with exemplars on histogram buckets: what /metrics answers to
// `Accept: application/openmetrics-text` (Prometheus with exemplar storage, the Datadog
// OpenMetrics check). The Prometheus text format stays the default.
#include <prometheus/metric_family.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::http {

inline constexpr std::string_view kOpenMetricsType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// One exemplar: the trace of one observation that fell in a bucket.
struct Exemplar {
  std::string trace_id;  // 32 hex digits
  double value = 0;      // the observed value
  double timestamp = 0;  // seconds since the Unix epoch
};

// The exemplar of bucket `bucket` (an index into the histogram's buckets) of the series with
// `labels` in family `family`, if any.
using ExemplarLookup = std::function<std::optional<Exemplar>(
    std::string_view family, const std::vector<prometheus::ClientMetric::Label>& labels, std::size_t bucket)>;

std::string serialize_openmetrics(const std::vector<prometheus::MetricFamily>& families,
                                  const ExemplarLookup& exemplars = {});

// Whether an Accept header asks for OpenMetrics (Prometheus sends it first, with a q-value).
bool accepts_openmetrics(std::string_view accept);

}  // namespace parley::http
