#pragma once
// The GraphQL abstract syntax tree (October 2021 spec, section 2 and 3) for both executable
// documents and type system (SDL) documents. Plain value types, owned by a Document; nodes carry
// the source location of their first token so errors can point at them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::graphql {

// 1-based line and column; columns count Unicode code points.
struct Location {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  bool operator==(const Location&) const = default;
};

// A type reference: `name` wrapped by `mods`, outermost first ('!' non-null, '[' list).
// `[Int!]!` is {name "Int", mods "![!"}. Cheap to copy and compare.
struct TypeRef {
  std::string name;
  std::string mods;

  bool is_non_null() const { return !mods.empty() && mods[0] == '!'; }
  bool is_list() const { return !mods.empty() && mods[0] == '['; }
  bool is_named() const { return mods.empty(); }
  // The wrapped type: drops the outermost modifier (requires !is_named()).
  TypeRef of_type() const { return {name, mods.substr(1)}; }
  TypeRef nullable() const { return is_non_null() ? of_type() : *this; }
  std::string to_string() const;  // "[Int!]!"
  bool operator==(const TypeRef&) const = default;
};

struct ObjectField;

// A literal value. Kind-dependent members: `text` holds the variable name, the number's source
// text, the decoded string or the enum name; `list` and `fields` hold the children.
struct ValueNode {
  enum class Kind : std::uint8_t { Variable, Int, Float, String, Boolean, Null, Enum, List, Object };
  Kind kind = Kind::Null;
  Location loc;
  std::string text;
  bool boolean = false;
  bool block_string = false;
  std::vector<ValueNode> list;
  std::vector<ObjectField> fields;
};

struct ObjectField {
  std::string name;
  Location loc;
  ValueNode value;
};

struct Argument {
  std::string name;
  Location loc;
  ValueNode value;
};

struct Directive {
  std::string name;
  Location loc;
  std::vector<Argument> arguments;
};

// One selection. A field uses alias/name/arguments/selection_set; a fragment spread uses name; an
// inline fragment uses name as its type condition (empty when it has none) and selection_set.
struct Selection {
  enum class Kind : std::uint8_t { Field, FragmentSpread, InlineFragment };
  Kind kind = Kind::Field;
  Location loc;
  std::string alias;
  std::string name;
  std::vector<Argument> arguments;
  std::vector<Directive> directives;
  std::vector<Selection> selection_set;
  // Source byte range [begin, end): lets the validator recognise textually identical fields.
  std::uint32_t begin = 0;
  std::uint32_t end = 0;

  const std::string& response_name() const { return alias.empty() ? name : alias; }
};
using SelectionSet = std::vector<Selection>;

enum class OperationType : std::uint8_t { Query, Mutation, Subscription };
const char* to_string(OperationType type);

struct VariableDefinition {
  std::string name;
  Location loc;
  TypeRef type;
  Location type_loc;
  std::optional<ValueNode> default_value;
  std::vector<Directive> directives;
};

struct OperationDefinition {
  OperationType operation = OperationType::Query;
  std::string name;  // empty: anonymous
  Location loc;
  std::vector<VariableDefinition> variables;
  std::vector<Directive> directives;
  SelectionSet selection_set;
};

struct FragmentDefinition {
  std::string name;
  Location loc;
  std::string type_condition;
  Location type_condition_loc;
  std::vector<Directive> directives;
  SelectionSet selection_set;
};

// ---- Type system definitions (SDL) ----

struct Name {
  std::string value;
  Location loc;
};

struct InputValueDefinition {
  std::string description;
  std::string name;
  Location loc;
  TypeRef type;
  std::optional<ValueNode> default_value;
  std::vector<Directive> directives;
};

struct FieldDefinition {
  std::string description;
  std::string name;
  Location loc;
  std::vector<InputValueDefinition> arguments;
  TypeRef type;
  std::vector<Directive> directives;
};

struct EnumValueDefinition {
  std::string description;
  std::string name;
  Location loc;
  std::vector<Directive> directives;
};

enum class TypeKind : std::uint8_t { Scalar, Object, Interface, Union, Enum, InputObject, List, NonNull };
const char* to_string(TypeKind kind);  // introspection spelling: "SCALAR", "INPUT_OBJECT", ...

struct TypeDefinition {
  TypeKind kind = TypeKind::Object;
  bool extension = false;
  std::string description;
  std::string name;
  Location loc;
  std::vector<Name> interfaces;               // object, interface
  std::vector<Directive> directives;
  std::vector<FieldDefinition> fields;        // object, interface
  std::vector<Name> members;                  // union
  std::vector<EnumValueDefinition> values;    // enum
  std::vector<InputValueDefinition> inputs;   // input object
};

struct DirectiveDefinition {
  std::string description;
  std::string name;
  Location loc;
  std::vector<InputValueDefinition> arguments;
  bool repeatable = false;
  std::vector<Name> locations;
};

struct SchemaDefinition {
  bool extension = false;
  std::string description;
  Location loc;
  std::vector<Directive> directives;
  std::vector<std::pair<OperationType, Name>> roots;
};

// A parsed document. Executable and type system definitions are kept apart; validation rejects
// the latter in requests (5.1.1) through `type_system_locations`.
struct Document {
  std::vector<OperationDefinition> operations;
  std::vector<FragmentDefinition> fragments;
  std::vector<TypeDefinition> types;
  std::vector<DirectiveDefinition> directives;
  std::vector<SchemaDefinition> schemas;
  std::vector<Location> type_system_locations;
  std::size_t token_count = 0;
  std::string source;  // the parsed text (Selection::begin/end index into it)
};

}  // namespace parley::graphql
