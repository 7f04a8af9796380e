#include "graphql/schema.hpp"

#include "graphql/introspection.hpp"

#include <algorithm>
#include <stdexcept>

namespace parley::graphql {

namespace {

bool selects_in(const SelectionSet& set, std::string_view name, const std::vector<FragmentDefinition>* fragments,
                std::vector<std::string_view>& visited) {
  for (const auto& s : set) {
    if (s.kind == Selection::Kind::Field) {
      if (s.name == name) return true;
    } else if (s.kind == Selection::Kind::InlineFragment) {
      if (selects_in(s.selection_set, name, fragments, visited)) return true;
    } else if (fragments && std::find(visited.begin(), visited.end(), s.name) == visited.end()) {
      visited.push_back(s.name);
      for (const auto& f : *fragments)
        if (f.name == s.name && selects_in(f.selection_set, name, fragments, visited)) return true;
    }
  }
  return false;
}

// False when `set` asks for a field (other than __typename) not in `names`.
bool selects_within(const SelectionSet& set, std::initializer_list<std::string_view> names,
                    const std::vector<FragmentDefinition>* fragments, std::vector<std::string_view>& visited) {
  for (const auto& s : set) {
    if (s.kind == Selection::Kind::Field) {
      if (s.name != "__typename" && std::find(names.begin(), names.end(), s.name) == names.end()) return false;
    } else if (s.kind == Selection::Kind::InlineFragment) {
      if (!selects_within(s.selection_set, names, fragments, visited)) return false;
    } else if (std::find(visited.begin(), visited.end(), s.name) == visited.end()) {
      if (!fragments) return false;  // a spread it cannot look into might select anything
      visited.push_back(s.name);
      for (const auto& f : *fragments)
        if (f.name == s.name && !selects_within(f.selection_set, names, fragments, visited)) return false;
    }
  }
  return true;
}

}  // namespace

bool ResolveInfo::selects_only(std::initializer_list<std::string_view> names) const {
  std::vector<std::string_view> visited;
  for (const Selection* node : nodes_)
    if (!selects_within(node->selection_set, names, fragments_, visited)) return false;
  return true;
}

bool ResolveInfo::selects(std::string_view name) const {
  std::vector<std::string_view> visited;
  for (const Selection* node : nodes_)
    if (selects_in(node->selection_set, name, fragments_, visited)) return true;
  return false;
}

const InputValue* FieldDef::arg(std::string_view name) const {
  for (const auto& a : args)
    if (a.name == name) return &a;
  return nullptr;
}

const InputValue* DirectiveDef::arg(std::string_view name) const {
  for (const auto& a : args)
    if (a.name == name) return &a;
  return nullptr;
}

bool DirectiveDef::allows(std::string_view location) const {
  return std::find(locations.begin(), locations.end(), location) != locations.end();
}

const FieldDef* Type::field(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

const InputValue* Type::input_field(std::string_view name) const {
  for (const auto& f : input_fields)
    if (f.name == name) return &f;
  return nullptr;
}

const EnumValue* Type::enum_value(std::string_view name) const {
  for (const auto& v : enum_values)
    if (v.name == name) return &v;
  return nullptr;
}

Schema::Schema() {
  typename_field_.name = "__typename";
  typename_field_.description = "The name of the current Object type at runtime.";
  typename_field_.type = {"String", "!"};
  schema_field_.name = "__schema";
  schema_field_.description = "Access the current type schema of this server.";
  schema_field_.type = {"__Schema", "!"};
  schema_field_.resolve_sync = [](const Value&, const boost::json::object&, const ResolveInfo& info) {
    return introspect_schema(info.schema());
  };
  type_field_.name = "__type";
  type_field_.description = "Request the type information of a single type.";
  type_field_.type = {"__Type", ""};
  InputValue name_arg;
  name_arg.name = "name";
  name_arg.type = {"String", "!"};
  type_field_.args.push_back(std::move(name_arg));
  type_field_.resolve_sync = [](const Value&, const boost::json::object& args, const ResolveInfo& info) {
    auto it = args.find("name");
    if (it == args.end() || !it->value().is_string()) return Value();
    return introspect_type(info.schema(), it->value().as_string());
  };
}

const Type* Schema::type(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Type* Schema::mutable_type(std::string_view name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const Type* Schema::root_type(OperationType op) const {
  switch (op) {
    case OperationType::Query: return query_;
    case OperationType::Mutation: return mutation_;
    case OperationType::Subscription: return subscription_;
  }
  return nullptr;
}

const DirectiveDef* Schema::directive(std::string_view name) const {
  auto it = directive_by_name_.find(name);
  return it == directive_by_name_.end() ? nullptr : it->second;
}

const FieldDef* Schema::field(const Type& parent, std::string_view name) const {
  if (name.size() > 2 && name[0] == '_' && name[1] == '_') {
    if (name == "__typename" && parent.is_composite()) return &typename_field_;
    if (&parent == query_) {
      if (name == "__schema") return &schema_field_;
      if (name == "__type") return &type_field_;
    }
  }
  return parent.field(name);
}

bool Schema::is_possible_type(const Type& abstract_type, const Type& object_type) const {
  if (&abstract_type == &object_type) return true;
  const auto& p = abstract_type.possible_types;
  return std::find(p.begin(), p.end(), &object_type) != p.end();
}

bool Schema::types_overlap(const Type& a, const Type& b) const {
  if (&a == &b) return true;
  if (a.is_abstract()) {
    if (b.is_abstract()) {
      for (const Type* t : a.possible_types)
        if (is_possible_type(b, *t)) return true;
      return false;
    }
    return is_possible_type(a, b);
  }
  if (b.is_abstract()) return is_possible_type(b, a);
  return false;
}

bool Schema::is_subtype(const TypeRef& sub, const TypeRef& super) const {
  if (sub == super) return true;
  if (super.is_non_null()) return sub.is_non_null() && is_subtype(sub.of_type(), super.of_type());
  if (sub.is_non_null()) return is_subtype(sub.of_type(), super);
  if (super.is_list()) return sub.is_list() && is_subtype(sub.of_type(), super.of_type());
  if (sub.is_list()) return false;
  const Type* a = type(sub.name);
  const Type* b = type(super.name);
  if (!a || !b) return false;
  if (b->is_abstract() && (a->kind == TypeKind::Object || a->kind == TypeKind::Interface)) {
    if (a->kind == TypeKind::Object) return is_possible_type(*b, *a);
    return std::find(a->interfaces.begin(), a->interfaces.end(), b->name) != a->interfaces.end();
  }
  return false;
}

FieldDef& Schema::mutable_field(std::string_view type_name, std::string_view field_name) {
  Type* t = mutable_type(type_name);
  if (!t) throw std::invalid_argument("graphql schema: no type " + std::string(type_name));
  for (auto& f : t->fields)
    if (f.name == field_name) return f;
  throw std::invalid_argument("graphql schema: no field " + std::string(type_name) + "." + std::string(field_name));
}

Schema& Schema::resolve(std::string_view type, std::string_view field, Resolver resolver) {
  mutable_field(type, field).resolve = std::move(resolver);
  return *this;
}

Schema& Schema::resolve_sync(std::string_view type, std::string_view field, SyncResolver resolver) {
  mutable_field(type, field).resolve_sync = std::move(resolver);
  return *this;
}

Schema& Schema::subscribe(std::string_view field, SubscribeResolver resolver) {
  if (!subscription_) throw std::invalid_argument("graphql schema: no subscription root type");
  mutable_field(subscription_->name, field).subscribe = std::move(resolver);
  return *this;
}

Schema& Schema::resolve_type(std::string_view abstract_type, TypeResolver resolver) {
  Type* t = mutable_type(abstract_type);
  if (!t || !t->is_abstract())
    throw std::invalid_argument("graphql schema: no interface or union " + std::string(abstract_type));
  t->resolve_type = std::move(resolver);
  return *this;
}

Schema& Schema::scalar(std::string_view scalar_type, ScalarHooks hooks) {
  Type* t = mutable_type(scalar_type);
  if (!t || t->kind != TypeKind::Scalar) throw std::invalid_argument("graphql schema: no scalar " + std::string(scalar_type));
  t->scalar = std::move(hooks);
  return *this;
}

Type& Schema::add_type(std::unique_ptr<Type> type) {
  Type& ref = *type;
  by_name_[ref.name] = type.get();
  types_.push_back(std::move(type));
  return ref;
}

DirectiveDef& Schema::add_directive(std::unique_ptr<DirectiveDef> directive) {
  DirectiveDef& ref = *directive;
  directive_by_name_[ref.name] = directive.get();
  directives_.push_back(std::move(directive));
  return ref;
}

void Schema::finish() {
  for (auto& t : types_)
    for (auto& f : t->fields) f.named_type = type(f.type.name);
  for (FieldDef* f : {&typename_field_, &schema_field_, &type_field_}) f->named_type = type(f->type.name);
  for (auto& t : types_)
    if (t->kind == TypeKind::Interface) t->possible_types.clear();
  for (auto& t : types_) {
    if (t->kind != TypeKind::Object) continue;
    for (const auto& name : t->interfaces)
      if (Type* i = mutable_type(name); i && i->kind == TypeKind::Interface) i->possible_types.push_back(t.get());
  }
}

}  // namespace parley::graphql
