#pragma once
// Builds a Schema from SDL text (spec section 3), checking it the way graphql-js's
// buildSchema + validateSchema do: unknown and duplicate names, reserved "__" names, input types
// in input positions and output types in output positions, interface implementations (fields,
// argument types, covariant field types, transitive interfaces), union members, root types,
// non-null input object cycles, default values, and directives applied in the SDL. Every problem
// is reported; none is undefined behaviour.
#include "graphql/error.hpp"
#include "graphql/schema.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace parley::graphql {

struct BuildResult {
  std::shared_ptr<Schema> schema;  // null when errors is not empty
  std::vector<Error> errors;
  bool ok() const { return errors.empty(); }
};

BuildResult build_schema(std::string_view sdl);

// build_schema, throwing std::runtime_error with every error message (one per line) on failure;
// for start-up code where a broken schema is a bug.
std::shared_ptr<Schema> build_schema_or_throw(std::string_view sdl);

}  // namespace parley::graphql
