// The type-aware walk over every operation and fragment: fields on correct types (5.3.1), leaf
// field selections (5.3.3), argument names, uniqueness and required arguments (5.4), fragment
// spread type existence and composite conditions (5.5.1.2-3), spread targets defined (5.5.2.1),
// spreads possible (5.5.2.3), values of correct type and input object fields (5.6), directives
// defined, in valid locations and unique (5.7). It records each definition's variable usages and
// spreads for the variable rules. Each definition is walked once; spreads are not followed.
#include "graphql/validation/context.hpp"

#include "graphql/parser.hpp"
#include "graphql/values.hpp"

#include <set>

namespace parley::graphql::validation {
namespace {

class Walker {
 public:
  Walker(Context& ctx, DefinitionUses& uses) : ctx_(ctx), uses_(uses) {}

  void selection_set(const Type* parent, const SelectionSet& set) {
    for (const auto& s : set) {
      if (ctx_.full()) return;
      switch (s.kind) {
        case Selection::Kind::Field: field(parent, s); break;
        case Selection::Kind::InlineFragment: inline_fragment(parent, s); break;
        case Selection::Kind::FragmentSpread: spread(parent, s); break;
      }
    }
  }

  void directives(const std::vector<Directive>& list, const char* location) {
    std::set<std::string_view> seen;
    for (const auto& d : list) {
      const DirectiveDef* def = ctx_.schema.directive(d.name);
      if (!def) {
        ctx_.report("Unknown directive \"@" + d.name + "\".", {d.loc});
        arguments(d.arguments, nullptr, "", d.loc, false);
        continue;
      }
      if (!def->allows(location)) ctx_.report("Directive \"@" + d.name + "\" may not be used on " + location + ".", {d.loc});
      if (!def->repeatable && !seen.insert(d.name).second)
        ctx_.report("The directive \"@" + d.name + "\" can only be used once at this location.", {d.loc});
      arguments(d.arguments, &def->args, "@" + d.name, d.loc, true);
    }
  }

  // Values of correct type (5.6.1-5.6.4); records variable usages with their expected types.
  void value(const ValueNode& v, const TypeRef* type, bool location_default) {
    using K = ValueNode::Kind;
    if (v.kind == K::Variable) {
      uses_.variables.push_back({v.text, v.loc, type ? *type : TypeRef{}, location_default});
      return;
    }
    if (!type || !ctx_.schema.type(type->name)) {
      for (const auto& item : v.list) value(item, nullptr, false);
      for (const auto& f : v.fields) value(f.value, nullptr, false);
      return;
    }
    if (type->is_non_null()) {
      if (v.kind == K::Null) {
        ctx_.report("Expected value of type \"" + type->to_string() + "\", found null.", {v.loc});
        return;
      }
      TypeRef inner = type->of_type();
      value(v, &inner, false);
      return;
    }
    if (v.kind == K::Null) return;
    if (type->is_list()) {
      TypeRef item = type->of_type();
      if (v.kind == K::List) {
        for (const auto& element : v.list) value(element, &item, false);
      } else {
        value(v, &item, false);
      }
      return;
    }
    const Type* named = ctx_.schema.type(type->name);
    auto mismatch = [&]() {
      ctx_.report("Expected value of type \"" + type->to_string() + "\", found " + print_value(v) + ".", {v.loc});
    };
    if (named->kind == TypeKind::InputObject) {
      if (v.kind != K::Object) {
        mismatch();
        for (const auto& item : v.list) value(item, nullptr, false);
        return;
      }
      std::set<std::string_view> seen;
      for (const auto& f : v.fields) {
        if (!seen.insert(f.name).second) ctx_.report("There can be only one input field named \"" + f.name + "\".", {f.loc});
        const InputValue* def = named->input_field(f.name);
        if (!def) {
          ctx_.report("Field \"" + f.name + "\" is not defined by type \"" + named->name + "\".", {f.loc});
          value(f.value, nullptr, false);
          continue;
        }
        value(f.value, &def->type, def->default_value.has_value());
      }
      for (const auto& def : named->input_fields) {
        if (!def.type.is_non_null() || def.default_value || seen.count(def.name)) continue;
        ctx_.report("Field \"" + named->name + "." + def.name + "\" of required type \"" + def.type.to_string() +
                        "\" was not provided.",
                    {v.loc});
      }
      return;
    }
    if (named->kind == TypeKind::Enum) {
      if (v.kind != K::Enum) {
        mismatch();
      } else if (!named->enum_value(v.text)) {
        ctx_.report("Value \"" + v.text + "\" does not exist in \"" + named->name + "\" enum.", {v.loc});
      }
      return;
    }
    if (named->kind != TypeKind::Scalar) return;
    if (v.kind == K::List || v.kind == K::Object) {
      // Only custom scalars accept structured literals; their variables still count as used.
      const bool builtin = named->builtin;
      for (const auto& item : v.list) value(item, nullptr, false);
      for (const auto& f : v.fields) value(f.value, nullptr, false);
      if (builtin) {
        mismatch();
        return;
      }
      if (contains_variable(v)) return;
    }
    boost::json::value out;
    std::string why;
    if (coerce_literal(ctx_.schema, v, *type, nullptr, out, why) != Coerced::Ok) {
      if (why.rfind("Expected value", 0) == 0) mismatch();
      else ctx_.report(why, {v.loc});
    }
  }

