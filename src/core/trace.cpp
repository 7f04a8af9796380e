#include "core/trace.hpp"

#include <algorithm>
#include <random>

namespace parley::trace {
namespace {

thread_local Slot* tls_slot = nullptr;

std::mt19937_64& generator() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

bool lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// Reads `out.size()` bytes of lowercase hex from `text`; false on anything else.
template <std::size_t N>
bool read_hex(std::string_view text, std::array<std::uint8_t, N>& out) {
  if (text.size() != N * 2) return false;
  for (std::size_t i = 0; i < N; ++i) {
    char high = text[2 * i];
    char low = text[2 * i + 1];
    if (!lower_hex(high) || !lower_hex(low)) return false;
    out[i] = static_cast<std::uint8_t>(hex_value(high) * 16 + hex_value(low));
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

template <std::size_t N>
std::array<std::uint8_t, N> random_nonzero() {
  std::array<std::uint8_t, N> out{};
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t bits = generator()();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) out[i + j] = static_cast<std::uint8_t>(bits >> (8 * j));
    }
  } while (all_zero(out));
  return out;
}

// tracestate keys: simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-"/ "*" / "/"), or
// tenant@system (tenant up to 241 chars starting with lcalpha/DIGIT, system up to 14 starting lcalpha).
bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 256) return false;
  auto at = key.find('@');
  if (at == std::string_view::npos) {
    return key.front() >= 'a' && key.front() <= 'z' && std::all_of(key.begin(), key.end(), key_char);
  }
  std::string_view tenant = key.substr(0, at);
  std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || system.empty() || system.size() > 14) return false;
  bool tenant_start = (tenant.front() >= 'a' && tenant.front() <= 'z') || (tenant.front() >= '0' && tenant.front() <= '9');
  bool system_start = system.front() >= 'a' && system.front() <= 'z';
  return tenant_start && system_start && std::all_of(tenant.begin(), tenant.end(), key_char) &&
         std::all_of(system.begin(), system.end(), key_char);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool valid_value(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return c == ' ' || (c >= 0x21 && c <= 0x7e && c != ',' && c != '=');
  });
}

}  // namespace

bool SpanContext::valid() const noexcept { return !all_zero(trace_id) && !all_zero(span_id); }

std::string SpanContext::trace_id_hex() const {
  std::string out;
  append_hex(out, trace_id.data(), trace_id.size());
  return out;
}

std::string SpanContext::span_id_hex() const {
  std::string out;
  append_hex(out, span_id.data(), span_id.size());
  return out;
}

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xf];
  }
}

std::optional<SpanContext> parse_traceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" trace-flags: 2+1+32+1+16+1+2 = 55 characters.
  constexpr std::size_t kLength = 55;
  if (header.size() < kLength) return std::nullopt;
  std::array<std::uint8_t, 1> version{};
  if (!read_hex(header.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append "-..." which is ignored.
  if (version[0] == 0 && header.size() != kLength) return std::nullopt;
  if (header.size() > kLength && header[kLength] != '-') return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  SpanContext context;
  std::array<std::uint8_t, 1> flags{};
  if (!read_hex(header.substr(3, 32), context.trace_id) || !read_hex(header.substr(36, 16), context.span_id) ||
      !read_hex(header.substr(53, 2), flags) || !context.valid()) {
    return std::nullopt;
  }
  context.sampled = (flags[0] & 0x01) != 0;
  return context;
}

std::string format_traceparent(const SpanContext& context) {
  std::string out;
  out.reserve(55);
  out += "00-";
  append_hex(out, context.trace_id.data(), context.trace_id.size());
  out += '-';
  append_hex(out, context.span_id.data(), context.span_id.size());
  out += context.sampled ? "-01" : "-00";
  return out;
}

std::optional<std::string> valid_tracestate(std::string_view header) {
  if (header.size() > 512) return std::nullopt;
  std::string out;
  std::size_t members = 0;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view member = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!member.empty() && (member.front() == ' ' || member.front() == '\t')) member.remove_prefix(1);
    while (!member.empty() && (member.back() == ' ' || member.back() == '\t')) member.remove_suffix(1);
    if (member.empty()) continue;  // empty list members are allowed and dropped
    auto eq = member.find('=');
    if (eq == std::string_view::npos || !valid_key(member.substr(0, eq)) || !valid_value(member.substr(eq + 1)))
      return std::nullopt;
    if (++members > 32) return std::nullopt;
    if (!out.empty()) out += ',';
    out.append(member);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

TraceId random_trace_id() { return random_nonzero<16>(); }
SpanId random_span_id() { return random_nonzero<8>(); }

bool sample(double ratio) {
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator()) < ratio;
}

std::int64_t unix_nanos(std::chrono::system_clock::time_point time) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

Slot* current_slot() noexcept { return tls_slot; }

ScopedSlot::ScopedSlot(Slot* slot) noexcept : previous_(tls_slot) { tls_slot = slot; }
ScopedSlot::~ScopedSlot() { tls_slot = previous_; }

}  // namespace parley::trace
