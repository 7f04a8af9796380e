#pragma once
// Logging with spdlog. `make_logger` builds the process logger the App owns and passes around
// (no global registry). Records go through an asynchronous queue so I/O threads only format.
//
// Formats: "text" gives readable lines for development; "json" gives one JSON object a line with
// ts, level, logger and msg. A message that is itself a JSON object (starts with '{', as the access
// log writes) is merged into the record instead of being quoted, so its fields stay queryable.
// A record logged inside traced work (core/trace.hpp: a request, a job) carries the span's ids:
// "trace_id" and "span_id" fields in JSON, " trace_id=... span_id=..." at the end in text.
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/json_writer.hpp"

namespace parley {

struct LogOptions {
  std::string level = "info";
  std::string format = "text";  // "text" | "json"
  std::string name = "parley";
};

std::shared_ptr<spdlog::logger> make_logger(const LogOptions& options);

// The log lines' JSON escaping is the response writer's (core/json_writer.hpp).
using core::append_json_escaped;

}  // namespace parley
