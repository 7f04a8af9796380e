#include "tracing/otlp_exporter.hpp"

#include <curl/curl.h>
#include <spdlog/logger.h>

#include <memory>

#include "core/json_writer.hpp"

namespace parley::tracing {
namespace {

void append_string(std::string& out, std::string_view text) {
  out += '"';
  core::append_json_escaped(out, text);
  out += '"';
}

void append_attribute(std::string& out, std::string_view key, const trace::AttributeValue& value) {
  out += R"({"key":)";
  append_string(out, key);
  out += R"(,"value":{)";
  if (const auto* text = std::get_if<std::string>(&value)) {
    out += R"("stringValue":)";
    append_string(out, *text);
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    // OTLP/JSON writes 64-bit integers as strings.
    out += R"("intValue":")" + std::to_string(*integer) + '"';
  } else if (const auto* real = std::get_if<double>(&value)) {
    out += R"("doubleValue":)" + std::to_string(*real);
  } else {
    out += std::get<bool>(value) ? R"("boolValue":true)" : R"("boolValue":false)";
  }
  out += "}}";
}

void append_span(std::string& out, const trace::FinishedSpan& span) {
  out += R"({"traceId":")";
  trace::append_hex(out, span.trace_id.data(), span.trace_id.size());
  out += R"(","spanId":")";
  trace::append_hex(out, span.span_id.data(), span.span_id.size());
  out += '"';
  if (span.parent_span_id) {
    out += R"(,"parentSpanId":")";
    trace::append_hex(out, span.parent_span_id->data(), span.parent_span_id->size());
    out += '"';
  }
  out += R"(,"name":)";
  append_string(out, span.name);
  out += R"(,"kind":)" + std::to_string(static_cast<int>(span.kind));
  out += R"(,"startTimeUnixNano":")" + std::to_string(span.start_unix_nano);
  out += R"(","endTimeUnixNano":")" + std::to_string(span.end_unix_nano) + '"';
  out += R"(,"attributes":[)";
  for (std::size_t i = 0; i < span.attributes.size(); ++i) {
    if (i > 0) out += ',';
    append_attribute(out, span.attributes[i].first, span.attributes[i].second);
  }
  out += ']';
  if (span.error) {
    out += R"(,"status":{"code":2,"message":)";
    append_string(out, span.status_message);
    out += '}';
  }
  out += '}';
}

struct CurlDeleter {
  void operator()(CURL* curl) const noexcept { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

std::string otlp_json(const std::vector<std::pair<std::string, std::string>>& resource,
                      const std::vector<trace::FinishedSpan>& spans) {
  std::string out;
  out.reserve(256 + spans.size() * 512);
  out += R"({"resourceSpans":[{"resource":{"attributes":[)";
  for (std::size_t i = 0; i < resource.size(); ++i) {
    if (i > 0) out += ',';
    append_attribute(out, resource[i].first, resource[i].second);
  }
  out += R"(]},"scopeSpans":[{"scope":{"name":"parley"},"spans":[)";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) out += ',';
    append_span(out, spans[i]);
  }
  out += "]}]}]}";
  return out;
}

OtlpExporter::OtlpExporter(OtlpOptions options, prometheus::Registry& registry, spdlog::logger& logger)
    : options_(std::move(options)),
      logger_(logger),
      exported_(prometheus::BuildCounter()
                    .Name("parley_trace_spans_exported_total")
                    .Help("Spans the OTLP collector accepted")
                    .Register(registry)
                    .Add({})),
      dropped_full_(prometheus::BuildCounter()
                        .Name("parley_trace_spans_dropped_total")
                        .Help("Spans not exported: the buffer was full, or the collector refused or was unreachable")
                        .Register(registry)
                        .Add({{"reason", "buffer_full"}})),
      dropped_failed_(prometheus::BuildCounter()
                          .Name("parley_trace_spans_dropped_total")
                          .Help("Spans not exported: the buffer was full, or the collector refused or was unreachable")
                          .Register(registry)
                          .Add({{"reason", "export_failed"}})),
      thread_([this] { run(); }) {}

OtlpExporter::~OtlpExporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void OtlpExporter::submit(trace::FinishedSpan span) noexcept {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queue) {
      dropped_full_.Increment();
      return;
    }
    queue_.push_back(std::move(span));
    wake = queue_.size() == options_.max_batch;
  }
  if (wake) wake_.notify_one();
}

void OtlpExporter::run() {
  std::vector<trace::FinishedSpan> batch;
  for (;;) {
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.interval, [this] { return stopping_ || queue_.size() >= options_.max_batch; });
      last = stopping_;
      std::size_t take = std::min(queue_.size(), options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + take));
      queue_.erase(queue_.begin(), queue_.begin() + take);
    }
    if (!batch.empty()) {
      std::string error;
      if (post(otlp_json(options_.resource, batch), error)) {
        exported_.Increment(static_cast<double>(batch.size()));
      } else {
        dropped_failed_.Increment(static_cast<double>(batch.size()));
        auto now = std::chrono::steady_clock::now();
        if (now - last_warning_ > std::chrono::minutes(1)) {
          last_warning_ = now;
          logger_.warn("trace export to {} failed ({}); {} span(s) dropped", options_.url, error, batch.size());
        }
      }
      batch.clear();
    }
    if (last) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;  // else one more pass sends the rest
    }
  }
}

bool OtlpExporter::post(const std::string& body, std::string& error) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    error = "curl_easy_init failed";
    return false;
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_easy_setopt(curl.get(), CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard);
  CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    error = curl_easy_strerror(code);
    return false;
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    error = "HTTP " + std::to_string(status);
    return false;
  }
  return true;
}

}  // namespace parley::tracing
