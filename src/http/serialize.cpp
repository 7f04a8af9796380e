#include "http/serialize.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <ctime>

namespace parley::http {
namespace {

// The IMF-fixdate for the current second, formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char buffer[40];
  thread_local std::size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    length = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return {buffer, length};
}

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

void append_safe(std::string& out, std::string_view value) {
  for (char c : value) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

}  // namespace

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

namespace {

bool is_bodyless(int status) { return status < 200 || status == 204 || status == 304; }

constexpr std::string_view kJsonContentTypeLine = "Content-Type: application/json; charset=utf-8\r\n";

// "HTTP/1.1 <status> <reason>\r\nDate: " for every status from 100 to 599, rendered once.
void append_status_line_and_date_name(int status, std::string& out) {
  static const auto kLines = [] {
    std::array<std::string, 500> lines;
    for (int s = 100; s < 600; ++s) {
      lines[static_cast<std::size_t>(s - 100)] =
          "HTTP/1.1 " + std::to_string(s) + " " + std::string(reason_phrase(s)) + "\r\nDate: ";
    }
    return lines;
  }();
  if (status >= 100 && status <= 599) {
    out += kLines[static_cast<std::size_t>(status - 100)];
    return;
  }
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::size_t>(status));
  out += " Unknown\r\nDate: ";
}

// Status line, Date and Content-Type (JSON's header line pre-rendered).
void append_start(const Response& response, std::string& out) {
  append_status_line_and_date_name(response.status, out);
  out += http_date();
  out += "\r\n";
  if (response.content_type == kJsonType) {
    out += kJsonContentTypeLine;
  } else if (!response.content_type.empty()) {
    out += "Content-Type: ";
    append_safe(out, response.content_type);
    out += "\r\n";
  }
}

// The headers, Connection: close when the connection ends, and the blank line.
void append_end(const Response& response, bool keep_alive, std::string& out) {
  for (const auto& [name, value] : response.headers) {
    append_safe(out, name);
    out += ": ";
    append_safe(out, value);
    out += "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

}  // namespace

void serialize_response(const Response& response, bool head, bool keep_alive, std::string& out) {
  out.clear();
  out.reserve(256 + response.body.size());
  append_start(response, out);
  bool bodyless = is_bodyless(response.status);
  if (!bodyless) {
    out += "Content-Length: ";
    append_number(out, response.body.size());
    out += "\r\n";
  }
  append_end(response, keep_alive, out);
  if (!head && !bodyless) out += response.body;
}

void serialize_stream_head(const Response& response, BodyFraming framing, std::uint64_t length, bool keep_alive,
                           std::string& out) {
  out.clear();
  out.reserve(256);
  append_start(response, out);
  if (!is_bodyless(response.status)) {
    if (framing == BodyFraming::content_length) {
      out += "Content-Length: ";
      append_number(out, static_cast<std::size_t>(length));
      out += "\r\n";
    } else if (framing == BodyFraming::chunked) {
      out += "Transfer-Encoding: chunked\r\n";
    }
  }
  append_end(response, keep_alive, out);
}

std::size_t chunk_size_line(std::size_t size, char (&out)[24]) noexcept {
  auto [end, ec] = std::to_chars(out, out + 20, size, 16);
  *end++ = '\r';
  *end++ = '\n';
  return static_cast<std::size_t>(end - out);
}

}  // namespace parley::http
