#pragma once
// Introspection (spec 4): the __Schema, __Type, __Field, __InputValue, __EnumValue and
// __Directive types with their resolvers over the Schema itself, and the __schema / __type
// meta-fields. Values are opaque sources pointing into the (immutable) schema.
#include "graphql/value.hpp"

#include <string_view>

namespace parley::graphql {

class Schema;

// SDL of the introspection types (added to every schema by build_schema).
std::string_view introspection_sdl();
// Attaches the sync resolvers of the introspection types to `schema` (after they were added).
void attach_introspection_resolvers(Schema& schema);

// The values of the meta-fields __schema and __type(name:).
Value introspect_schema(const Schema& schema);
Value introspect_type(const Schema& schema, std::string_view name);

}  // namespace parley::graphql
