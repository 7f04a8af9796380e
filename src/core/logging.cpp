#include "core/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/base_sink.h>

#include "core/trace.hpp"

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <unistd.h>

namespace parley {
namespace {

// The trace ids of a record logged inside traced work travel to the formatter (which runs on the
// logger's own thread, where trace::current() means nothing) at the end of its payload: in JSON
// as a marker byte and the ids, which the formatter turns into fields; in text, readable.
constexpr char kTraceMarker = '\x1f';
constexpr std::size_t kTraceMarkerSize = 1 + 32 + 16;

// spdlog's async_logger is final: this front logger adds the trace ids on the caller's thread and
// hands the record to the async logger behind it, which formats and writes.
class TracingLogger final : public spdlog::logger {
 public:
  TracingLogger(std::shared_ptr<spdlog::logger> backend, bool json)
      : spdlog::logger(backend->name()), backend_(std::move(backend)), json_(json) {
    set_level(backend_->level());
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const trace::SpanContext* span = trace::current();
    if (span == nullptr) {
      backend_->log(msg.time, msg.source, msg.level, msg.payload);
      return;
    }
    std::string payload(msg.payload.data(), msg.payload.size());
    if (json_) {
      payload += kTraceMarker;
      trace::append_hex(payload, span->trace_id.data(), span->trace_id.size());
      trace::append_hex(payload, span->span_id.data(), span->span_id.size());
    } else {
      payload += " trace_id=";
      trace::append_hex(payload, span->trace_id.data(), span->trace_id.size());
      payload += " span_id=";
      trace::append_hex(payload, span->span_id.data(), span->span_id.size());
    }
    backend_->log(msg.time, msg.source, msg.level, payload);
  }

  void flush_() override { backend_->flush(); }

 private:
  std::shared_ptr<spdlog::logger> backend_;
  bool json_;
};

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 96);
    line += R"({"ts":")";
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    line += stamp;
    line += R"(","level":")";
    auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += R"(","logger":")";
    append_json_escaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += '"';
    std::string_view payload(msg.payload.data(), msg.payload.size());
    // A record logged inside traced work ends with the marker TracingAsyncLogger appended.
    if (payload.size() >= kTraceMarkerSize && payload[payload.size() - kTraceMarkerSize] == kTraceMarker) {
      std::string_view ids = payload.substr(payload.size() - kTraceMarkerSize + 1);
      line += R"(,"trace_id":")";
      line.append(ids.substr(0, 32));
      line += R"(","span_id":")";
      line.append(ids.substr(32));
      line += '"';
      payload.remove_suffix(kTraceMarkerSize);
    }
    if (payload.size() >= 2 && payload.front() == '{' && payload.back() == '}') {
      if (payload.size() > 2) {
        line += ',';
        line.append(payload.substr(1));
      } else {
        line += '}';
      }
    } else {
      line += R"(,"msg":")";
      append_json_escaped(line, payload);
      line += R"("})";
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// stderr without a flush per line: records collect in a buffer written when it holds 64 KiB or
// when the oldest record in it is 100 ms old; flush() (the App's periodic flush, and every record
// at warn or above) writes at once. One write(2) per batch instead of one fflush per line is what
// keeps the access log cheap under load.
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    if (buffer_.empty()) oldest_ = std::chrono::steady_clock::now();
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= kLimit || std::chrono::steady_clock::now() - oldest_ > kMaxAge) flush_();
  }

  void flush_() override {
    std::size_t written = 0;
    while (written < buffer_.size()) {
      auto n = ::write(STDERR_FILENO, buffer_.data() + written, buffer_.size() - written);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        break;  // stderr is gone; dropping the batch beats blocking the logger forever
      }
      written += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kLimit = 64 * 1024;
  static constexpr auto kMaxAge = std::chrono::milliseconds(100);
  std::string buffer_;
  std::chrono::steady_clock::time_point oldest_;
};

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.format == "text" && isatty(STDERR_FILENO)) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    sink = std::make_shared<BufferedStderrSink>();
  }
  // async_logger holds its thread pool only weakly, so one holder owns both and the returned
  // pointer aliases into it. The queue drops the oldest record rather than block an I/O thread.
  struct Holder {
    std::shared_ptr<spdlog::details::thread_pool> pool;
    std::shared_ptr<spdlog::async_logger> backend;
    std::shared_ptr<TracingLogger> logger;
  };
  auto holder = std::make_shared<Holder>();
  holder->pool = std::make_shared<spdlog::details::thread_pool>(16384, 1);
  holder->backend = std::make_shared<spdlog::async_logger>(options.name, sink, holder->pool,
                                                           spdlog::async_overflow_policy::overrun_oldest);
  if (options.format == "json") {
    holder->backend->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    holder->backend->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %n: %v", spdlog::pattern_time_type::utc);
  }
  holder->backend->set_level(spdlog::level::from_str(options.level));
  holder->backend->flush_on(spdlog::level::warn);
  holder->logger = std::make_shared<TracingLogger>(holder->backend, options.format == "json");
  std::shared_ptr<spdlog::logger> logger(holder, holder->logger.get());
  // The front logger's level gates the records (the backend's is the same).
  logger->set_level(spdlog::level::from_str(options.level));
  return logger;
}

}  // namespace parley
