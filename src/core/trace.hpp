#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the ids that tie a request, its
// database statements, the jobs it enqueues and the webhooks those jobs deliver into one trace.
//
// The span whose work a thread is doing now is found through a Slot: whoever runs a unit of work
// (an HTTP connection, a job) owns a Slot, runs its coroutine on a SlotExecutor
// (core/trace_executor.hpp) that makes the Slot current for every handler it runs, and fills the
// Slot while a traced request or job is in progress. Log lines, database statements and enqueued
// jobs read trace::current() and never need the context passed down to them.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::trace {

using TraceId = std::array<std::uint8_t, 16>;
using SpanId = std::array<std::uint8_t, 8>;

struct SpanContext {
  TraceId trace_id{};
  SpanId span_id{};
  bool sampled = false;  // the traceparent's sampled flag: spans of this trace are recorded

  bool valid() const noexcept;  // neither id all zeros
  std::string trace_id_hex() const;
  std::string span_id_hex() const;
};

// Parses a traceparent header (version 00, or a later version read as 00 where the spec allows).
// nullopt for anything malformed, as the spec says: the caller then starts a new trace.
std::optional<SpanContext> parse_traceparent(std::string_view header);
// "00-<trace id>-<span id>-<flags>".
std::string format_traceparent(const SpanContext& context);
// The tracestate header when it is a valid list (at most 32 members, 512 characters, keys and
// values as the spec allows); nullopt otherwise (the spec: drop an invalid tracestate).
std::optional<std::string> valid_tracestate(std::string_view header);

// Random, non-zero ids (a per-thread generator seeded from the OS: ids are unique, not secret).
TraceId random_trace_id();
SpanId random_span_id();
// Whether a new trace (no sampled parent) is recorded at `ratio` (0 never, 1 always).
bool sample(double ratio);

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t size);

// Nanoseconds since the Unix epoch, the time unit of exported spans.
std::int64_t unix_nanos(std::chrono::system_clock::time_point time) noexcept;
inline std::int64_t now_unix_nanos() noexcept { return unix_nanos(std::chrono::system_clock::now()); }

// The span a unit of work is inside right now, with its inbound tracestate; `active` is false
// between requests (an idle connection, a worker slot without a job).
struct Slot {
  SpanContext span;
  std::string tracestate;
  bool active = false;
};

// The slot of the work this thread is doing (null outside a SlotExecutor or ScopedSlot). Its owner
// (the tracing middleware, the job runner) fills it when traced work starts and clears it after.
Slot* current_slot() noexcept;
inline const SpanContext* current() noexcept {
  const Slot* slot = current_slot();
  return slot != nullptr && slot->active ? &slot->span : nullptr;
}

// Makes `slot` current on this thread for its lifetime and restores the previous one (the
// SlotExecutor runs each handler inside one; tests and plain threads use it directly).
class ScopedSlot {
 public:
  explicit ScopedSlot(Slot* slot) noexcept;
  ~ScopedSlot();
  ScopedSlot(const ScopedSlot&) = delete;
  ScopedSlot& operator=(const ScopedSlot&) = delete;

 private:
  Slot* previous_;
};

// A finished span, ready for export (OTLP's Span, the fields Parley fills).
enum class SpanKind { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };
using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;

struct FinishedSpan {
  TraceId trace_id{};
  SpanId span_id{};
  std::optional<SpanId> parent_span_id;
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::int64_t start_unix_nano = 0;
  std::int64_t end_unix_nano = 0;
  bool error = false;
  std::string status_message;  // for an error: what failed (never secrets or user data)
  std::vector<std::pair<std::string, AttributeValue>> attributes;
};

// Where finished spans go (the OTLP exporter). submit() must not block: a full buffer drops.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void submit(FinishedSpan span) noexcept = 0;
};

}  // namespace parley::trace
