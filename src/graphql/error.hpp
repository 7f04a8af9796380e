#pragma once
// GraphQL errors (spec 7.1.2): message, locations, path and extensions.code, and the closed set of
// codes the engine emits. Resolvers throw FieldError to report a public, expected failure; any
// other exception becomes a generic "Internal server error" unless the engine's exception mapper
// (EngineOptions::map_exception) says otherwise, so internal text never reaches clients.
#include "graphql/ast.hpp"

#include <boost/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace parley::graphql {

// Every extensions.code the engine itself produces.
namespace codes {
inline constexpr const char* kParseFailed = "GRAPHQL_PARSE_FAILED";            // syntax, UTF-8, token limit
inline constexpr const char* kValidationFailed = "GRAPHQL_VALIDATION_FAILED";  // spec section 5, introspection off
inline constexpr const char* kBadUserInput = "BAD_USER_INPUT";                 // variable coercion
inline constexpr const char* kOperationResolution = "OPERATION_RESOLUTION_FAILURE";  // no/ambiguous operation
inline constexpr const char* kQueryTooComplex = "QUERY_TOO_COMPLEX";           // cost or alias limit
inline constexpr const char* kQueryTooDeep = "QUERY_TOO_DEEP";                 // depth limit
inline constexpr const char* kInternal = "INTERNAL_SERVER_ERROR";              // unexpected resolver failure
inline constexpr const char* kTimeout = "TIMEOUT";                             // Request::deadline passed
}  // namespace codes

struct Error {
  std::string message;
  std::vector<Location> locations;
  boost::json::array path;         // response path; empty when not a field error
  std::string code;                // extensions.code; empty: no extensions.code
  boost::json::object extensions;  // further extensions (code is added on output)

  boost::json::object to_json() const;
};

// {"errors":[...]} for a request that failed before execution.
boost::json::object error_response(const std::vector<Error>& errors);
boost::json::array errors_to_json(const std::vector<Error>& errors);

// Thrown by resolvers: `what()` is public and becomes the error message; `code` its extensions.code.
class FieldError : public std::runtime_error {
 public:
  explicit FieldError(const std::string& message, std::string code = {}, boost::json::object extensions = {})
      : std::runtime_error(message), code_(std::move(code)), extensions_(std::move(extensions)) {}
  const std::string& code() const noexcept { return code_; }
  const boost::json::object& extensions() const noexcept { return extensions_; }

 private:
  std::string code_;
  boost::json::object extensions_;
};

// Thrown while parsing; carries the location of the offending token.
class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(const std::string& message, Location loc) : std::runtime_error(message), loc_(loc) {}
  Location location() const noexcept { return loc_; }

 private:
  Location loc_;
};

}  // namespace parley::graphql
