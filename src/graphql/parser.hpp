#pragma once
// The GraphQL parser (spec section 2 and the type system grammar of section 3): recursive descent
// over the Lexer's tokens into a Document. One parser reads executable documents and SDL; the
// validator rejects type system definitions in requests. Nesting (selection sets, list and object
// values, list types) is bounded by `max_depth`, so hostile input cannot exhaust the stack.
#include "graphql/ast.hpp"

#include <cstddef>
#include <string_view>

namespace parley::graphql {

struct ParseOptions {
  std::size_t max_tokens = 15000;  // a SyntaxError once a document has more tokens
  std::size_t max_depth = 100;     // nested selection sets / values / list types
};

// Throws SyntaxError (message in graphql-js's wording, location of the offending token).
Document parse(std::string_view source, const ParseOptions& options = {});

// Parses one constant value literal ("[1, 2]", "{a: \"x\"}"); for tests and default values.
ValueNode parse_value(std::string_view source);

// Prints a value literal back as GraphQL text ("[1, 2]", "{a: \"x\"}").
std::string print_value(const ValueNode& value);
// Prints a string as a GraphQL string literal with escapes.
std::string print_string(std::string_view text);

}  // namespace parley::graphql
