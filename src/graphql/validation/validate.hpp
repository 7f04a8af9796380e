#pragma once
// Validation of an executable document against a schema: every rule of the spec's section 5.
// Returns the errors (extensions.code GRAPHQL_VALIDATION_FAILED), empty when the document is valid.
// Work is bounded: fragments are visited once each, and the field-merging rule (5.3.2) compares
// textually identical fields once and gives up with an error after `max_overlap_comparisons`.
#include "graphql/ast.hpp"
#include "graphql/error.hpp"
#include "graphql/schema.hpp"

#include <vector>

namespace parley::graphql {

struct ValidationOptions {
  bool introspection = true;                     // false: __schema and __type are refused
  std::size_t max_overlap_comparisons = 200'000;  // field pairs the merging rule may compare
  std::size_t max_errors = 100;                   // stop collecting after this many
  // Chains of fragments spreading fragments longer than this are refused: the checks and the
  // executor follow such chains recursively, and the stack must stay bounded.
  std::size_t max_fragment_depth = 100;
};

std::vector<Error> validate(const Schema& schema, const Document& document, const ValidationOptions& options = {});

}  // namespace parley::graphql
