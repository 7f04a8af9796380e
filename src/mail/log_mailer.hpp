#pragma once
// The default mail transport: appends every message to a file instead of sending it, so that a
// development setup needs no mail server and the password reset link can be read from the file.
//
//   LogMailer mailer({.file = "var/mail.log", .from = "Parley <noreply@localhost>"});
//   co_await mailer.send(email);
//
// The file is an mboxrd mailbox (`mutt -f var/mail.log` opens it): each message is a "From "
// separator line, the RFC 5322 message (message.hpp, 8bit bodies, LF line endings), and a blank
// line; body lines that start with ">*From " get one more '>'. Messages carry secrets (reset
// tokens), so the file is created with mode 0600. Each message is one write(2) on a file opened with
// O_APPEND, so several processes may share the file without interleaving messages.
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <string>

#include "mail/mailer.hpp"
#include "mail/message.hpp"

namespace parley::mail {

class LogMailer final : public Mailer {
 public:
  struct Options {
    std::filesystem::path file = "var/mail.log";      // its folder is created on first send
    std::string from = "Parley <noreply@localhost>";  // see parse_from_address()
  };

  // Throws std::invalid_argument for an invalid `from` or an empty `file`. Does no I/O.
  explicit LogMailer(Options options);
  // Waits for the messages already being written.
  ~LogMailer() override;
  LogMailer(const LogMailer&) = delete;
  LogMailer& operator=(const LogMailer&) = delete;

  // Validates (validate_email), renders and appends `email` on the mailer's own one-thread pool,
  // which also keeps this process's appends in order. Throws AppError::bad_request for an invalid
  // message, AppError::unavailable when the folder or file cannot be created or written (the OS
  // error in internal_detail).
  boost::asio::awaitable<void> send(Email email) override;

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  void append_blocking(const Email& email) const;

  std::filesystem::path file_;
  MailAddress from_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace parley::mail
