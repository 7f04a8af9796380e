// Overlapping fields can be merged (spec 5.3.2, FieldsInSetCanMerge / SameResponseShape).
//
// For every selection set, fields are collected through inline and named fragments (a fragment
// once per collection) and grouped by response name; only fields sharing a response name are
// compared, so many distinct aliases cost linear time. Textually identical fields under the same
// parent type always merge and are compared once; pair results are memoised; and a global budget
// of comparisons (ValidationOptions::max_overlap_comparisons) turns pathological documents into a
// validation error instead of quadratic or exponential work.
#include "graphql/validation/context.hpp"

#include "graphql/parser.hpp"

#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace parley::graphql::validation {
namespace {

struct FieldInfo {
  const Type* parent;
  const Selection* node;
  const FieldDef* def;
};

struct FieldMap {
  std::vector<std::string_view> order;
  std::map<std::string_view, std::vector<FieldInfo>> groups;
};

struct Conflict {
  std::string reason;
  std::vector<Location> locations;
};

bool is_leaf(const Schema& schema, const TypeRef& t) {
  const Type* named = schema.type(t.name);
  return named && named->is_leaf();
}

bool types_conflict(const Schema& schema, const TypeRef& a, const TypeRef& b) {
  if (a.is_list()) return b.is_list() ? types_conflict(schema, a.of_type(), b.of_type()) : true;
  if (b.is_list()) return true;
  if (a.is_non_null()) return b.is_non_null() ? types_conflict(schema, a.of_type(), b.of_type()) : true;
  if (b.is_non_null()) return true;
  if (is_leaf(schema, a) || is_leaf(schema, b)) return a.name != b.name;
  return false;
}

bool same_arguments(const Selection& a, const Selection& b) {
  if (a.arguments.size() != b.arguments.size()) return false;
  for (const auto& x : a.arguments) {
    const Argument* match = nullptr;
    for (const auto& y : b.arguments)
      if (y.name == x.name) match = &y;
    if (!match || print_value(x.value) != print_value(match->value)) return false;
  }
  return true;
}

class Overlap {
 public:
  explicit Overlap(Context& ctx) : ctx_(ctx), budget_(ctx.options.max_overlap_comparisons) {}

  void run() {
    for (const auto& op : ctx_.document.operations) visit(ctx_.schema.root_type(op.operation), op.selection_set);
    for (const auto& f : ctx_.document.fragments) {
      const Type* t = ctx_.schema.type(f.type_condition);
      visit(t && t->is_composite() ? t : nullptr, f.selection_set);
    }
  }

 private:
  std::string_view text(const Selection& s) const {
    const std::string& src = ctx_.document.source;
    if (s.end <= s.begin || s.end > src.size()) return {};
    return std::string_view(src).substr(s.begin, s.end - s.begin);
  }

  const Type* composite(const FieldDef* def) const {
    if (!def) return nullptr;
    const Type* t = ctx_.schema.type(def->type.name);
    return t && t->is_composite() ? t : nullptr;
  }

  void collect(const Type* parent, const SelectionSet& set, FieldMap& out, std::set<std::string_view>& visited) const {
    for (const auto& s : set) {
      switch (s.kind) {
        case Selection::Kind::Field: {
          auto [it, fresh] = out.groups.try_emplace(s.response_name());
          if (fresh) out.order.push_back(it->first);
          const FieldDef* def = parent ? ctx_.schema.field(*parent, s.name) : nullptr;
          // Identical text under the same parent merges trivially: keep one representative.
          bool duplicate = false;
          for (const auto& f : it->second)
            if (f.parent == parent && text(*f.node) == text(s) && !text(s).empty()) duplicate = true;
          if (!duplicate) it->second.push_back({parent, &s, def});
          break;
        }
        case Selection::Kind::InlineFragment: {
          const Type* t = s.name.empty() ? parent : ctx_.schema.type(s.name);
          collect(t, s.selection_set, out, visited);
          break;
        }
        case Selection::Kind::FragmentSpread: {
          if (!visited.insert(s.name).second) break;
          auto it = ctx_.fragments.find(s.name);
          if (it == ctx_.fragments.end()) break;
          collect(ctx_.schema.type(it->second->type_condition), it->second->selection_set, out, visited);
          break;
        }
      }
    }
  }

