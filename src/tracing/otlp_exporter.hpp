#pragma once
// Exports finished spans to an OpenTelemetry collector over OTLP/HTTP with JSON bodies
// (POST <url>, Content-Type: application/json; the url is the full traces endpoint, e.g.
// http://collector:4318/v1/traces).
//
// submit() never blocks a request: it appends to a bounded buffer under a short lock and drops
// the span (counted) when the buffer is full. One thread sends batches: when max_batch spans are
// waiting or every `interval`, whichever comes first. A failed POST drops its batch (counted,
// logged at most once a minute): tracing must never hold memory or requests hostage to a
// collector that is down. The destructor sends what is left, once.
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/trace.hpp"

namespace spdlog {
class logger;
}

namespace parley::tracing {

struct OtlpOptions {
  std::string url;
  // Resource attributes (service.name, service.version, service.instance.id, ...).
  std::vector<std::pair<std::string, std::string>> resource;
  std::size_t max_queue = 8192;
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{5000};
};

// The OTLP/JSON ExportTraceServiceRequest for `spans` (exposed for tests).
std::string otlp_json(const std::vector<std::pair<std::string, std::string>>& resource,
                      const std::vector<trace::FinishedSpan>& spans);

class OtlpExporter final : public trace::SpanSink {
 public:
  OtlpExporter(OtlpOptions options, prometheus::Registry& registry, spdlog::logger& logger);
  ~OtlpExporter() override;
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void submit(trace::FinishedSpan span) noexcept override;

 private:
  void run();
  // POSTs one batch; false when the collector did not take it.
  bool post(const std::string& body, std::string& error);

  OtlpOptions options_;
  spdlog::logger& logger_;
  prometheus::Counter& exported_;
  prometheus::Counter& dropped_full_;
  prometheus::Counter& dropped_failed_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<trace::FinishedSpan> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_warning_{};
  std::thread thread_;
};

}  // namespace parley::tracing