 private:
  static bool contains_variable(const ValueNode& v) {
    if (v.kind == ValueNode::Kind::Variable) return true;
    for (const auto& item : v.list)
      if (contains_variable(item)) return true;
    for (const auto& f : v.fields)
      if (contains_variable(f.value)) return true;
    return false;
  }

  void arguments(const std::vector<Argument>& args, const std::vector<InputValue>* defs, const std::string& owner, Location at,
                 bool is_directive) {
    std::set<std::string_view> seen;
    for (const auto& a : args) {
      if (!seen.insert(a.name).second) ctx_.report("There can be only one argument named \"" + a.name + "\".", {a.loc});
      const InputValue* def = nullptr;
      if (defs)
        for (const auto& d : *defs)
          if (d.name == a.name) def = &d;
      if (defs && !def)
        ctx_.report("Unknown argument \"" + a.name + "\" on " + (is_directive ? "directive \"" : "field \"") + owner + "\".", {a.loc});
      value(a.value, def ? &def->type : nullptr, def && def->default_value.has_value());
    }
    if (!defs) return;
    for (const auto& d : *defs) {
      if (!d.type.is_non_null() || d.default_value || seen.count(d.name)) continue;
      if (is_directive)
        ctx_.report("Directive \"" + owner + "\" argument \"" + d.name + "\" of type \"" + d.type.to_string() +
                        "\" is required, but it was not provided.",
                    {at});
      else
        ctx_.report("Field \"" + owner.substr(owner.find('.') + 1) + "\" argument \"" + d.name + "\" of type \"" +
                        d.type.to_string() + "\" is required, but it was not provided.",
                    {at});
    }
  }

  void field(const Type* parent, const Selection& s) {
    directives(s.directives, "FIELD");
    const FieldDef* def = parent ? ctx_.schema.field(*parent, s.name) : nullptr;
    if (parent && !def) ctx_.report("Cannot query field \"" + s.name + "\" on type \"" + parent->name + "\".", {s.loc});
    if (!ctx_.options.introspection && (s.name == "__schema" || s.name == "__type") && def)
      ctx_.report("GraphQL introspection is not allowed, but the query contained __schema or __type.", {s.loc});
    arguments(s.arguments, def ? &def->args : nullptr, def ? parent->name + "." + s.name : "", s.loc, false);
    const Type* named = def ? ctx_.schema.type(def->type.name) : nullptr;
    if (named && named->is_leaf() && !s.selection_set.empty()) {
      ctx_.report("Field \"" + s.name + "\" must not have a selection since type \"" + def->type.to_string() +
                      "\" has no subfields.",
                  {s.loc});
      named = nullptr;
    } else if (named && !named->is_leaf() && s.selection_set.empty()) {
      ctx_.report("Field \"" + s.name + "\" of type \"" + def->type.to_string() +
                      "\" must have a selection of subfields. Did you mean \"" + s.name + " { ... }\"?",
                  {s.loc});
    }
    selection_set(named && named->is_composite() ? named : nullptr, s.selection_set);
  }

