#pragma once
// Driver-independent mapping of database failures to AppError, shared by the PostgreSQL and
// SQLite backends so that services see the same errors whichever database is behind them:
//   unique violation                      -> 409 "conflict"
//   foreign-key violation                 -> 400 "invalid_reference"
//   check / not-null violation            -> 400 "constraint_violation"
//   serialization failure, deadlock, busy -> 503 "db_serialization_failure" (retried by
//                                            with_transaction, Retry-After when it gives up)
//   connection lost, timeout, overloaded  -> 503 "service_unavailable" with Retry-After
//   anything else                         -> 500 "internal_error"
// The driver's message goes to internal_detail only; public text never names tables or values.
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace parley::db {

inline constexpr std::string_view kSerializationFailureCode = "db_serialization_failure";

AppError unique_violation(std::string internal_detail);
AppError reference_violation(std::string internal_detail);
AppError constraint_violation(std::string internal_detail);
AppError serialization_failure(std::string internal_detail);
AppError database_unavailable(std::string internal_detail, int retry_after_seconds = 1);

// True for the errors that a fresh attempt of the whole transaction may cure.
bool is_retryable(const AppError& error) noexcept;

// PostgreSQL: maps a five-character SQLSTATE (PQresultErrorField(res, PG_DIAG_SQLSTATE)) and the
// server's message. Classes 08 (connection), 53 (resources), 57 (operator intervention, including
// statement timeout 57014) are 503; 40001/40P01 are serialization failures; 23xxx constraints.
AppError from_sqlstate(std::string_view sqlstate, std::string message);

}  // namespace parley::db
