#pragma once
// Times as Parley writes them everywhere: RFC 3339, UTC, milliseconds ("2026-11-23T23:51:00.123Z").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

std::string format_rfc3339(std::chrono::system_clock::time_point time);

// Reads an RFC 3339 date-time ("2026-11-23T23:51:00Z", "2026-11-23T23:51:00.123+01:00"; 't', 'z'
// and a space instead of 'T' accepted; any number of fraction digits, kept to milliseconds) or a
// plain date ("2026-11-23", meaning its midnight UTC). nullopt for anything else, including
// impossible dates (Feb 30), leap seconds and years outside 1970..9999.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace parley
