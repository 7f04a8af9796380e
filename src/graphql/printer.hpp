#pragma once
// SDL printer: the schema back as SDL text in graphql-js printSchema's layout (schema
// definition when the root types are not named Query/Mutation/Subscription, custom directives,
// then the application's types in definition order). Built-in scalars, directives and the
// introspection types are left out. The output parses back into the same schema.
#include "graphql/schema.hpp"

#include <string>

namespace parley::graphql {

std::string print_schema(const Schema& schema);

// One type's definition ("type User { ... }"), as print_schema writes it.
std::string print_type(const Type& type);

}  // namespace parley::graphql
