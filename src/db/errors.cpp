#include "db/errors.hpp"

namespace parley::db {

AppError unique_violation(std::string internal_detail) {
  return AppError{409, "conflict", "Conflict", "The resource already exists or conflicts with another one.",
                  std::move(internal_detail)};
}

AppError reference_violation(std::string internal_detail) {
  return AppError{400, "invalid_reference", "Bad request", "The request refers to something that does not exist.",
                  std::move(internal_detail)};
}

AppError constraint_violation(std::string internal_detail) {
  return AppError{400, "constraint_violation", "Bad request", "The request breaks a data constraint.",
                  std::move(internal_detail)};
}

AppError serialization_failure(std::string internal_detail) {
  return AppError{503, std::string(kSerializationFailureCode), "Service unavailable",
                  "The request conflicted with concurrent updates; please retry.", std::move(internal_detail)}
      .with_header("Retry-After", "1");
}

AppError database_unavailable(std::string internal_detail, int retry_after_seconds) {
  return AppError::unavailable("The database is temporarily unavailable.", std::move(internal_detail),
                               retry_after_seconds);
}

bool is_retryable(const AppError& error) noexcept { return error.code() == kSerializationFailureCode; }

AppError from_sqlstate(std::string_view sqlstate, std::string message) {
  std::string detail = "SQLSTATE " + std::string(sqlstate) + ": " + message;
  if (sqlstate == "23505") return unique_violation(std::move(detail));
  if (sqlstate == "23503") return reference_violation(std::move(detail));
  if (sqlstate == "23514" || sqlstate == "23502" || sqlstate == "23P01" || sqlstate == "22001" ||
      sqlstate == "22003" || sqlstate == "22P02") {
    return constraint_violation(std::move(detail));
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return serialization_failure(std::move(detail));
  std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57") return database_unavailable(std::move(detail));
  return AppError::internal(std::move(detail));
}

}  // namespace parley::db
