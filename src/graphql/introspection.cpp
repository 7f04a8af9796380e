#include "graphql/introspection.hpp"

#include "graphql/parser.hpp"
#include "graphql/schema.hpp"

namespace parley::graphql {
namespace {

constexpr std::string_view kIntrospectionSdl = R"GQL(
"A GraphQL Schema defines the capabilities of a GraphQL server. It exposes all available types and directives on the server, as well as the entry points for query, mutation, and subscription operations."
type __Schema {
  description: String
  "A list of all types supported by this server."
  types: [__Type!]!
  "The type that query operations will be rooted at."
  queryType: __Type!
  "If this server supports mutation, the type that mutation operations will be rooted at."
  mutationType: __Type
  "If this server support subscription, the type that subscription operations will be rooted at."
  subscriptionType: __Type
  "A list of all directives supported by this server."
  directives: [__Directive!]!
}

"The fundamental unit of any GraphQL Schema is the type. There are many kinds of types in GraphQL as represented by the `__TypeKind` enum."
type __Type {
  kind: __TypeKind!
  name: String
  description: String
  specifiedByURL: String
  "Spelling of graphql-js 15 and older clients (spec: specifiedByURL)."
  specifiedByUrl: String
  fields(includeDeprecated: Boolean = false): [__Field!]
  interfaces: [__Type!]
  possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields(includeDeprecated: Boolean = false): [__InputValue!]
  ofType: __Type
}

"An enum describing what kind of type a given `__Type` is."
enum __TypeKind {
  "Indicates this type is a scalar."
  SCALAR
  "Indicates this type is an object. `fields` and `interfaces` are valid fields."
  OBJECT
  "Indicates this type is an interface. `fields`, `interfaces`, and `possibleTypes` are valid fields."
  INTERFACE
  "Indicates this type is a union. `possibleTypes` is a valid field."
  UNION
  "Indicates this type is an enum. `enumValues` is a valid field."
  ENUM
  "Indicates this type is an input object. `inputFields` is a valid field."
  INPUT_OBJECT
  "Indicates this type is a list. `ofType` is a valid field."
  LIST
  "Indicates this type is a non-null. `ofType` is a valid field."
  NON_NULL
}

"Object and Interface types are described by a list of Fields, each of which has a name, potentially a list of arguments, and a return type."
type __Field {
  name: String!
  description: String
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  type: __Type!
  isDeprecated: Boolean!
  deprecationReason: String
}

"Arguments provided to Fields or Directives and the input fields of an InputObject are represented as Input Values which describe their type and optionally a default value."
type __InputValue {
  name: String!
  description: String
  type: __Type!
  "A GraphQL-formatted string representing the default value for this input value."
  defaultValue: String
  isDeprecated: Boolean!
  deprecationReason: String
}

"One possible value for a given Enum. Enum values are unique values, not a placeholder for a string or numeric value. However an Enum value is returned in a JSON response as a string."
type __EnumValue {
  name: String!
  description: String
  isDeprecated: Boolean!
  deprecationReason: String
}

"A Directive provides a way to describe alternate runtime execution and type validation behavior in a GraphQL document."
type __Directive {
  name: String!
  description: String
  isRepeatable: Boolean!
  locations: [__DirectiveLocation!]!
  args(includeDeprecated: Boolean = false): [__InputValue!]!
}

"A Directive can be adjacent to many parts of the GraphQL language, a __DirectiveLocation describes one such possible adjacencies."
enum __DirectiveLocation {
  QUERY
  MUTATION
  SUBSCRIPTION
  FIELD
  FRAGMENT_DEFINITION
  FRAGMENT_SPREAD
  INLINE_FRAGMENT
  VARIABLE_DEFINITION
  SCHEMA
  SCALAR
  OBJECT
  FIELD_DEFINITION
  ARGUMENT_DEFINITION
  INTERFACE
  UNION
  ENUM
  ENUM_VALUE
  INPUT_OBJECT
  INPUT_FIELD_DEFINITION
}
)GQL";

using boost::json::object;

Value type_value(TypeRef ref) { return Value::object(std::move(ref), "__Type"); }
Value type_value(const std::string& name) { return type_value(TypeRef{name, ""}); }

Value text_or_null(const std::string& s) { return s.empty() ? Value() : Value(s); }

bool include_deprecated(const object& args) {
  auto it = args.find("includeDeprecated");
  return it != args.end() && it->value().is_bool() && it->value().as_bool();
}

Value input_values(const std::vector<InputValue>& values, const object& args) {
  std::vector<Value> out;
  for (const auto& v : values)
    if (!v.deprecated || include_deprecated(args)) out.push_back(Value::object(&v, "__InputValue"));
  return Value::list(std::move(out));
}

// The named type behind a __Type value, or nullptr for LIST / NON_NULL wrappers.
const Type* named(const Value& parent, const ResolveInfo& info) {
  const TypeRef& ref = parent.get<TypeRef>();
  return ref.is_named() ? info.schema().type(ref.name) : nullptr;
}

}  // namespace

