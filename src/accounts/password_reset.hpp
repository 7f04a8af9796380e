#pragma once
// Password reset by email: a single-use token, stored hashed, that expires
// (PARLEY_PASSWORD_RESET_TTL). Requesting a reset answers the same whether or not the address
// belongs to an account, so the endpoint cannot be used to discover accounts.
#include "accounts/accounts.hpp"
#include "mail/mailer.hpp"

namespace parley::accounts {

class PasswordReset {
 public:
  PasswordReset(const Config& config, Accounts& accounts, mail::Mailer& mailer, spdlog::logger& logger);

  // Emails a reset link when `email` belongs to an active account with a password; otherwise does
  // nothing. Either way returns normally (same answer, no enumeration). The email is sent in the
  // background, so the answer's timing does not tell whether an account exists either.
  boost::asio::awaitable<void> do_request(std::string email, RequestMeta meta);
  // Sets a new password for the token's user, uses the token up, ends every refresh family and
  // session of the user, and records an audit row. 400 (field "token") for an unknown, used or
  // expired token; 400 (field "password") when the policy refuses the password.
  boost::asio::awaitable<void> do_confirm(std::string token, std::string password, RequestMeta meta);

 private:
  const Config& config_;
  Accounts& accounts_;
  mail::Mailer& mailer_;
  spdlog::logger& logger_;
};

}  // namespace parley::accounts
