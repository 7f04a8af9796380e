#pragma once
// Strict JSON for security-sensitive documents (JOSE headers, JWT claims, OIDC responses):
// RFC 8259 only (no comments, no trailing commas, valid UTF-8), bounded depth, and no duplicate
// member names — Boost.JSON keeps the last duplicate silently, which lets "alg" say two things.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

// The JSON object in `text`, or nullopt with `reason` set to "has a duplicate member",
// "is not valid JSON" or "is not a JSON object".
std::optional<boost::json::object> parse_strict_object(std::string_view text, int max_depth, std::string& reason);

}  // namespace parley::auth
