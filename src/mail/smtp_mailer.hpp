#pragma once
// The production mail transport: SMTP submission through libcurl.
//
//   SmtpMailer mailer({.url = "smtp://user:pass@mail.example.com:587?starttls=required",
//                      .from = "Parley <noreply@example.com>"});
//   co_await mailer.send(email);
//
// Server URL:   smtp://[user[:password]@]host[:port][?starttls=required|try|never]
//               smtps://[user[:password]@]host[:port]             (implicit TLS, port 465 by default)
// user and password are percent-decoded. Plain smtp:// upgrades with STARTTLS when the server offers
// it (starttls=try, the default), refuses to send without it (required), or never tries (never).
// TLS always verifies the server's certificate and host name against the system's CA store.
// Credentials are refused over a connection that may stay plaintext, unless the host is loopback.
//
// Each send() runs one libcurl easy handle on the mailer's blocking pool, never on an I/O thread.
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "mail/mailer.hpp"
#include "mail/message.hpp"

namespace parley::mail {

enum class StartTls { try_upgrade, required, never };

// A parsed server URL. `url` is what libcurl connects to: scheme, host and port, no credentials.
struct SmtpServer {
  std::string url;
  std::string host;
  std::string username;
  std::string password;
  bool implicit_tls = false;
  StartTls starttls = StartTls::try_upgrade;
};

// Parses a server URL (format above). Throws std::invalid_argument for another scheme, a missing
// host, a path, an unknown query parameter or value, or credentials over possible plaintext to a
// non-loopback host. The exception text never contains the password.
SmtpServer parse_smtp_url(std::string_view url);

class SmtpMailer final : public Mailer {
 public:
  struct Options {
    std::string url;                           // see parse_smtp_url()
    std::string from;                          // see parse_from_address(); the envelope sender too
    std::chrono::milliseconds timeout{30000};  // per message: connect, dialogue and upload together
    std::size_t threads = 2;                   // messages in flight at once
  };

  // Throws std::invalid_argument for an invalid url, from, timeout (<= 0) or threads (0);
  // std::runtime_error when libcurl cannot be initialised or lacks SMTP. Construct it at start-up.
  explicit SmtpMailer(Options options);
  // Waits for the messages in flight (each bounded by the timeout).
  ~SmtpMailer() override;
  SmtpMailer(const SmtpMailer&) = delete;
  SmtpMailer& operator=(const SmtpMailer&) = delete;

  // Validates (validate_email), renders (quoted-printable bodies) and submits `email` on the pool.
  // Throws AppError::bad_request for an invalid message; AppError::unavailable (503) when the server
  // cannot be reached, refuses TLS, the login, the sender or the recipient, or times out, with
  // libcurl's error text and the server's last reply code in internal_detail only.
  boost::asio::awaitable<void> send(Email email) override;

 private:
  void send_blocking(const Email& email) const;

  SmtpServer server_;
  MailAddress from_;
  std::chrono::milliseconds timeout_;
  boost::asio::thread_pool pool_;
};

}  // namespace parley::mail
