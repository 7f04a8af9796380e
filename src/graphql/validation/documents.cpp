// Document-level rules: executable definitions (5.1.1), operation name uniqueness (5.2.1.1), lone
// anonymous operation (5.2.2.1), subscription single root field (5.2.3.1), fragment name
// uniqueness (5.5.1.1), fragments must be used (5.5.1.4), no fragment cycles (5.5.2.2).
#include "graphql/validation/context.hpp"

#include <functional>
#include <set>

namespace parley::graphql::validation {
namespace {

// Response names of the subscription's root selection, through fragments (each visited once).
void collect_root_names(const Context& ctx, const SelectionSet& set, std::vector<const Selection*>& out,
                        std::set<std::string_view>& visited, std::size_t depth = 0) {
  if (depth > ctx.options.max_fragment_depth) return;  // reported by the cycle check below
  for (const auto& s : set) {
    if (s.kind == Selection::Kind::Field) {
      bool known = false;
      for (const auto* o : out) known |= o->response_name() == s.response_name();
      if (!known) out.push_back(&s);
    } else if (s.kind == Selection::Kind::InlineFragment) {
      collect_root_names(ctx, s.selection_set, out, visited, depth + 1);
    } else if (visited.insert(s.name).second) {
      auto it = ctx.fragments.find(s.name);
      if (it != ctx.fragments.end()) collect_root_names(ctx, it->second->selection_set, out, visited, depth + 1);
    }
  }
}

void spreads_of(const SelectionSet& set, std::vector<const Selection*>& out) {
  for (const auto& s : set) {
    if (s.kind == Selection::Kind::FragmentSpread) out.push_back(&s);
    else spreads_of(s.selection_set, out);
  }
}

}  // namespace

void check_documents(Context& ctx) {
  const Document& doc = ctx.document;
  for (const auto& loc : doc.type_system_locations) ctx.report("Type system definitions are not executable.", {loc});

  std::map<std::string_view, Location> names;
  for (const auto& op : doc.operations) {
    if (op.name.empty()) {
      if (doc.operations.size() > 1) ctx.report("This anonymous operation must be the only defined operation.", {op.loc});
      continue;
    }
    auto [it, fresh] = names.emplace(op.name, op.loc);
    if (!fresh) ctx.report("There can be only one operation named \"" + op.name + "\".", {it->second, op.loc});
  }

  for (const auto& op : doc.operations) {
    if (op.operation != OperationType::Subscription) continue;
    std::vector<const Selection*> roots;
    std::set<std::string_view> visited;
    collect_root_names(ctx, op.selection_set, roots, visited);
    const std::string who = op.name.empty() ? "Anonymous Subscription" : "Subscription \"" + op.name + "\"";
    if (roots.size() > 1) {
      std::vector<Location> locs;
      for (std::size_t i = 1; i < roots.size(); ++i) locs.push_back(roots[i]->loc);
      ctx.report(who + " must select only one top level field.", locs);
    }
    for (const auto* r : roots)
      if (r->name.rfind("__", 0) == 0) ctx.report(who + " must not select an introspection top level field.", {r->loc});
  }

  std::map<std::string_view, Location> fragment_names;
  for (const auto& f : doc.fragments) {
    auto [it, fresh] = fragment_names.emplace(f.name, f.loc);
    if (!fresh) ctx.report("There can be only one fragment named \"" + f.name + "\".", {it->second, f.loc});
  }

  // Used fragments: reachable from some operation.
  std::set<std::string_view> used;
  std::vector<const SelectionSet*> work;
  for (const auto& op : doc.operations) work.push_back(&op.selection_set);
  while (!work.empty()) {
    std::vector<const Selection*> spreads;
    spreads_of(*work.back(), spreads);
    work.pop_back();
    for (const auto* s : spreads) {
      auto it = ctx.fragments.find(s->name);
      if (it != ctx.fragments.end() && used.insert(it->first).second) work.push_back(&it->second->selection_set);
    }
  }
  for (const auto& f : doc.fragments)
    if (!used.count(f.name)) ctx.report("Fragment \"" + f.name + "\" is never used.", {f.loc});

  // Cycles: depth-first over spreads, each fragment finished once (graphql-js's NoFragmentCycles).
  std::set<std::string_view> done;
  std::vector<const Selection*> path;
  std::map<std::string_view, std::size_t> on_path;
  bool too_deep = false;
  std::function<void(const FragmentDefinition&)> visit = [&](const FragmentDefinition& f) {
    if (done.count(f.name) || too_deep) return;
    if (path.size() >= ctx.options.max_fragment_depth) {
      too_deep = true;
      ctx.report("Fragments spread fragments more than " + std::to_string(ctx.options.max_fragment_depth) + " levels deep.",
                 {path.back()->loc});
      return;
    }
    on_path[f.name] = path.size();
    std::vector<const Selection*> spreads;
    spreads_of(f.selection_set, spreads);
    for (const auto* s : spreads) {
      auto it = ctx.fragments.find(s->name);
      if (it == ctx.fragments.end()) continue;
      auto cycle = on_path.find(s->name);
      if (cycle == on_path.end()) {
        path.push_back(s);
        visit(*it->second);
        path.pop_back();
      } else {
        std::vector<const Selection*> cycle_path(path.begin() + static_cast<std::ptrdiff_t>(cycle->second), path.end());
        cycle_path.push_back(s);
        std::string via;
        std::vector<Location> locs;
        for (std::size_t i = 0; i < cycle_path.size(); ++i) {
          locs.push_back(cycle_path[i]->loc);
          if (i + 1 < cycle_path.size()) via += (via.empty() ? "" : ", ") + ("\"" + cycle_path[i]->name + "\"");
        }
        ctx.report("Cannot spread fragment \"" + s->name + "\" within itself" + (via.empty() ? "" : " via " + via) + ".", locs);
      }
    }
    on_path.erase(f.name);
    done.insert(f.name);
  };
  for (const auto& f : doc.fragments) {
    if (ctx.fragments[f.name] == &f) visit(f);
  }
}

}  // namespace parley::graphql::validation
