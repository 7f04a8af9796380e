#include "http/openmetrics.hpp"

#include <charconv>
#include <cmath>

namespace parley::http {
namespace {

// Numbers as OpenMetrics reads them: integers without a fraction, others in shortest round-trip
// form, infinities as +Inf/-Inf.
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, ec == std::errc{} ? end : buffer);
  }
}

// The canonical form of a bucket bound: always with a fraction ("1.0", not "1").
void append_bound(std::string& out, double bound) {
  const auto before = out.size();
  append_number(out, bound);
  std::string_view written(out.data() + before, out.size() - before);
  if (!std::isinf(bound) && written.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string& out, const std::vector<prometheus::ClientMetric::Label>& labels,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& label : labels) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    append_escaped(out, label.value, true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<prometheus::ClientMetric::Label>& labels, double value) {
  out += name;
  out += suffix;
  append_labels(out, labels);
  out += ' ';
  append_number(out, value);
  out += '\n';
}

std::string_view type_name(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Untyped:
      break;
  }
  return "unknown";
}

}  // namespace

std::string serialize_openmetrics(const std::vector<prometheus::MetricFamily>& families,
                                  const ExemplarLookup& exemplars) {
  std::string out;
  out.reserve(64 * 1024);
  for (const auto& family : families) {
    if (family.metric.empty()) continue;
    // A counter's family is named without _total; its samples carry it.
    std::string_view name = family.name;
    const bool counter = family.type == prometheus::MetricType::Counter;
    if (counter && name.ends_with("_total")) name.remove_suffix(6);
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    if (!family.help.empty()) {
      out += "# HELP ";
      out += name;
      out += ' ';
      append_escaped(out, family.help, true);
      out += '\n';
    }
    for (const auto& metric : family.metric) {
      switch (family.type) {
        case prometheus::MetricType::Counter:
          append_sample(out, name, "_total", metric.label, metric.counter.value);
          break;
        case prometheus::MetricType::Gauge:
          append_sample(out, name, "", metric.label, metric.gauge.value);
          break;
        case prometheus::MetricType::Untyped:
          append_sample(out, name, "", metric.label, metric.untyped.value);
          break;
        case prometheus::MetricType::Summary:
          for (const auto& q : metric.summary.quantile) {
            std::string quantile;
            append_number(quantile, q.quantile);
            out += name;
            append_labels(out, metric.label, "quantile", quantile);
            out += ' ';
            append_number(out, q.value);
            out += '\n';
          }
          append_sample(out, name, "_sum", metric.label, metric.summary.sample_sum);
          append_sample(out, name, "_count", metric.label, static_cast<double>(metric.summary.sample_count));
          break;
        case prometheus::MetricType::Histogram: {
          const auto& buckets = metric.histogram.bucket;
          for (std::size_t i = 0; i < buckets.size(); ++i) {
            std::string bound;
            append_bound(bound, buckets[i].upper_bound);
            out += name;
            out += "_bucket";
            append_labels(out, metric.label, "le", bound);
            out += ' ';
            append_number(out, static_cast<double>(buckets[i].cumulative_count));
            if (exemplars) {
              if (auto exemplar = exemplars(family.name, metric.label, i)) {
                out += " # {trace_id=\"";
                out += exemplar->trace_id;
                out += "\"} ";
                append_number(out, exemplar->value);
                out += ' ';
                append_number(out, exemplar->timestamp);
              }
            }
            out += '\n';
          }
          append_sample(out, name, "_count", metric.label, static_cast<double>(metric.histogram.sample_count));
          append_sample(out, name, "_sum", metric.label, metric.histogram.sample_sum);
          break;
        }
      }
    }
  }
  out += "# EOF\n";
  return out;
}

bool accepts_openmetrics(std::string_view accept) {
  // The media type anywhere in the list with a non-zero q-value.
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (!item.starts_with("application/openmetrics-text")) continue;
    auto q = item.find("q=");
    if (q == std::string_view::npos) return true;
    double value = 1;
    std::string_view number = item.substr(q + 2);
    std::from_chars(number.data(), number.data() + number.size(), value);
    return value > 0;
  }
  return false;
}

}  // namespace parley::http
