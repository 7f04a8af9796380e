#pragma once
// The signature of outgoing webhook deliveries, part of the public API contract (docs/webhooks.md):
//
//   Parley-Signature: t=<unix seconds>,v1=<hex hmac-sha256(secret, t + "." + body)>
//
// `t` is the time of signing in decimal; the MAC covers `t` exactly as written, a dot, and the raw
// request body (the bytes sent, before any parsing), under the webhook's secret; `v1` is its
// lower-case hex (64 characters). Binding the time into the MAC lets a receiver refuse replays of
// an old delivery without storing anything. A header may carry several `v1` values (one per secret
// while a secret is being rotated); a receiver accepts the delivery when any of them matches.
// Elements are separated by "," with no spaces; keys other than `t` and `v1` are ignored, so a
// later signature scheme can be sent beside v1 without breaking receivers.
//
// Every function is pure and safe to call from any thread.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::webhooks {

// The header's name, as sent on every delivery.
inline constexpr std::string_view kSignatureHeader = "Parley-Signature";

// How far a receiver lets `t` differ from its clock by default (either direction).
inline constexpr std::chrono::seconds kDefaultSignatureTolerance{5 * 60};

// The header value "t=<unix_seconds>,v1=<hex>" for `body` signed with `secret` at `unix_seconds`.
// Throws AppError::internal for an empty secret or a negative time (programming errors: every
// webhook has a secret, and receivers refuse a `t` with a sign).
std::string sign(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

// What a receiver does with a delivery; Parley's own tests use it as the receiver. True when:
//  - `header` is well formed: comma-separated key=value elements with no whitespace anywhere,
//    exactly one `t` (decimal digits only, no sign, fits in 64 bits) and at least one `v1`
//    (64 lower-case hex digits each), in any order; other keys are ignored;
//  - `t` lies within `tolerance` of `now_unix` (stale and future timestamps are both refused; a
//    negative tolerance refuses everything);
//  - at least one `v1` equals the MAC of `t` + "." + `body` under `secret` (compared in constant
//    time).
// False otherwise, never throws for anything in `header` or `body`. Throws AppError::internal for
// an empty secret (a misconfigured receiver, as in sign()).
bool verify(std::string_view secret, std::string_view header, std::string_view body, std::int64_t now_unix,
            std::chrono::seconds tolerance = kDefaultSignatureTolerance);

}  // namespace parley::webhooks
