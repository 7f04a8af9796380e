#include "core/error.hpp"

namespace parley {

AppError::AppError(int status, std::string code, std::string title, std::string public_message,
                   std::string internal_detail, FieldErrors field_errors)
    : std::runtime_error(internal_detail.empty() ? public_message : internal_detail),
      status_(status),
      code_(std::move(code)),
      title_(std::move(title)),
      public_message_(std::move(public_message)),
      internal_detail_(std::move(internal_detail)),
      field_errors_(std::move(field_errors)) {}

AppError& AppError::with_header(std::string name, std::string value) & {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}

AppError&& AppError::with_header(std::string name, std::string value) && {
  headers_.emplace_back(std::move(name), std::move(value));
  return std::move(*this);
}

std::string AppError::type_uri() const {
  std::string slug = code_;
  for (char& c : slug) {
    if (c == '_') c = '-';
  }
  return "https://parley.dev/errors/" + slug;
}

AppError AppError::bad_request(std::string detail, std::string code) {
  return {400, std::move(code), "Bad request", std::move(detail)};
}
AppError AppError::validation(FieldErrors errors, std::string detail) {
  return {400, "validation_failed", "Invalid input", std::move(detail), {}, std::move(errors)};
}
AppError AppError::unauthenticated(std::string detail) {
  return {401, "not_authenticated", "Not authenticated", std::move(detail)};
}
AppError AppError::forbidden(std::string detail) {
  return {403, "permission_denied", "Forbidden", std::move(detail)};
}
AppError AppError::not_found(std::string detail) { return {404, "not_found", "Not found", std::move(detail)}; }
AppError AppError::method_not_allowed(std::string allow) {
  return AppError{405, "method_not_allowed", "Method not allowed",
                  "This resource does not support that method. Allowed: " + allow + "."}
      .with_header("Allow", std::move(allow));
}
AppError AppError::conflict(std::string detail, std::string code) {
  return {409, std::move(code), "Conflict", std::move(detail)};
}
AppError AppError::payload_too_large(std::string detail) {
  return {413, "payload_too_large", "Payload too large", std::move(detail)};
}
AppError AppError::unsupported_media_type(std::string detail) {
  return {415, "unsupported_media_type", "Unsupported media type", std::move(detail)};
}
AppError AppError::not_acceptable(std::string detail) {
  return {406, "not_acceptable", "Not acceptable", std::move(detail)};
}
AppError AppError::too_many_requests(int retry_after_seconds) {
  return AppError{429, "throttled", "Too many requests",
                  "Request was throttled. Expected available in " + std::to_string(retry_after_seconds) +
                      " seconds."}
      .with_header("Retry-After", std::to_string(retry_after_seconds));
}
AppError AppError::unavailable(std::string detail, std::string internal, int retry_after_seconds) {
  return AppError{503, "service_unavailable", "Service unavailable", std::move(detail), std::move(internal)}
      .with_header("Retry-After", std::to_string(retry_after_seconds));
}
AppError AppError::internal(std::string internal_detail) {
  return {500, "internal_error", "Internal server error", "An unexpected error occurred.",
          std::move(internal_detail)};
}

}  // namespace parley