  // Walks the document to reach every field's selection set.
  void visit(const Type* parent, const SelectionSet& set) {
    if (exhausted_ || ctx_.full()) return;
    FieldMap map;
    std::set<std::string_view> visited;
    collect(parent, set, map, visited);
    for (const auto& name : map.order) {
      const auto& group = map.groups[name];
      bool reported = false;
      for (std::size_t i = 0; i < group.size() && !reported && !exhausted_; ++i)
        for (std::size_t j = i + 1; j < group.size() && !reported && !exhausted_; ++j)
          if (auto c = find_conflict(false, name, group[i], group[j])) {
            report(name, *c);
            reported = true;
          }
    }
    descend(parent, set);
  }

  void descend(const Type* parent, const SelectionSet& set) {
    for (const auto& s : set) {
      if (s.kind == Selection::Kind::Field && !s.selection_set.empty()) {
        visit(composite(parent ? ctx_.schema.field(*parent, s.name) : nullptr), s.selection_set);
      } else if (s.kind == Selection::Kind::InlineFragment) {
        descend(s.name.empty() ? parent : ctx_.schema.type(s.name), s.selection_set);
      }
    }
  }

  void report(std::string_view name, const Conflict& c) {
    ctx_.report("Fields \"" + std::string(name) + "\" conflict because " + c.reason +
                    ". Use different aliases on the fields to fetch both if this was intentional.",
                c.locations);
  }

  std::optional<Conflict> find_conflict(bool parents_exclusive, std::string_view name, const FieldInfo& a, const FieldInfo& b) {
    auto key = std::make_tuple(a.node, b.node, parents_exclusive);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    if (budget_ == 0) {
      if (!exhausted_) {
        exhausted_ = true;
        ctx_.report("The query is too complex to check that its fields can be merged.", {a.node->loc});
      }
      return std::nullopt;
    }
    --budget_;
    auto result = compare(parents_exclusive, a, b);
    memo_.emplace(key, result);
    (void)name;
    return result;
  }

  std::optional<Conflict> compare(bool parents_exclusive, const FieldInfo& a, const FieldInfo& b) {
    const bool exclusive = parents_exclusive || (a.parent != b.parent && a.parent && b.parent &&
                                                 a.parent->kind == TypeKind::Object && b.parent->kind == TypeKind::Object);
    const std::vector<Location> locs{a.node->loc, b.node->loc};
    if (!exclusive) {
      if (a.node->name != b.node->name)
        return Conflict{"\"" + a.node->name + "\" and \"" + b.node->name + "\" are different fields", locs};
      if (!same_arguments(*a.node, *b.node)) return Conflict{"they have differing arguments", locs};
    }
    if (a.def && b.def && types_conflict(ctx_.schema, a.def->type, b.def->type))
      return Conflict{"they return conflicting types \"" + a.def->type.to_string() + "\" and \"" + b.def->type.to_string() + "\"",
                      locs};
    if (a.node->selection_set.empty() || b.node->selection_set.empty()) return std::nullopt;
    FieldMap ma, mb;
    std::set<std::string_view> va, vb;
    collect(composite(a.def), a.node->selection_set, ma, va);
    collect(composite(b.def), b.node->selection_set, mb, vb);
    std::string reasons;
    std::vector<Location> all = locs;
    for (const auto& name : ma.order) {
      auto other = mb.groups.find(name);
      if (other == mb.groups.end()) continue;
      std::optional<Conflict> found;
      for (const auto& fa : ma.groups[name]) {
        for (const auto& fb : other->second) {
          if (fa.parent == fb.parent && text(*fa.node) == text(*fb.node) && !text(*fa.node).empty()) continue;
          found = find_conflict(exclusive, name, fa, fb);
          if (found || exhausted_) break;
        }
        if (found || exhausted_) break;
      }
      if (exhausted_) return std::nullopt;
      if (found) {
        reasons += (reasons.empty() ? "" : " and ") + ("subfields \"" + std::string(name) + "\" conflict because " + found->reason);
        all.insert(all.end(), found->locations.begin() + 2, found->locations.end());
        all.push_back(found->locations[0]);
        all.push_back(found->locations[1]);
      }
    }
    if (reasons.empty()) return std::nullopt;
    return Conflict{reasons, all};
  }

  Context& ctx_;
  std::size_t budget_;
  bool exhausted_ = false;
  std::map<std::tuple<const Selection*, const Selection*, bool>, std::optional<Conflict>> memo_;
};

}  // namespace

void check_overlap(Context& ctx) {
  Overlap overlap(ctx);
  overlap.run();
}

}  // namespace parley::graphql::validation
