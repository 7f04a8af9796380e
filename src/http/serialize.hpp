#pragma once
#include "http/response.hpp"

#include <cstdint>
#include <string>

namespace parley::http {

// Writes `response` as an HTTP/1.1 message into `out` (cleared first). Adds Date, Content-Length
// and, when `keep_alive` is false, Connection: close. `head` omits the body but keeps its length.
// CR and LF inside header values are replaced by spaces (no response splitting).
void serialize_response(const Response& response, bool head, bool keep_alive, std::string& out);

// How a streamed body is delimited on the wire.
enum class BodyFraming {
  content_length,  // the declared length (Content-Length)
  chunked,         // Transfer-Encoding: chunked (HTTP/1.1)
  until_close,     // no framing header; the body ends when the connection closes (HTTP/1.0 peers)
};

// Writes the head of a streamed response into `out` (cleared first): status line, Date, the
// framing header (`length` for content_length; none for 1xx, 204 and 304), the headers and, when
// `keep_alive` is false, Connection: close. Same neutralisation of CR/LF as serialize_response.
void serialize_stream_head(const Response& response, BodyFraming framing, std::uint64_t length, bool keep_alive,
                           std::string& out);

// The chunk-size line of an HTTP/1.1 chunk of `size` bytes ("1f40\r\n") into `out`; returns its length.
std::size_t chunk_size_line(std::size_t size, char (&out)[24]) noexcept;

std::string_view reason_phrase(int status) noexcept;

}  // namespace parley::http
