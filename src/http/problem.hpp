#pragma once
#include "core/error.hpp"
#include "http/response.hpp"

namespace parley::http {

// The RFC 9457 problem+json response for `error`: type, title, status, detail, code, instance,
// request_id and, for validation errors, DRF-style `errors`. Never includes internal_detail.
Response problem_response(const AppError& error, std::string_view instance, std::string_view request_id);

}  // namespace parley::http