  void inline_fragment(const Type* parent, const Selection& s) {
    directives(s.directives, "INLINE_FRAGMENT");
    const Type* type = parent;
    if (!s.name.empty()) {
      type = ctx_.schema.type(s.name);
      if (!type) {
        ctx_.report("Unknown type \"" + s.name + "\".", {s.loc});
      } else if (!type->is_composite()) {
        ctx_.report("Fragment cannot condition on non composite type \"" + s.name + "\".", {s.loc});
        type = nullptr;
      } else if (parent && !ctx_.schema.types_overlap(*parent, *type)) {
        ctx_.report("Fragment cannot be spread here as objects of type \"" + parent->name + "\" can never be of type \"" +
                        type->name + "\".",
                    {s.loc});
      }
    }
    selection_set(type, s.selection_set);
  }

  void spread(const Type* parent, const Selection& s) {
    directives(s.directives, "FRAGMENT_SPREAD");
    uses_.spreads.push_back(s.name);
    auto it = ctx_.fragments.find(s.name);
    if (it == ctx_.fragments.end()) {
      ctx_.report("Unknown fragment \"" + s.name + "\".", {s.loc});
      return;
    }
    const Type* type = ctx_.schema.type(it->second->type_condition);
    if (parent && type && type->is_composite() && !ctx_.schema.types_overlap(*parent, *type))
      ctx_.report("Fragment \"" + s.name + "\" cannot be spread here as objects of type \"" + parent->name +
                      "\" can never be of type \"" + type->name + "\".",
                  {s.loc});
  }

  Context& ctx_;
  DefinitionUses& uses_;
};

}  // namespace

void check_selections(Context& ctx) {
  for (const auto& op : ctx.document.operations) {
    Walker w(ctx, ctx.uses[&op]);
    const char* location = op.operation == OperationType::Query       ? "QUERY"
                           : op.operation == OperationType::Mutation ? "MUTATION"
                                                                      : "SUBSCRIPTION";
    w.directives(op.directives, location);
    for (const auto& v : op.variables) {
      w.directives(v.directives, "VARIABLE_DEFINITION");
      const Type* t = ctx.schema.type(v.type.name);
      if (v.default_value && t && t->is_input()) w.value(*v.default_value, &v.type, false);
    }
    const Type* root = ctx.schema.root_type(op.operation);
    if (!root) {
      ctx.report("Schema is not configured to execute " + std::string(to_string(op.operation)) + " operation.", {op.loc});
      continue;
    }
    w.selection_set(root, op.selection_set);
  }
  for (const auto& f : ctx.document.fragments) {
    Walker w(ctx, ctx.uses[&f]);
    w.directives(f.directives, "FRAGMENT_DEFINITION");
    const Type* type = ctx.schema.type(f.type_condition);
    if (!type) {
      ctx.report("Unknown type \"" + f.type_condition + "\".", {f.type_condition_loc});
    } else if (!type->is_composite()) {
      ctx.report("Fragment \"" + f.name + "\" cannot condition on non composite type \"" + f.type_condition + "\".",
                 {f.type_condition_loc});
      type = nullptr;
    }
    w.selection_set(type, f.selection_set);
  }
}

}  // namespace parley::graphql::validation
