#include "graphql/complexity.hpp"

#include <limits>
#include <map>
#include <set>
#include <string_view>

namespace parley::graphql {
namespace {

constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();

std::size_t add(std::size_t a, std::size_t b) { return a > kMax - b ? kMax : a + b; }
std::size_t mul(std::size_t a, std::size_t b) { return (a != 0 && b > kMax / a) ? kMax : a * b; }

class Measure {
 public:
  Measure(const Schema& schema, const Document& doc, const boost::json::object& variables, const ComplexityOptions& options)
      : schema_(schema), variables_(variables), options_(options) {
    for (const auto& f : doc.fragments) fragments_.emplace(f.name, &f);
  }

  Complexity selection_set(const Type* parent, const SelectionSet& set) {
    std::set<std::string_view> visited;
    return selection_set(parent, set, visited);
  }

 private:
  // Like CollectFields, a fragment spread counts once per selection set (`visited`), so repeated
  // spreads of one fragment cost nothing extra, as in execution.
  Complexity selection_set(const Type* parent, const SelectionSet& set, std::set<std::string_view>& visited) {
    Complexity total;
    for (const auto& s : set) {
      Complexity c;
      switch (s.kind) {
        case Selection::Kind::Field: c = field(parent, s); break;
        case Selection::Kind::InlineFragment:
          c = selection_set(s.name.empty() ? parent : schema_.type(s.name), s.selection_set, visited);
          break;
        case Selection::Kind::FragmentSpread:
          if (visited.insert(s.name).second) c = fragment(s.name);
          break;
      }
      total.depth = std::max(total.depth, c.depth);
      total.cost = add(total.cost, c.cost);
      total.aliases = add(total.aliases, c.aliases);
    }
    return total;
  }

  Complexity fragment(const std::string& name) {
    if (auto it = memo_.find(name); it != memo_.end()) return it->second;
    auto def = fragments_.find(name);
    if (def == fragments_.end()) return {};
    memo_[name] = {};  // a cycle (impossible after validation) measures as empty
    Complexity c = selection_set(schema_.type(def->second->type_condition), def->second->selection_set);
    memo_[name] = c;
    return c;
  }

  std::size_t list_size(const Selection& s) const {
    for (const auto& a : s.arguments) {
      if (a.name != "first" && a.name != "last" && a.name != "limit") continue;
      const ValueNode& v = a.value;
      if (v.kind == ValueNode::Kind::Int) {
        long long n = std::atoll(v.text.c_str());
        return n < 0 ? 0 : static_cast<std::size_t>(n);
      }
      if (v.kind == ValueNode::Kind::Variable) {
        auto it = variables_.find(v.text);
        if (it != variables_.end() && it->value().is_int64()) {
          auto n = it->value().as_int64();
          return n < 0 ? 0 : static_cast<std::size_t>(n);
        }
      }
    }
    return options_.default_list_size;
  }

  Complexity field(const Type* parent, const Selection& s) {
    if (s.name == "__schema" || s.name == "__type") return {};
    Complexity c;
    c.aliases = s.alias.empty() ? 0 : 1;
    const FieldDef* def = parent ? schema_.field(*parent, s.name) : nullptr;
    const Type* named = def ? schema_.type(def->type.name) : nullptr;
    Complexity inner;
    if (!s.selection_set.empty()) inner = selection_set(named && named->is_composite() ? named : nullptr, s.selection_set);
    const bool list = def && def->type.mods.find('[') != std::string::npos;
    c.depth = add(inner.depth, 1);
    c.cost = add(1, mul(list && !s.selection_set.empty() ? list_size(s) : 1, inner.cost));
    c.aliases = add(c.aliases, inner.aliases);
    return c;
  }

  const Schema& schema_;
  const boost::json::object& variables_;
  const ComplexityOptions& options_;
  std::map<std::string_view, const FragmentDefinition*> fragments_;
  std::map<std::string, Complexity, std::less<>> memo_;
};

}  // namespace

Complexity measure(const Schema& schema, const Document& document, const OperationDefinition& operation,
                   const boost::json::object& variables, const ComplexityOptions& options) {
  Measure m(schema, document, variables, options);
  return m.selection_set(schema.root_type(operation.operation), operation.selection_set);
}

}  // namespace parley::graphql
