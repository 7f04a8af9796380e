#pragma once
// The schema: types, fields, directives and the resolvers attached to them. Built from SDL by
// build_schema (sdl_builder.hpp), which checks it; then the application attaches resolvers
// (resolve / resolve_sync / subscribe / resolve_type / scalar) and hands the schema, now
// immutable, to an Engine. Built-in scalars, directives and the introspection types are always
// present and marked `builtin`.
#include "graphql/ast.hpp"
#include "graphql/resolver.hpp"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace parley::graphql {

struct InputValue {
  std::string name;
  std::string description;
  TypeRef type;
  std::optional<ValueNode> default_value;         // as written in the SDL
  std::optional<boost::json::value> default_json;  // coerced at build time
  bool deprecated = false;
  std::string deprecation_reason;
  Location loc;
};

struct FieldDef {
  std::string name;
  std::string description;
  std::vector<InputValue> args;
  TypeRef type;
  bool deprecated = false;
  std::string deprecation_reason;
  Location loc;
  Resolver resolve;
  SyncResolver resolve_sync;
  SubscribeResolver subscribe;
  const Type* named_type = nullptr;  // the type behind `type`'s wrappers (set by Schema::finish)

  const InputValue* arg(std::string_view name) const;
};

struct EnumValue {
  std::string name;
  std::string description;
  bool deprecated = false;
  std::string deprecation_reason;
};

struct Type {
  TypeKind kind = TypeKind::Scalar;
  std::string name;
  std::string description;
  bool builtin = false;
  Location loc;
  std::vector<FieldDef> fields;            // object, interface
  std::vector<std::string> interfaces;     // object, interface: declared implementations
  std::vector<const Type*> possible_types;  // union members; objects implementing an interface
  std::vector<EnumValue> enum_values;      // enum
  std::vector<InputValue> input_fields;    // input object
  std::string specified_by_url;            // scalar
  ScalarHooks scalar;
  TypeResolver resolve_type;

  const FieldDef* field(std::string_view name) const;
  const InputValue* input_field(std::string_view name) const;
  const EnumValue* enum_value(std::string_view name) const;
  bool is_composite() const { return kind == TypeKind::Object || kind == TypeKind::Interface || kind == TypeKind::Union; }
  bool is_abstract() const { return kind == TypeKind::Interface || kind == TypeKind::Union; }
  bool is_leaf() const { return kind == TypeKind::Scalar || kind == TypeKind::Enum; }
  bool is_input() const { return is_leaf() || kind == TypeKind::InputObject; }
  bool is_output() const { return kind != TypeKind::InputObject; }
};

struct DirectiveDef {
  std::string name;
  std::string description;
  std::vector<InputValue> args;
  std::vector<std::string> locations;  // "FIELD", "QUERY", ...
  bool repeatable = false;
  bool builtin = false;

  const InputValue* arg(std::string_view name) const;
  bool allows(std::string_view location) const;
};

class Schema {
 public:
  Schema();
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  const Type* type(std::string_view name) const;
  // Types in definition order (built-ins first).
  const std::vector<std::unique_ptr<Type>>& types() const { return types_; }
  const Type* query_type() const { return query_; }
  const Type* mutation_type() const { return mutation_; }
  const Type* subscription_type() const { return subscription_; }
  const Type* root_type(OperationType op) const;
  const std::string& description() const { return description_; }

  const DirectiveDef* directive(std::string_view name) const;
  const std::vector<std::unique_ptr<DirectiveDef>>& directives() const { return directives_; }

  // The field `name` of `parent`, including the meta-fields __typename (everywhere) and
  // __schema / __type (on the query root). nullptr if there is none.
  const FieldDef* field(const Type& parent, std::string_view name) const;

  bool is_possible_type(const Type& abstract_type, const Type& object_type) const;
  // True if some object type is possible for both composite types (spec 5.5.2.3).
  bool types_overlap(const Type& a, const Type& b) const;
  // True if `sub` may be used where `super` is expected (output covariance, spec 3.6.1).
  bool is_subtype(const TypeRef& sub, const TypeRef& super) const;

  // ---- wiring (before handing the schema to an Engine); each throws std::invalid_argument when the
  // type or field does not exist, so typos fail at start-up ----
  Schema& resolve(std::string_view type, std::string_view field, Resolver resolver);
  Schema& resolve_sync(std::string_view type, std::string_view field, SyncResolver resolver);
  Schema& subscribe(std::string_view field, SubscribeResolver resolver);  // a Subscription root field
  Schema& resolve_type(std::string_view abstract_type, TypeResolver resolver);
  Schema& scalar(std::string_view scalar_type, ScalarHooks hooks);

  // ---- construction (sdl_builder) ----
  Type& add_type(std::unique_ptr<Type> type);
  DirectiveDef& add_directive(std::unique_ptr<DirectiveDef> directive);
  Type* mutable_type(std::string_view name);
  void set_roots(const Type* query, const Type* mutation, const Type* subscription) {
    query_ = query;
    mutation_ = mutation;
    subscription_ = subscription;
  }
  void set_description(std::string description) { description_ = std::move(description); }
  void finish();  // computes possible types

 private:
  FieldDef& mutable_field(std::string_view type, std::string_view field);

  std::vector<std::unique_ptr<Type>> types_;
  std::map<std::string, Type*, std::less<>> by_name_;
  std::vector<std::unique_ptr<DirectiveDef>> directives_;
  std::map<std::string, DirectiveDef*, std::less<>> directive_by_name_;
  std::map<std::pair<const Type*, const Type*>, bool> possible_;
  const Type* query_ = nullptr;
  const Type* mutation_ = nullptr;
  const Type* subscription_ = nullptr;
  std::string description_;
  FieldDef typename_field_;
  FieldDef schema_field_;
  FieldDef type_field_;
};

}  // namespace parley::graphql
