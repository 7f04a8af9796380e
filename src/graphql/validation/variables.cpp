// Variable rules: uniqueness (5.8.1), input types (5.8.2), all uses defined (5.8.3), all
// variables used (5.8.4), and uses in allowed positions (5.8.5), over each operation and the
// fragments it reaches.
#include "graphql/validation/context.hpp"

#include <set>

namespace parley::graphql::validation {
namespace {

// AreTypesCompatible for input positions (spec 5.8.5).
bool compatible(const TypeRef& variable, const TypeRef& location) {
  if (location.is_non_null()) return variable.is_non_null() && compatible(variable.of_type(), location.of_type());
  if (variable.is_non_null()) return compatible(variable.of_type(), location);
  if (location.is_list()) return variable.is_list() && compatible(variable.of_type(), location.of_type());
  if (variable.is_list()) return false;
  return variable.name == location.name;
}

}  // namespace

void check_variables(Context& ctx) {
  for (const auto& op : ctx.document.operations) {
    std::map<std::string_view, const VariableDefinition*> defined;
    for (const auto& v : op.variables) {
      if (!defined.emplace(v.name, &v).second) ctx.report("There can be only one variable named \"$" + v.name + "\".", {v.loc});
      const Type* t = ctx.schema.type(v.type.name);
      if (!t) ctx.report("Unknown type \"" + v.type.name + "\".", {v.type_loc});
      else if (!t->is_input())
        ctx.report("Variable \"$" + v.name + "\" cannot be non-input type \"" + v.type.to_string() + "\".", {v.type_loc});
    }

    std::vector<const VariableUsage*> usages;
    for (const auto& u : ctx.uses[&op].variables) usages.push_back(&u);
    for (const auto* f : ctx.reachable_fragments(&op))
      for (const auto& u : ctx.uses[f].variables) usages.push_back(&u);

    std::set<std::string_view> used;
    std::set<std::pair<std::string_view, std::pair<std::uint32_t, std::uint32_t>>> reported;
    for (const auto* u : usages) {
      used.insert(u->name);
      auto it = defined.find(u->name);
      if (it == defined.end()) {
        if (!reported.insert({u->name, {u->loc.line, u->loc.column}}).second) continue;
        ctx.report(op.name.empty() ? "Variable \"$" + u->name + "\" is not defined."
                                   : "Variable \"$" + u->name + "\" is not defined by operation \"" + op.name + "\".",
                   {u->loc, op.loc});
        continue;
      }
      if (u->expected.name.empty()) continue;
      const VariableDefinition& def = *it->second;
      const Type* vt = ctx.schema.type(def.type.name);
      if (!vt || !vt->is_input()) continue;
      TypeRef variable_type = def.type;
      TypeRef location_type = u->expected;
      if (location_type.is_non_null() && !variable_type.is_non_null()) {
        const bool non_null_default = def.default_value && def.default_value->kind != ValueNode::Kind::Null;
        if (non_null_default || u->location_default) location_type = location_type.of_type();
      }
      if (!compatible(variable_type, location_type))
        ctx.report("Variable \"$" + u->name + "\" of type \"" + def.type.to_string() + "\" used in position expecting type \"" +
                       u->expected.to_string() + "\".",
                   {def.loc, u->loc});
    }
    for (const auto& v : op.variables)
      if (!used.count(v.name))
        ctx.report(op.name.empty() ? "Variable \"$" + v.name + "\" is never used."
                                   : "Variable \"$" + v.name + "\" is never used in operation \"" + op.name + "\".",
                   {v.loc});
  }
}

}  // namespace parley::graphql::validation
