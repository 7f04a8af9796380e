#pragma once
// The one error type of Parley. Code anywhere throws AppError; the error middleware turns it into
// an RFC 9457 problem, the WebSocket and GraphQL layers into their own error frames.
// `public_message` is shown to clients; `internal_detail` only reaches the logs.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley {

// field name -> messages, DRF's shape. Nested fields use dotted paths ("settings.timezone").
using FieldErrors = std::map<std::string, std::vector<std::string>>;

class AppError : public std::runtime_error {
 public:
  AppError(int status, std::string code, std::string title, std::string public_message,
           std::string internal_detail = {}, FieldErrors field_errors = {});

  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& title() const noexcept { return title_; }
  const std::string& public_message() const noexcept { return public_message_; }
  const std::string& internal_detail() const noexcept { return internal_detail_; }
  const FieldErrors& field_errors() const noexcept { return field_errors_; }
  // Extra response headers (Allow, Retry-After, WWW-Authenticate, ...).
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept { return headers_; }
  AppError& with_header(std::string name, std::string value) &;
  AppError&& with_header(std::string name, std::string value) &&;

  // The problem "type" URI: https://parley.dev/errors/<type_slug>.
  std::string type_uri() const;

  // Factories for the common cases; each sets status, code and title consistently.
  static AppError bad_request(std::string detail, std::string code = "bad_request");
  static AppError validation(FieldErrors errors, std::string detail = "The request body has invalid fields.");
  static AppError unauthenticated(std::string detail = "Authentication credentials were not provided or are invalid.");
  static AppError forbidden(std::string detail = "You do not have permission to perform this action.");
  static AppError not_found(std::string detail = "Not found.");
  static AppError method_not_allowed(std::string allow);
  static AppError conflict(std::string detail, std::string code = "conflict");
  static AppError payload_too_large(std::string detail);
  static AppError unsupported_media_type(std::string detail);
  static AppError not_acceptable(std::string detail);
  static AppError too_many_requests(int retry_after_seconds);
  static AppError unavailable(std::string detail, std::string internal = {}, int retry_after_seconds = 1);
  static AppError internal(std::string internal_detail);

 private:
  int status_;
  std::string code_;
  std::string title_;
  std::string public_message_;
  std::string internal_detail_;
  FieldErrors field_errors_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace parley
