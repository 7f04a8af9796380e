#pragma once
// Shared state of one validation run; each rule family (documents, selections, variables,
// overlap) lives in its own file and reports through Context::report. Internal header.
#include "graphql/validation/validate.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace parley::graphql::validation {

// A use of a variable, recorded by the selection walk for the variable rules (5.8.3-5.8.5).
struct VariableUsage {
  std::string name;
  Location loc;
  TypeRef expected;        // the location's type; name empty when unknown
  bool location_default;   // the argument / input field has a default value
};

// What one operation or fragment definition uses directly.
struct DefinitionUses {
  std::vector<VariableUsage> variables;
  std::vector<std::string> spreads;
};

struct Context {
  const Schema& schema;
  const Document& document;
  const ValidationOptions& options;
  std::vector<Error> errors;
  std::map<std::string_view, const FragmentDefinition*> fragments;  // first definition of each name
  std::map<const void*, DefinitionUses> uses;                        // by OperationDefinition / FragmentDefinition

  void report(std::string message, std::vector<Location> locations) {
    if (errors.size() >= options.max_errors) return;
    errors.push_back({std::move(message), std::move(locations), {}, codes::kValidationFailed, {}});
  }
  bool full() const { return errors.size() >= options.max_errors; }

  // Names of every fragment reachable from `definition` (transitively, each once).
  std::vector<const FragmentDefinition*> reachable_fragments(const void* definition) const;
};

// Rule families, run in this order by validate().
void check_documents(Context& ctx);   // 5.1.1, 5.2.x, 5.5.1.1, 5.5.1.4, 5.5.2.2
void check_selections(Context& ctx);  // 5.3.1, 5.3.3, 5.4.x, 5.5.1.2-3, 5.5.2.1, 5.5.2.3, 5.6.x, 5.7.x; records uses
void check_variables(Context& ctx);   // 5.8.x (needs the uses)
void check_overlap(Context& ctx);     // 5.3.2

}  // namespace parley::graphql::validation
