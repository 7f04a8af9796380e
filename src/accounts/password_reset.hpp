#pragma once
// Password reset by email: a single-use token, stored hashed, that expires
// (PARLEY_PASSWORD_RESET_TTL). Requesting a reset answers the same whether or not the address
// belongs to an account, so the endpoint cannot be used to discover accounts.
#include "accounts/accounts.hpp"
#include "jobs/jobs.hpp"
#include "mail/mailer.hpp"

namespace parley::accounts {

class PasswordReset {
 public:
  static constexpr std::string_view kSendLinkTask = "mail.password_reset";

  PasswordReset(const Config& config, Accounts& accounts, mail::Mailer& mailer, jobs::Jobs& jobs,
                spdlog::logger& logger);
  // Registers the task that makes and mails the link (queue "mail").
  void register_tasks(jobs::TaskRegistry& registry);

  // Emails a reset link when `email` belongs to an active account with a password; otherwise does
  // nothing. Either way returns normally (same answer, no enumeration). The email is a job
  // enqueued with the audit row, so the answer does not wait for the mail server either.
  boost::asio::awaitable<void> do_request(std::string email, RequestMeta meta);
  // Sets a new password for the token's user, uses the token up, ends every refresh family and
  // session of the user, and records an audit row. 400 (field "token") for an unknown, used or
  // expired token; 400 (field "password") when the policy refuses the password.
  boost::asio::awaitable<void> do_confirm(std::string token, std::string password, RequestMeta meta);

 private:
  boost::asio::awaitable<void> send_link(jobs::JobContext& job);

  const Config& config_;
  Accounts& accounts_;
  mail::Mailer& mailer_;
  jobs::Jobs& jobs_;
  spdlog::logger& logger_;
};

}  // namespace parley::accounts
