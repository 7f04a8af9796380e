#pragma once
// The rate-limit layer (ratelimit/rate_limiter.hpp): placed after authentication, which tells a
// user's requests from an anonymous client's, and before any route work, so a refused request has
// no effect (a streamed upload's body is not even read). Adds RateLimit-Policy and RateLimit to
// every limited route's responses; a refused request gets 429 problem+json with Retry-After and
// the same fields. Routes with RouteDoc::rate_limit_exempt (probes, metrics) are not counted.
#include <memory>

#include "http/middleware.hpp"
#include "http/router.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace parley::ratelimit {

// Throws std::invalid_argument naming the route when a route declares an unknown scope.
std::unique_ptr<http::Middleware> make_rate_limit_middleware(RateLimiter& limiter, const http::Router& router);

}  // namespace parley::ratelimit
