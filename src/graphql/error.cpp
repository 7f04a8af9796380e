#include "graphql/error.hpp"

namespace parley::graphql {

boost::json::object Error::to_json() const {
  boost::json::object out;
  out["message"] = message;
  if (!locations.empty()) {
    boost::json::array locs;
    for (const auto& loc : locations) locs.push_back(boost::json::object{{"line", loc.line}, {"column", loc.column}});
    out["locations"] = std::move(locs);
  }
  if (!path.empty()) out["path"] = path;
  if (!code.empty() || !extensions.empty()) {
    boost::json::object ext = extensions;
    if (!code.empty()) ext["code"] = code;
    out["extensions"] = std::move(ext);
  }
  return out;
}

boost::json::array errors_to_json(const std::vector<Error>& errors) {
  boost::json::array out;
  out.reserve(errors.size());
  for (const auto& e : errors) out.push_back(e.to_json());
  return out;
}

boost::json::object error_response(const std::vector<Error>& errors) {
  boost::json::object out;
  out["errors"] = errors_to_json(errors);
  return out;
}

std::string TypeRef::to_string() const {
  std::string out;
  for (char m : mods)
    if (m == '[') out += '[';
  out += name;
  for (auto it = mods.rbegin(); it != mods.rend(); ++it) out += (*it == '[') ? "]" : "!";
  return out;
}

const char* to_string(OperationType type) {
  switch (type) {
    case OperationType::Query: return "query";
    case OperationType::Mutation: return "mutation";
    case OperationType::Subscription: return "subscription";
  }
  return "query";
}

const char* to_string(TypeKind kind) {
  switch (kind) {
    case TypeKind::Scalar: return "SCALAR";
    case TypeKind::Object: return "OBJECT";
    case TypeKind::Interface: return "INTERFACE";
    case TypeKind::Union: return "UNION";
    case TypeKind::Enum: return "ENUM";
    case TypeKind::InputObject: return "INPUT_OBJECT";
    case TypeKind::List: return "LIST";
    case TypeKind::NonNull: return "NON_NULL";
  }
  return "SCALAR";
}

}  // namespace parley::graphql
