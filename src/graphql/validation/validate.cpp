#include "graphql/validation/validate.hpp"

#include "graphql/validation/context.hpp"

#include <set>

namespace parley::graphql {
namespace validation {

std::vector<const FragmentDefinition*> Context::reachable_fragments(const void* definition) const {
  std::vector<const FragmentDefinition*> out;
  std::set<std::string_view> seen;
  std::vector<const void*> stack{definition};
  while (!stack.empty()) {
    const void* d = stack.back();
    stack.pop_back();
    auto it = uses.find(d);
    if (it == uses.end()) continue;
    for (const auto& name : it->second.spreads) {
      auto f = fragments.find(name);
      if (f == fragments.end() || !seen.insert(f->first).second) continue;
      out.push_back(f->second);
      stack.push_back(f->second);
    }
  }
  return out;
}

}  // namespace validation

std::vector<Error> validate(const Schema& schema, const Document& document, const ValidationOptions& options) {
  validation::Context ctx{schema, document, options, {}, {}, {}};
  for (const auto& f : document.fragments) ctx.fragments.emplace(f.name, &f);
  validation::check_documents(ctx);
  validation::check_selections(ctx);
  validation::check_variables(ctx);
  // Field merging compares selections the other rules have checked; on an invalid document
  // its messages would only repeat theirs.
  if (ctx.errors.empty()) validation::check_overlap(ctx);
  return std::move(ctx.errors);
}

}  // namespace parley::graphql
