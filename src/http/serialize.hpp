#pragma once
#include "http/response.hpp"

#include <string>

namespace parley::http {

// Writes `response` as an HTTP/1.1 message into `out` (cleared first). Adds Date, Content-Length
// and, when `keep_alive` is false, Connection: close. `head` omits the body but keeps its length.
// CR and LF inside header values are replaced by spaces (no response splitting).
void serialize_response(const Response& response, bool head, bool keep_alive, std::string& out);

std::string_view reason_phrase(int status) noexcept;

}  // namespace parley::http
