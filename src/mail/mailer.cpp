#include "mail/mailer.hpp"

#include "core/error.hpp"

namespace parley::mail {
namespace {

bool is_atext(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// dot-atom: atext runs separated by single dots, no dot at either end.
bool is_dot_atom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = '\0';
  for (char c : text) {
    if (c == '.' ? previous == '.' : !is_atext(c)) return false;
    previous = c;
  }
  return true;
}

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_ipv4(std::string_view text) {
  int parts = 0;
  while (!text.empty()) {
    std::size_t dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part.front() == '0')) return false;
    int value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
    if (text.empty()) return false;  // trailing dot
  }
  return parts == 4;
}

bool is_domain(std::string_view domain) {
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    return is_ipv4(domain.substr(1, domain.size() - 2));
  }
  if (domain.empty() || domain.size() > 253) return false;
  while (true) {
    std::size_t dot = domain.find('.');
    if (!is_ldh_label(domain.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

bool has_line_break_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// An http(s) URL that can stand in a header between angle brackets.
bool valid_header_url(std::string_view url) {
  if (url.size() > kMaxSubjectBytes || !(url.starts_with("https://") || url.starts_with("http://"))) return false;
  for (char c : url) {
    if (c <= ' ' || c > '~' || c == '<' || c == '>') return false;
  }
  return true;
}

}  // namespace

bool is_valid_address(std::string_view address) {
  if (address.size() > kMaxAddressBytes) return false;
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view local = address.substr(0, at);
  return local.size() <= kMaxLocalPartBytes && is_dot_atom(local) && is_domain(address.substr(at + 1));
}

void validate_email(const Email& email) {
  if (has_line_break_or_nul(email.to) || has_line_break_or_nul(email.subject)) {
    throw AppError::bad_request("Email headers may not contain line breaks.", "invalid_email");
  }
  if (email.list_unsubscribe && !valid_header_url(*email.list_unsubscribe)) {
    throw AppError::bad_request("The List-Unsubscribe URL is not valid.", "invalid_email");
  }
  if (!is_valid_address(email.to)) {
    throw AppError::bad_request("The recipient is not a valid email address.", "invalid_email");
  }
  if (email.subject.size() > kMaxSubjectBytes) {
    throw AppError::bad_request("The email subject is too long.", "invalid_email");
  }
  std::size_t body_bytes = email.text_body.size() + (email.html_body ? email.html_body->size() : 0);
  if (body_bytes > kMaxBodyBytes) {
    throw AppError::bad_request("The email body is too long.", "invalid_email");
  }
}

}  // namespace parley::mail
