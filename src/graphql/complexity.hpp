#pragma once
// Static analysis of a validated operation before execution: depth, cost and alias count.
//
// depth: the longest chain of nested fields (a root field is depth 1).
// cost:  each field costs 1 plus its selection's cost; for a list field the selection's cost is
//        multiplied by the field's `first`, `last` or `limit` argument (literal or variable),
//        else by `default_list_size`. Saturates instead of overflowing.
// aliases: the number of aliased fields in the operation with fragments expanded.
// A fragment counts once per selection set (as CollectFields merges repeated spreads), and each
// fragment is measured once (memoised), so fragment "bombs" cost linear time.
// Fields under __schema / __type are not counted (their size is bounded by the schema).
#include "graphql/ast.hpp"
#include "graphql/error.hpp"
#include "graphql/schema.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <vector>

namespace parley::graphql {

struct ComplexityOptions {
  std::size_t default_list_size = 10;
};

struct Complexity {
  std::size_t depth = 0;
  std::size_t cost = 0;
  std::size_t aliases = 0;
};

Complexity measure(const Schema& schema, const Document& document, const OperationDefinition& operation,
                   const boost::json::object& variables, const ComplexityOptions& options = {});

}  // namespace parley::graphql
