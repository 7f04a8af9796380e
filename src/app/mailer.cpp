#include "app/app.hpp"
#include "mail/log_mailer.hpp"
#include "mail/smtp_mailer.hpp"

namespace parley {

std::unique_ptr<mail::Mailer> make_mailer(const Config& config) {
  if (config.mail_url == "log") {
    return std::make_unique<mail::LogMailer>(mail::LogMailer::Options{.file = config.mail_log_file, .from = config.mail_from});
  }
  return std::make_unique<mail::SmtpMailer>(mail::SmtpMailer::Options{.url = config.mail_url, .from = config.mail_from});
}

}  // namespace parley
