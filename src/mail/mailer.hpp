#pragma once
// Outgoing mail: the message type, the transport interface, and the checks every transport applies.
//
//   Mailer& mailer = ...;                       // LogMailer (default) or SmtpMailer, from the composition root
//   Email email{.to = user.email, .subject = "Reset your password", .text_body = text};
//   co_await mailer.send(std::move(email));
//
// Pass a named local, never a braced temporary inside the co_await expression: GCC 12 destroys
// temporaries of a co_await full-expression twice (a double free of the Email's strings).
//
// Callers hand a Mailer a complete message; the transport adds Date, From, Message-ID and the MIME
// structure (message.hpp). validate_email() runs first in every send(), so values from requests
// (an address someone typed) can never add headers or recipients.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::mail {

// Bounds on one message, in bytes.
inline constexpr std::size_t kMaxAddressBytes = 254;       // RFC 5321 path limit, less the angle brackets
inline constexpr std::size_t kMaxLocalPartBytes = 64;      // RFC 5321 4.5.3.1.1
inline constexpr std::size_t kMaxSubjectBytes = 900;       // keeps the Subject line under RFC 5322's 998
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;  // text_body + html_body together

struct Email {
  std::string to;                        // exactly one ASCII addr-spec, "someone@example.com": no display name, no list
  std::string subject;                   // UTF-8, one line
  std::string text_body;                 // UTF-8 plain text; LF or CRLF line endings
  std::optional<std::string> html_body;  // when set, the message is multipart/alternative (text + HTML)
  // When set, "List-Unsubscribe: <url>" (RFC 2369): an http(s) URL where the recipient stops such mail.
  std::optional<std::string> list_unsubscribe;
  // "Auto-Submitted: auto-generated" (RFC 3834): mail no person wrote (digests); autoresponders
  // do not answer it.
  bool auto_generated = false;
};

// A mail transport. Implementations are thread-safe: send() may run concurrently from any executor.
class Mailer {
 public:
  virtual ~Mailer() = default;

  // Delivers `email` (hands it to the transport: a file, an SMTP server) and resumes the caller on
  // its own executor once that is done; the transport's blocking work never runs on the caller's
  // thread. Throws AppError::bad_request (code "invalid_email") when validate_email() refuses the
  // message, AppError::unavailable (503) when the transport fails; the public text of the latter
  // never says why, its internal_detail does.
  virtual boost::asio::awaitable<void> send(Email email) = 0;
};

// Whether `address` is one plain ASCII addr-spec local@domain: dot-atom local part of at most
// kMaxLocalPartBytes, a domain of dot-separated LDH labels (or an IPv4 literal in brackets), at most
// kMaxAddressBytes in all. Quoted local parts and non-ASCII (SMTPUTF8) addresses are refused. Pure.
bool is_valid_address(std::string_view address);

// Throws AppError::bad_request (code "invalid_email") when `email` may not be sent: a CR, LF or NUL
// in `to` or `subject` (header injection), a list_unsubscribe that is not an http(s) URL of
// printable ASCII without spaces or angle brackets (at most kMaxSubjectBytes), an invalid `to` address, a subject over
// kMaxSubjectBytes, or bodies over kMaxBodyBytes. The public message names the field, never echoes
// the value. Pure; thread-safe.
void validate_email(const Email& email);

}  // namespace parley::mail
