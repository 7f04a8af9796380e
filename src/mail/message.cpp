#include "mail/message.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace parley::mail {
namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::string_view kLowerHex = "0123456789abcdef";

std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 32> buffer{};
  if (bytes > buffer.size() || RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += kLowerHex[buffer[i] >> 4];
    out += kLowerHex[buffer[i] & 0xF];
  }
  return out;
}

bool is_ascii_printable(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// RFC 2047 "B" encoded-words of UTF-8 text, each at most 75 characters, separated by CRLF SP
// (folding). Chunks end on UTF-8 sequence boundaries, as RFC 2047 5 requires.
std::string encoded_words(std::string_view text) {
  // 52 Base64 characters + 12 of "=?UTF-8?B?" "?=": with "Subject: " before the first word, every
  // line stays within RFC 2047's 76 characters.
  constexpr std::size_t kChunkBytes = 39;
  std::string out;
  while (!text.empty()) {
    std::size_t take = std::min(kChunkBytes, text.size());
    while (take < text.size() && take > 0 && (static_cast<unsigned char>(text[take]) & 0xC0) == 0x80) --take;
    if (take == 0) take = std::min(kChunkBytes, text.size());  // not UTF-8: cut anywhere
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(0, take)) + "?=";
    text.remove_prefix(take);
  }
  return out;
}

// A header value from free text: as is when printable ASCII, else encoded-words.
std::string header_text(std::string_view text) {
  return is_ascii_printable(text) ? std::string(text) : encoded_words(text);
}

std::string format_address(const MailAddress& address) {
  if (address.display_name.empty()) return address.address;
  std::string name;
  if (is_ascii_printable(address.display_name)) {
    name = "\"";
    for (char c : address.display_name) {
      if (c == '"' || c == '\\') name += '\\';
      name += c;
    }
    name += '"';
  } else {
    name = encoded_words(address.display_name);
  }
  return name + " <" + address.address + ">";
}

// Body text with every line break as CRLF.
std::string with_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // the LF adds it
    if (text[i] == '\n' || text[i] == '\r') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string encode_body(std::string_view text, BodyEncoding encoding) {
  std::string body = encoding == BodyEncoding::quoted_printable ? encode_quoted_printable(text) : with_crlf(text);
  if (!body.ends_with("\r\n")) body += "\r\n";
  return body;
}

std::string_view encoding_name(BodyEncoding encoding) {
  return encoding == BodyEncoding::quoted_printable ? "quoted-printable" : "8bit";
}

std::string part_headers(std::string_view subtype, BodyEncoding encoding) {
  return "Content-Type: text/" + std::string(subtype) +
         "; charset=utf-8\r\nContent-Transfer-Encoding: " + std::string(encoding_name(encoding)) + "\r\n";
}

}  // namespace

MailAddress parse_from_address(std::string_view from) {
  auto fail = [] {
    throw std::invalid_argument("the sender must be \"name@domain\" or \"Display Name <name@domain>\"");
  };
  if (from.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) fail();
  auto trim = [](std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
  };
  from = trim(from);
  MailAddress result;
  if (from.ends_with('>')) {
    std::size_t open = from.rfind('<');
    if (open == std::string_view::npos) fail();
    result.address = std::string(from.substr(open + 1, from.size() - open - 2));
    std::string_view name = trim(from.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    if (name.find_first_of("<>\"\\") != std::string_view::npos) fail();
    result.display_name = std::string(name);
  } else {
    result.address = std::string(from);
  }
  if (!is_valid_address(result.address)) fail();
  return result;
}

std::string make_message_id(const MailAddress& from) {
  return "<" + random_hex(16) + from.address.substr(from.address.rfind('@')) + ">";
}

std::string format_rfc5322_date(std::chrono::system_clock::time_point time) {
  static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday].data(), utc.tm_mday,
                kMonths[utc.tm_mon].data(), utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buffer;
}

std::string encode_quoted_printable(std::string_view text) {
  constexpr std::size_t kMaxLine = 76;  // including a soft break's '='
  std::string out;
  std::string line;
  auto flush_line = [&] {
    out += line;
    out += "\r\n";
    line.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      flush_line();
      continue;
    }
    bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    auto byte = static_cast<unsigned char>(c);
    bool literal = (byte >= 33 && byte <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    std::string token = literal ? std::string(1, c) : std::string{'=', kHex[byte >> 4], kHex[byte & 0xF]};
    // Room for the token and, unless this is the line's last character, a soft break after it.
    std::size_t limit = at_line_end ? kMaxLine : kMaxLine - 1;
    if (line.size() + token.size() > limit) {
      out += line;
      out += "=\r\n";
      line.clear();
    }
    line += token;
  }
  if (!line.empty()) flush_line();
  return out;
}

std::string render_message(const Email& email, const MailAddress& from, const RenderOptions& options) {
  std::string out;
  out += "Date: " + format_rfc5322_date(options.date) + "\r\n";
  out += "From: " + format_address(from) + "\r\n";
  out += "To: " + email.to + "\r\n";
  out += "Subject: " + header_text(email.subject) + "\r\n";
  out += "Message-ID: " + options.message_id + "\r\n";
  if (email.list_unsubscribe) out += "List-Unsubscribe: <" + *email.list_unsubscribe + ">\r\n";
  if (email.auto_generated) out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (!email.html_body) {
    out += part_headers("plain", options.encoding);
    out += "\r\n";
    out += encode_body(email.text_body, options.encoding);
    return out;
  }
  // "=_" never occurs in quoted-printable output, so the boundary cannot collide with the content.
  std::string boundary = "=_parley_" + random_hex(12);
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "--" + boundary + "\r\n" + part_headers("plain", options.encoding) + "\r\n";
  out += encode_body(email.text_body, options.encoding);
  out += "--" + boundary + "\r\n" + part_headers("html", options.encoding) + "\r\n";
  out += encode_body(*email.html_body, options.encoding);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace parley::mail
