#pragma once
// Rendering an Email as an RFC 5322 / MIME message, shared by the transports.
//
//   MailAddress from = parse_from_address("Parley <noreply@example.com>");   // at start-up
//   std::string text = render_message(email, from, {.date = now, .message_id = make_message_id(from)});
//
// The result uses CRLF line endings throughout. Bodies are UTF-8 text/plain (and text/html when
// Email::html_body is set, as multipart/alternative); a non-ASCII subject or display name becomes
// RFC 2047 encoded-words.
#include <chrono>
#include <string>
#include <string_view>

#include "mail/mailer.hpp"

namespace parley::mail {

// The sender: an addr-spec and an optional display name (UTF-8).
struct MailAddress {
  std::string display_name;
  std::string address;
};

// Parses a configured sender, "noreply@example.com" or "Display Name <noreply@example.com>" (the
// name may be in double quotes). Throws std::invalid_argument (a configuration error, said without
// echoing the value) for anything else, including CR/LF/NUL, '<', '>' or '"' inside the name.
MailAddress parse_from_address(std::string_view from);

// "<32 random hex digits>@<domain of from.address>", in angle brackets as the header wants it.
// Uses OpenSSL's CSPRNG; throws std::runtime_error if it fails.
std::string make_message_id(const MailAddress& from);

// RFC 5322 date-time in UTC, "Tue, 02 Jan 2024 03:04:05 +0000", independent of the C locale.
std::string format_rfc5322_date(std::chrono::system_clock::time_point time);

enum class BodyEncoding {
  quoted_printable,  // 7-bit safe with lines <= 76 characters: for SMTP
  eight_bit,         // bodies as written (CRLF line endings): for humans reading a log file
};

struct RenderOptions {
  std::chrono::system_clock::time_point date;
  std::string message_id;  // from make_message_id()
  BodyEncoding encoding = BodyEncoding::quoted_printable;
};

// The whole message: Date, From, To, Subject, Message-ID, MIME-Version, Content-Type,
// Content-Transfer-Encoding, a blank line, the body. `email` must have passed validate_email().
// Pure except for the multipart boundary, which is random (CSPRNG; std::runtime_error on failure).
std::string render_message(const Email& email, const MailAddress& from, const RenderOptions& options);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text: line breaks (LF or CRLF) become CRLF hard breaks,
// lines are soft-broken to at most 76 characters, trailing whitespace and '=' are encoded. Pure.
std::string encode_quoted_printable(std::string_view text);

}  // namespace parley::mail