std::string_view introspection_sdl() { return kIntrospectionSdl; }

Value introspect_schema(const Schema& schema) { return Value::object(&schema, "__Schema"); }

Value introspect_type(const Schema& schema, std::string_view name) {
  if (!schema.type(name)) return Value();
  return type_value(std::string(name));
}

void attach_introspection_resolvers(Schema& schema) {
  using Args = const object&;
  using Info = const ResolveInfo&;
  // __Schema
  schema.resolve_sync("__Schema", "description", [](const Value&, Args, Info info) { return text_or_null(info.schema().description()); });
  schema.resolve_sync("__Schema", "types", [](const Value&, Args, Info info) {
    std::vector<Value> out;
    for (const auto& t : info.schema().types()) out.push_back(type_value(t->name));
    return Value::list(std::move(out));
  });
  schema.resolve_sync("__Schema", "queryType", [](const Value&, Args, Info info) { return type_value(info.schema().query_type()->name); });
  schema.resolve_sync("__Schema", "mutationType", [](const Value&, Args, Info info) {
    const Type* t = info.schema().mutation_type();
    return t ? type_value(t->name) : Value();
  });
  schema.resolve_sync("__Schema", "subscriptionType", [](const Value&, Args, Info info) {
    const Type* t = info.schema().subscription_type();
    return t ? type_value(t->name) : Value();
  });
  schema.resolve_sync("__Schema", "directives", [](const Value&, Args, Info info) {
    std::vector<Value> out;
    for (const auto& d : info.schema().directives()) out.push_back(Value::object(static_cast<const DirectiveDef*>(d.get()), "__Directive"));
    return Value::list(std::move(out));
  });

  // __Type
  schema.resolve_sync("__Type", "kind", [](const Value& p, Args, Info info) -> Value {
    const TypeRef& ref = p.get<TypeRef>();
    if (ref.is_non_null()) return "NON_NULL";
    if (ref.is_list()) return "LIST";
    const Type* t = info.schema().type(ref.name);
    return t ? Value(to_string(t->kind)) : Value();
  });
  schema.resolve_sync("__Type", "name", [](const Value& p, Args, Info) -> Value {
    const TypeRef& ref = p.get<TypeRef>();
    return ref.is_named() ? Value(ref.name) : Value();
  });
  schema.resolve_sync("__Type", "description", [](const Value& p, Args, Info info) -> Value {
    const Type* t = named(p, info);
    return t ? text_or_null(t->description) : Value();
  });
  auto specified_by = [](const Value& p, Args, Info info) -> Value {
    const Type* t = named(p, info);
    return t ? text_or_null(t->specified_by_url) : Value();
  };
  schema.resolve_sync("__Type", "specifiedByURL", specified_by);
  schema.resolve_sync("__Type", "specifiedByUrl", specified_by);
  schema.resolve_sync("__Type", "fields", [](const Value& p, Args args, Info info) -> Value {
    const Type* t = named(p, info);
    if (!t || (t->kind != TypeKind::Object && t->kind != TypeKind::Interface)) return Value();
    std::vector<Value> out;
    for (const auto& f : t->fields)
      if (!f.deprecated || include_deprecated(args)) out.push_back(Value::object(&f, "__Field"));
    return Value::list(std::move(out));
  });
  schema.resolve_sync("__Type", "interfaces", [](const Value& p, Args, Info info) -> Value {
    const Type* t = named(p, info);
    if (!t || (t->kind != TypeKind::Object && t->kind != TypeKind::Interface)) return Value();
    std::vector<Value> out;
    for (const auto& i : t->interfaces) out.push_back(type_value(i));
    return Value::list(std::move(out));
  });
  schema.resolve_sync("__Type", "possibleTypes", [](const Value& p, Args, Info info) -> Value {
    const Type* t = named(p, info);
    if (!t || !t->is_abstract()) return Value();
    std::vector<Value> out;
    for (const Type* o : t->possible_types) out.push_back(type_value(o->name));
    return Value::list(std::move(out));
  });
  schema.resolve_sync("__Type", "enumValues", [](const Value& p, Args args, Info info) -> Value {
    const Type* t = named(p, info);
    if (!t || t->kind != TypeKind::Enum) return Value();
    std::vector<Value> out;
    for (const auto& v : t->enum_values)
      if (!v.deprecated || include_deprecated(args)) out.push_back(Value::object(&v, "__EnumValue"));
    return Value::list(std::move(out));
  });
  schema.resolve_sync("__Type", "inputFields", [](const Value& p, Args args, Info info) -> Value {
    const Type* t = named(p, info);
    if (!t || t->kind != TypeKind::InputObject) return Value();
    return input_values(t->input_fields, args);
  });
  schema.resolve_sync("__Type", "ofType", [](const Value& p, Args, Info) -> Value {
    const TypeRef& ref = p.get<TypeRef>();
    return ref.is_named() ? Value() : type_value(ref.of_type());
  });

  // __Field
  auto field = [](const Value& p) -> const FieldDef& { return *p.get<const FieldDef*>(); };
  schema.resolve_sync("__Field", "name", [field](const Value& p, Args, Info) { return Value(field(p).name); });
  schema.resolve_sync("__Field", "description", [field](const Value& p, Args, Info) { return text_or_null(field(p).description); });
  schema.resolve_sync("__Field", "args", [field](const Value& p, Args args, Info) { return input_values(field(p).args, args); });
  schema.resolve_sync("__Field", "type", [field](const Value& p, Args, Info) { return type_value(field(p).type); });
  schema.resolve_sync("__Field", "isDeprecated", [field](const Value& p, Args, Info) { return Value(field(p).deprecated); });
  schema.resolve_sync("__Field", "deprecationReason", [field](const Value& p, Args, Info) {
    return field(p).deprecated ? Value(field(p).deprecation_reason) : Value();
  });

  // __InputValue
  auto input = [](const Value& p) -> const InputValue& { return *p.get<const InputValue*>(); };
  schema.resolve_sync("__InputValue", "name", [input](const Value& p, Args, Info) { return Value(input(p).name); });
  schema.resolve_sync("__InputValue", "description", [input](const Value& p, Args, Info) { return text_or_null(input(p).description); });
  schema.resolve_sync("__InputValue", "type", [input](const Value& p, Args, Info) { return type_value(input(p).type); });
  schema.resolve_sync("__InputValue", "defaultValue", [input](const Value& p, Args, Info) {
    const auto& v = input(p);
    return v.default_value ? Value(print_value(*v.default_value)) : Value();
  });
  schema.resolve_sync("__InputValue", "isDeprecated", [input](const Value& p, Args, Info) { return Value(input(p).deprecated); });
  schema.resolve_sync("__InputValue", "deprecationReason", [input](const Value& p, Args, Info) {
    return input(p).deprecated ? Value(input(p).deprecation_reason) : Value();
  });

  // __EnumValue
  auto ev = [](const Value& p) -> const EnumValue& { return *p.get<const EnumValue*>(); };
  schema.resolve_sync("__EnumValue", "name", [ev](const Value& p, Args, Info) { return Value(ev(p).name); });
  schema.resolve_sync("__EnumValue", "description", [ev](const Value& p, Args, Info) { return text_or_null(ev(p).description); });
  schema.resolve_sync("__EnumValue", "isDeprecated", [ev](const Value& p, Args, Info) { return Value(ev(p).deprecated); });
  schema.resolve_sync("__EnumValue", "deprecationReason", [ev](const Value& p, Args, Info) {
    return ev(p).deprecated ? Value(ev(p).deprecation_reason) : Value();
  });

  // __Directive
  auto dir = [](const Value& p) -> const DirectiveDef& { return *p.get<const DirectiveDef*>(); };
  schema.resolve_sync("__Directive", "name", [dir](const Value& p, Args, Info) { return Value(dir(p).name); });
  schema.resolve_sync("__Directive", "description", [dir](const Value& p, Args, Info) { return text_or_null(dir(p).description); });
  schema.resolve_sync("__Directive", "isRepeatable", [dir](const Value& p, Args, Info) { return Value(dir(p).repeatable); });
  schema.resolve_sync("__Directive", "locations", [dir](const Value& p, Args, Info) {
    boost::json::array out;
    for (const auto& l : dir(p).locations) out.push_back(boost::json::string(l));
    return Value(std::move(out));
  });
  schema.resolve_sync("__Directive", "args", [dir](const Value& p, Args args, Info) { return input_values(dir(p).args, args); });
}

}  // namespace parley::graphql
