#pragma once
// Input coercion (spec 3.5 scalars, 3.9 enums, 3.10 input objects, 3.11 lists, 6.1.2 variables,
// 6.4.1 arguments) and result coercion of leaves. Coerced values are JSON: Int as int64, Float as
// double, String / ID / enum values as strings, input objects as JSON objects.
#include "graphql/error.hpp"
#include "graphql/schema.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace parley::graphql {

// Nesting bound for coercing JSON inputs (lists and input objects inside variables).
inline constexpr int kMaxInputDepth = 64;

// The range of the Int scalar (spec 3.5.1: a signed 32-bit integer), as int64 for comparisons.
inline constexpr std::int64_t kIntMin = std::numeric_limits<std::int32_t>::min();
inline constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();

enum class Coerced { Ok, Missing, Invalid };

// A JSON input value (a variable's value) to `type`. On failure returns Invalid with `error` set
// to a message naming the offending path.
Coerced coerce_input(const Schema& schema, const boost::json::value& in, const TypeRef& type, boost::json::value& out,
                     std::string& error, const std::string& path = {}, int depth = 0);

// A literal of a (validated) document to `type`; variables are read from the coerced `variables`
// (nullptr: no variables allowed). Missing: the literal is a variable that was not provided.
Coerced coerce_literal(const Schema& schema, const ValueNode& node, const TypeRef& type,
                       const boost::json::object* variables, boost::json::value& out, std::string& error);

// The literal as plain JSON, without a type (for custom scalars): ints become int64, floats
// double, enums strings, variables their values.
boost::json::value literal_to_json(const ValueNode& node, const boost::json::object* variables);

// CoerceVariableValues (6.1.2). Errors have extensions.code BAD_USER_INPUT and the variable's location.
boost::json::object coerce_variables(const Schema& schema, const OperationDefinition& operation,
                                     const boost::json::object& inputs, std::vector<Error>& errors);

// CoerceArgumentValues (6.4.1). Throws FieldError (BAD_USER_INPUT) when an argument is invalid.
boost::json::object coerce_arguments(const Schema& schema, const std::vector<InputValue>& definitions,
                                     const std::vector<Argument>& arguments, const boost::json::object& variables);

// Result coercion of a scalar or enum value; false (and `error`) when it cannot be represented.
bool serialize_leaf(const Type& type, const boost::json::value& in, boost::json::value& out, std::string& error);

}  // namespace parley::graphql
