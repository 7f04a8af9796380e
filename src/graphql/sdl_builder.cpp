#include "graphql/sdl_builder.hpp"

#include "graphql/introspection.hpp"
#include "graphql/parser.hpp"
#include "graphql/values.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <stdexcept>

namespace parley::graphql {
namespace {

constexpr std::string_view kBuiltinSdl = R"GQL(
"The `Int` scalar type represents non-fractional signed whole numeric values. Int can represent values between -(2^31) and 2^31 - 1."
scalar Int
"The `Float` scalar type represents signed double-precision fractional values as specified by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point)."
scalar Float
"The `String` scalar type represents textual data, represented as UTF-8 character sequences. The String type is most often used by GraphQL to represent free-form human-readable text."
scalar String
"The `Boolean` scalar type represents `true` or `false`."
scalar Boolean
"The `ID` scalar type represents a unique identifier, often used to refetch an object or as key for a cache. The ID type appears in a JSON response as a String; however, it is not intended to be human-readable. When expected as an input type, any string (such as `\"4\"`) or integer (such as `4`) input value will be accepted as an ID."
scalar ID
"Directs the executor to include this field or fragment only when the `if` argument is true."
directive @include("Included when true." if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
"Directs the executor to skip this field or fragment when the `if` argument is true."
directive @skip("Skipped when true." if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
"Marks an element of a GraphQL schema as no longer supported."
directive @deprecated(
  "Explains why this element was deprecated, usually also including a suggestion for how to access supported similar data. Formatted using the Markdown syntax, as specified by [CommonMark](https://commonmark.org/)."
  reason: String = "No longer supported"
) on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
"Exposes a URL that specifies the behavior of this scalar."
directive @specifiedBy("The URL that specifies the behavior of this scalar." url: String!) on SCALAR
)GQL";

const std::set<std::string, std::less<>> kDirectiveLocations = {
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE",
    "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT", "INPUT_FIELD_DEFINITION"};

const char* type_location(TypeKind kind) {
  switch (kind) {
    case TypeKind::Scalar: return "SCALAR";
    case TypeKind::Object: return "OBJECT";
    case TypeKind::Interface: return "INTERFACE";
    case TypeKind::Union: return "UNION";
    case TypeKind::Enum: return "ENUM";
    case TypeKind::InputObject: return "INPUT_OBJECT";
    default: return "SCALAR";
  }
}

bool reserved(std::string_view name) { return name.size() >= 2 && name[0] == '_' && name[1] == '_'; }

class Builder {
 public:
  BuildResult run(std::string_view sdl) {
    Document builtins = parse(kBuiltinSdl, ParseOptions{1'000'000, 100});
    Document intro = parse(introspection_sdl(), ParseOptions{1'000'000, 100});
    Document user;
    try {
      user = parse(sdl, ParseOptions{10'000'000, 200});
    } catch (const SyntaxError& e) {
      error(e.what(), e.location());
      return finish();
    }
    for (const auto& op : user.operations) error("Executable definitions are not allowed in a schema.", op.loc);
    for (const auto& f : user.fragments) error("Executable definitions are not allowed in a schema.", f.loc);

    declare(builtins, true);
    declare(intro, true);
    declare(user, false);
    fill(builtins);
    fill(intro);
    fill(user);
    extend(user);
    roots(user);
    schema_->finish();
    check_types();
    check_input_cycles();
    coerce_defaults();
    if (errors_.empty()) attach_introspection_resolvers(*schema_);
    return finish();
  }

 private:
  void error(std::string message, Location loc = {}) {
    Error e;
    e.message = std::move(message);
    if (loc.line) e.locations.push_back(loc);
    errors_.push_back(std::move(e));
  }

  BuildResult finish() {
    BuildResult r;
    r.errors = std::move(errors_);
    if (r.errors.empty()) r.schema = std::move(schema_);
    return r;
  }

  void declare(const Document& doc, bool builtin) {
    for (const auto& def : doc.types) {
      if (def.extension) continue;
      if (!builtin && reserved(def.name))
        error("Name \"" + def.name + "\" must not begin with \"__\", which is reserved by GraphQL introspection.", def.loc);
      if (const Type* existing = schema_->type(def.name)) {
        error(existing->builtin ? "Type \"" + def.name + "\" already exists in the schema. It cannot also be defined in this type definition."
                                : "There can be only one type named \"" + def.name + "\".",
              def.loc);
        continue;
      }
      auto t = std::make_unique<Type>();
      t->kind = def.kind;
      t->name = def.name;
      t->description = def.description;
      t->builtin = builtin;
      t->loc = def.loc;
      schema_->add_type(std::move(t));
      definitions_[def.name] = &def;
    }
    for (const auto& def : doc.directives) {
      if (!builtin && reserved(def.name))
        error("Name \"" + def.name + "\" must not begin with \"__\", which is reserved by GraphQL introspection.", def.loc);
      if (schema_->directive(def.name)) {
        error("There can be only one directive named \"@" + def.name + "\".", def.loc);
        continue;
      }
      auto d = std::make_unique<DirectiveDef>();
      d->name = def.name;
      d->description = def.description;
      d->repeatable = def.repeatable;
      d->builtin = builtin;
      for (const auto& loc : def.locations) {
        if (!kDirectiveLocations.count(loc.value)) error("Unknown directive location \"" + loc.value + "\".", loc.loc);
        d->locations.push_back(loc.value);
      }
      d->args = input_values(def.arguments, "@" + def.name, true);
      schema_->add_directive(std::move(d));
    }
  }

  // Reads @deprecated(reason:) from applied directives.
  static bool deprecation(const std::vector<Directive>& directives, std::string& reason) {
    for (const auto& d : directives) {
      if (d.name != "deprecated") continue;
      reason = "No longer supported";
      for (const auto& a : d.arguments)
        if (a.name == "reason" && a.value.kind == ValueNode::Kind::String) reason = a.value.text;
      return true;
    }
    return false;
  }

  std::vector<InputValue> input_values(const std::vector<InputValueDefinition>& defs, const std::string& owner, bool args) {
    std::vector<InputValue> out;
    std::set<std::string, std::less<>> seen;
    for (const auto& def : defs) {
      if (!seen.insert(def.name).second)
        error(args ? "Argument \"" + owner + "(" + def.name + ":)\" can only be defined once."
                   : "Field \"" + owner + "." + def.name + "\" can only be defined once.",
              def.loc);
      InputValue v;
      v.name = def.name;
      v.description = def.description;
      v.type = def.type;
      v.default_value = def.default_value;
      v.loc = def.loc;
      v.deprecated = deprecation(def.directives, v.deprecation_reason);
      pending_directives_.push_back({&def.directives, args ? "ARGUMENT_DEFINITION" : "INPUT_FIELD_DEFINITION"});
      out.push_back(std::move(v));
    }
    return out;
  }

  void add_fields(Type& t, const std::vector<FieldDefinition>& defs) {
    for (const auto& def : defs) {
      if (t.field(def.name)) {
        error("Field \"" + t.name + "." + def.name + "\" can only be defined once.", def.loc);
        continue;
      }
      FieldDef f;
      f.name = def.name;
      f.description = def.description;
      f.type = def.type;
      f.loc = def.loc;
      f.args = input_values(def.arguments, t.name + "." + def.name, true);
      f.deprecated = deprecation(def.directives, f.deprecation_reason);
      pending_directives_.push_back({&def.directives, "FIELD_DEFINITION"});
      t.fields.push_back(std::move(f));
    }
  }

  void add_contents(Type& t, const TypeDefinition& def) {
    pending_directives_.push_back({&def.directives, type_location(t.kind)});
    for (const auto& i : def.interfaces) {
      if (std::find(t.interfaces.begin(), t.interfaces.end(), i.value) != t.interfaces.end()) {
        error("Type \"" + t.name + "\" can only implement \"" + i.value + "\" once.", i.loc);
        continue;
      }
      t.interfaces.push_back(i.value);
    }
    add_fields(t, def.fields);
    for (const auto& m : def.members) {
      const Type* member = schema_->type(m.value);
      if (!member) {
        error("Unknown type \"" + m.value + "\".", m.loc);
        continue;
      }
      if (member->kind != TypeKind::Object) {
        error("Union type \"" + t.name + "\" can only include Object types, it cannot include \"" + m.value + "\".", m.loc);
        continue;
      }
      if (std::find(t.possible_types.begin(), t.possible_types.end(), member) != t.possible_types.end()) {
        error("Union type \"" + t.name + "\" can only include type \"" + m.value + "\" once.", m.loc);
        continue;
      }
      t.possible_types.push_back(member);
    }
    for (const auto& v : def.values) {
      if (t.enum_value(v.name)) {
        error("Enum value \"" + t.name + "." + v.name + "\" can only be defined once.", v.loc);
        continue;
      }
      EnumValue e;
      e.name = v.name;
      e.description = v.description;
      e.deprecated = deprecation(v.directives, e.deprecation_reason);
      pending_directives_.push_back({&v.directives, "ENUM_VALUE"});
      t.enum_values.push_back(std::move(e));
    }
    auto inputs = input_values(def.inputs, t.name, false);
    for (auto& in : inputs) {
      if (t.input_field(in.name)) continue;  // reported by input_values or below
      t.input_fields.push_back(std::move(in));
    }
    for (const auto& d : def.directives) {
      if (d.name != "specifiedBy") continue;
      for (const auto& a : d.arguments)
        if (a.name == "url" && a.value.kind == ValueNode::Kind::String) t.specified_by_url = a.value.text;
    }
  }

  void fill(const Document& doc) {
    for (const auto& def : doc.types) {
      if (def.extension) continue;
      auto it = definitions_.find(def.name);
      if (it == definitions_.end() || it->second != &def) continue;  // a duplicate
      add_contents(*schema_->mutable_type(def.name), def);
    }
  }

  void extend(const Document& doc) {
    for (const auto& def : doc.types) {
      if (!def.extension) continue;
      Type* t = schema_->mutable_type(def.name);
      if (!t) {
        error("Cannot extend type \"" + def.name + "\" because it is not defined.", def.loc);
        continue;
      }
      if (t->kind != def.kind || t->builtin) {
        error("Cannot extend type \"" + def.name + "\": it is not a " + std::string(to_string(def.kind)) + " type defined here.",
              def.loc);
        continue;
      }
      add_contents(*t, def);
    }
  }

  void roots(const Document& doc) {
    const Type* found[3] = {nullptr, nullptr, nullptr};
    bool has_schema = false;
    for (const auto& s : doc.schemas) {
      if (!s.extension) {
        if (has_schema) error("Must provide only one schema definition.", s.loc);
        has_schema = true;
        schema_->set_description(s.description);
      }
      pending_directives_.push_back({&s.directives, "SCHEMA"});
      for (const auto& [op, name] : s.roots) {
        auto index = static_cast<int>(op);
        if (found[index]) {
          error("There can be only one " + std::string(to_string(op)) + " type in schema.", name.loc);
          continue;
        }
        const Type* t = schema_->type(name.value);
        if (!t) {
          error("Unknown type \"" + name.value + "\".", name.loc);
          continue;
        }
        if (t->kind != TypeKind::Object) {
          std::string label = to_string(op);
          label[0] = static_cast<char>(label[0] - 'a' + 'A');
          error(label + " root type must be Object type, it cannot be " + name.value + ".", name.loc);
          continue;
        }
        found[index] = t;
      }
    }
    if (!has_schema && !std::any_of(doc.schemas.begin(), doc.schemas.end(), [](auto& s) { return s.extension; })) {
      const char* names[3] = {"Query", "Mutation", "Subscription"};
      for (int i = 0; i < 3; ++i)
        if (const Type* t = schema_->type(names[i]); t && t->kind == TypeKind::Object) found[i] = t;
    }
    if (!found[0]) error("Query root type must be provided.");
    schema_->set_roots(found[0], found[1], found[2]);
  }

  // Type references: exist, and are input or output types as their position requires.
  bool check_ref(const TypeRef& ref, bool input, const std::string& what, Location loc) {
    const Type* t = schema_->type(ref.name);
    if (!t) {
      error("Unknown type \"" + ref.name + "\".", loc);
      return false;
    }
    if (input ? !t->is_input() : !t->is_output()) {
      error("The type of " + what + " must be " + (input ? "Input" : "Output") + " Type but got: " + ref.to_string() + ".", loc);
      return false;
    }
    return true;
  }

  void check_types() {
    for (const auto& up : schema_->types()) {
      const Type& t = *up;
      if (t.builtin) continue;
      switch (t.kind) {
        case TypeKind::Object:
        case TypeKind::Interface:
          if (t.fields.empty()) error("Type " + t.name + " must define one or more fields.", t.loc);
          for (const auto& f : t.fields) {
            if (reserved(f.name))
              error("Name \"" + f.name + "\" must not begin with \"__\", which is reserved by GraphQL introspection.", f.loc);
            check_ref(f.type, false, t.name + "." + f.name, f.loc);
            for (const auto& a : f.args) {
              if (reserved(a.name))
                error("Name \"" + a.name + "\" must not begin with \"__\", which is reserved by GraphQL introspection.", a.loc);
              check_ref(a.type, true, t.name + "." + f.name + "(" + a.name + ":)", a.loc);
              if (a.deprecated && a.type.is_non_null() && !a.default_value)
                error("Required argument " + t.name + "." + f.name + "(" + a.name + ":) cannot be deprecated.", a.loc);
            }
          }
          check_implementations(t);
          break;
        case TypeKind::Union:
          if (t.possible_types.empty()) error("Union type " + t.name + " must define one or more member types.", t.loc);
          break;
        case TypeKind::Enum:
          if (t.enum_values.empty()) error("Enum type " + t.name + " must define one or more values.", t.loc);
          break;
        case TypeKind::InputObject:
          if (t.input_fields.empty()) error("Input Object type " + t.name + " must define one or more fields.", t.loc);
          for (const auto& f : t.input_fields) {
            check_ref(f.type, true, t.name + "." + f.name, f.loc);
            if (f.deprecated && f.type.is_non_null() && !f.default_value)
              error("Required input field " + t.name + "." + f.name + " cannot be deprecated.", f.loc);
          }
          break;
        default: break;
      }
    }
    for (const auto& d : schema_->directives()) {
      if (d->builtin) continue;
      for (const auto& a : d->args) check_ref(a.type, true, "@" + d->name + "(" + a.name + ":)", a.loc);
    }
    for (const auto& [directives, location] : pending_directives_) check_applied(*directives, location);
  }

  void check_applied(const std::vector<Directive>& directives, const char* location) {
    std::set<std::string, std::less<>> seen;
    for (const auto& d : directives) {
      const DirectiveDef* def = schema_->directive(d.name);
      if (!def) {
        error("Unknown directive \"@" + d.name + "\".", d.loc);
        continue;
      }
      if (!def->allows(location)) error("Directive \"@" + d.name + "\" may not be used on " + location + ".", d.loc);
      if (!def->repeatable && !seen.insert(d.name).second)
        error("The directive \"@" + d.name + "\" can only be used once at this location.", d.loc);
      for (const auto& a : d.arguments) {
        const InputValue* arg = def->arg(a.name);
        if (!arg) {
          error("Unknown argument \"" + a.name + "\" on directive \"@" + d.name + "\".", a.loc);
          continue;
        }
        boost::json::value v;
        std::string why;
        if (coerce_literal(*schema_, a.value, arg->type, nullptr, v, why) != Coerced::Ok) error(why, a.value.loc);
      }
      for (const auto& arg : def->args) {
        if (!arg.type.is_non_null() || arg.default_value) continue;
        bool given = std::any_of(d.arguments.begin(), d.arguments.end(), [&](const Argument& a) { return a.name == arg.name; });
        if (!given)
          error("Directive \"@" + d.name + "\" argument \"" + arg.name + "\" of type \"" + arg.type.to_string() +
                    "\" is required, but it was not provided.",
                d.loc);
      }
    }
  }

  void check_implementations(const Type& t) {
    for (const auto& name : t.interfaces) {
      const Type* iface = schema_->type(name);
      if (!iface) {
        error("Unknown type \"" + name + "\".", t.loc);
        continue;
      }
      if (iface->kind != TypeKind::Interface) {
        error("Type " + t.name + " must only implement Interface types, it cannot implement " + name + ".", t.loc);
        continue;
      }
      if (iface == &t) {
        error("Type " + t.name + " cannot implement itself because it would create a circular reference.", t.loc);
        continue;
      }
      for (const auto& transitive : iface->interfaces)
        if (transitive != t.name && std::find(t.interfaces.begin(), t.interfaces.end(), transitive) == t.interfaces.end())
          error("Type " + t.name + " must implement " + transitive + " because it is implemented by " + name + ".", t.loc);
      for (const auto& ifield : iface->fields) {
        const FieldDef* field = t.field(ifield.name);
        if (!field) {
          error("Interface field " + name + "." + ifield.name + " expected but " + t.name + " does not provide it.", t.loc);
          continue;
        }
        if (schema_->type(field->type.name) && schema_->type(ifield.type.name) && !schema_->is_subtype(field->type, ifield.type))
          error("Interface field " + name + "." + ifield.name + " expects type " + ifield.type.to_string() + " but " + t.name +
                    "." + field->name + " is type " + field->type.to_string() + ".",
                field->loc);
        for (const auto& iarg : ifield.args) {
          const InputValue* arg = field->arg(iarg.name);
          if (!arg) {
            error("Interface field argument " + name + "." + ifield.name + "(" + iarg.name + ":) expected but " + t.name + "." +
                      field->name + " does not provide it.",
                  field->loc);
            continue;
          }
          if (!(arg->type == iarg.type))
            error("Interface field argument " + name + "." + ifield.name + "(" + iarg.name + ":) expects type " +
                      iarg.type.to_string() + " but " + t.name + "." + field->name + "(" + arg->name + ":) is type " +
                      arg->type.to_string() + ".",
                  arg->loc);
        }
        for (const auto& arg : field->args)
          if (!ifield.arg(arg.name) && arg.type.is_non_null() && !arg.default_value)
            error("Object field " + t.name + "." + field->name + " includes required argument " + arg.name +
                      " that is missing from the Interface field " + name + "." + ifield.name + ".",
                  arg.loc);
      }
    }
  }

  // Spec 3.10: an input object must not reference itself through non-null, non-list fields only.
  void check_input_cycles() {
    std::set<const Type*> done;
    for (const auto& up : schema_->types()) {
      if (up->kind != TypeKind::InputObject || done.count(up.get())) continue;
      std::vector<const Type*> stack;
      std::vector<std::string> path;
      std::function<void(const Type*)> visit = [&](const Type* t) {
        if (done.count(t)) return;
        auto pos = std::find(stack.begin(), stack.end(), t);
        if (pos != stack.end()) {
          std::string chain;
          for (auto i = static_cast<std::size_t>(pos - stack.begin()); i < path.size(); ++i) chain += (chain.empty() ? "" : ".") + path[i];
          error("Cannot reference Input Object \"" + t->name + "\" within itself through a series of non-null fields: \"" + chain + "\".",
                t->loc);
          return;
        }
        stack.push_back(t);
        for (const auto& f : t->input_fields) {
          if (f.type.mods != "!") continue;
          const Type* next = schema_->type(f.type.name);
          if (!next || next->kind != TypeKind::InputObject) continue;
          path.push_back(f.name);
          visit(next);
          path.pop_back();
        }
        stack.pop_back();
        done.insert(t);
      };
      visit(up.get());
    }
  }

  void coerce_default(InputValue& v, const std::string& what) {
    if (!v.default_value) return;
    boost::json::value out;
    std::string why;
    if (!schema_->type(v.type.name)) return;  // reported already
    if (coerce_literal(*schema_, *v.default_value, v.type, nullptr, out, why) != Coerced::Ok) {
      error("Default value of " + what + " is invalid: " + why, v.loc);
      return;
    }
    v.default_json = std::move(out);
  }

  void coerce_defaults() {
    if (!errors_.empty()) return;  // types may be incomplete
    // Input object fields first (in two rounds so nested input defaults see their fields' defaults).
    for (int round = 0; round < 2; ++round)
      for (const auto& up : schema_->types()) {
        Type* t = schema_->mutable_type(up->name);
        for (auto& f : t->input_fields) coerce_default(f, t->name + "." + f.name);
      }
    for (const auto& up : schema_->types()) {
      Type* t = schema_->mutable_type(up->name);
      for (auto& f : t->fields)
        for (auto& a : f.args) coerce_default(a, t->name + "." + f.name + "(" + a.name + ":)");
    }
    for (const auto& d : schema_->directives())
      for (auto& a : d->args) coerce_default(a, "@" + d->name + "(" + a.name + ":)");
  }

  std::shared_ptr<Schema> schema_ = std::make_shared<Schema>();
  std::vector<Error> errors_;
  std::map<std::string, const TypeDefinition*, std::less<>> definitions_;
  std::vector<std::pair<const std::vector<Directive>*, const char*>> pending_directives_;
};

}  // namespace

BuildResult build_schema(std::string_view sdl) {
  Builder builder;
  return builder.run(sdl);
}

std::shared_ptr<Schema> build_schema_or_throw(std::string_view sdl) {
  BuildResult r = build_schema(sdl);
  if (!r.ok()) {
    std::string message = "invalid GraphQL schema:";
    for (const auto& e : r.errors) {
      message += "\n  " + e.message;
      if (!e.locations.empty())
        message += " (" + std::to_string(e.locations[0].line) + ":" + std::to_string(e.locations[0].column) + ")";
    }
    throw std::runtime_error(message);
  }
  return r.schema;
}

}  // namespace parley::graphql
