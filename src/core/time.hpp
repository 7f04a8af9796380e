#pragma once
// Times as Parley writes them everywhere: RFC 3339, UTC, milliseconds ("2026-11-23T23:51:00.123Z").
#include <chrono>
#include <string>

namespace parley {

std::string format_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace parley
