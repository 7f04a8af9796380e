// GraphQL requests, persisted queries and the engine the transports share (see service.hpp).
#include "api/graphql/service.hpp"

#include "auth/tokens.hpp"

namespace parley::api::graphql {

namespace json = boost::json;
namespace gql = parley::graphql;

namespace {

constexpr std::size_t kMaxPersistedQueryBytes = 100 * 1024;

// A member that must be a string, or absent/null.
std::variant<std::optional<std::string>, RequestError> optional_string(const json::object& body,
                                                                        std::string_view name) {
  const auto* value = body.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return RequestError{"\"" + std::string(name) + "\" must be a string."};
  return std::optional<std::string>(std::string(value->as_string()));
}

// A member that must be an object, or absent/null.
std::variant<json::object, RequestError> optional_object(const json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  if (value == nullptr || value->is_null()) return json::object();
  if (!value->is_object()) return RequestError{"\"" + std::string(name) + "\" must be an object."};
  return value->as_object();
}

// GET's JSON-valued parameters (variables, extensions).
std::variant<json::object, RequestError> object_parameter(const std::optional<std::string>& text,
                                                          std::string_view name) {
  if (!text || text->empty()) return json::object();
  boost::system::error_code ec;
  auto value = json::parse(*text, ec);
  if (ec) return RequestError{"\"" + std::string(name) + "\" is not valid JSON."};
  if (value.is_null()) return json::object();
  if (!value.is_object()) return RequestError{"\"" + std::string(name) + "\" must be a JSON object."};
  return std::move(value.as_object());
}

}  // namespace

std::variant<Operation, RequestError> read_operation(const json::value& body) {
  if (!body.is_object()) return RequestError{"The request body must be a JSON object with a \"query\"."};
  const auto& object = body.as_object();
  Operation operation;
  auto query = optional_string(object, "query");
  if (auto* error = std::get_if<RequestError>(&query)) return *error;
  operation.query = std::move(std::get<0>(query));
  auto name = optional_string(object, "operationName");
  if (auto* error = std::get_if<RequestError>(&name)) return *error;
  operation.operation_name = std::get<0>(name).value_or("");
  auto variables = optional_object(object, "variables");
  if (auto* error = std::get_if<RequestError>(&variables)) return *error;
  operation.variables = std::move(std::get<0>(variables));
  auto extensions = optional_object(object, "extensions");
  if (auto* error = std::get_if<RequestError>(&extensions)) return *error;
  operation.extensions = std::move(std::get<0>(extensions));
  return operation;
}

std::variant<Operation, RequestError> read_operation(std::optional<std::string> query,
                                                     std::optional<std::string> operation_name,
                                                     std::optional<std::string> variables,
                                                     std::optional<std::string> extensions) {
  Operation operation;
  operation.query = std::move(query);
  operation.operation_name = std::move(operation_name).value_or("");
  auto vars = object_parameter(variables, "variables");
  if (auto* error = std::get_if<RequestError>(&vars)) return *error;
  operation.variables = std::move(std::get<0>(vars));
  auto ext = object_parameter(extensions, "extensions");
  if (auto* error = std::get_if<RequestError>(&ext)) return *error;
  operation.extensions = std::move(std::get<0>(ext));
  return operation;
}

json::object error_response(std::string message, std::string_view code) {
  return json::object{{"errors", json::array{json::object{{"message", std::move(message)},
                                                           {"extensions", json::object{{"code", code}}}}}}};
}

Service::Service(std::shared_ptr<const gql::Schema> schema, ServiceOptions options)
    : options_(std::move(options)), engine_(std::move(schema), options_.engine) {}

std::variant<std::string, Service::Refusal> Service::query_text(const Operation& operation) {
  std::optional<std::string> hash;
  if (const auto* persisted = operation.extensions.if_contains("persistedQuery")) {
    const auto* object = persisted->if_object();
    const auto* version = object != nullptr ? object->if_contains("version") : nullptr;
    const auto* sha = object != nullptr ? object->if_contains("sha256Hash") : nullptr;
    if (version == nullptr || !version->is_number() || version->to_number<double>() != 1) {
      return Refusal{error_response("Unsupported persisted query version: use 1.", "PERSISTED_QUERY_NOT_SUPPORTED")};
    }
    if (sha == nullptr || !sha->is_string() || sha->as_string().size() != 64) {
      return Refusal{error_response("\"sha256Hash\" must be 64 hexadecimal digits.", "BAD_REQUEST"), true};
    }
    hash = std::string(sha->as_string());
    for (auto& c : *hash) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (operation.query) {
    if (hash) {
      // auth::token_hash is the lower-case hex SHA-256 of its argument.
      if (auth::token_hash(*operation.query) != *hash) {
        return Refusal{error_response("The query's SHA-256 hash is not the one given.", "PERSISTED_QUERY_HASH_MISMATCH")};
      }
      remember(*hash, *operation.query);
    }
    return *operation.query;
  }
  if (!hash) return Refusal{error_response("The request has no \"query\".", "BAD_REQUEST"), true};
  std::lock_guard lock(mutex_);
  auto it = persisted_.find(*hash);
  if (it == persisted_.end()) return Refusal{error_response("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")};
  return *it->second;
}

void Service::remember(const std::string& hash, const std::string& query) {
  if (options_.persisted_queries == 0 || query.size() > kMaxPersistedQueryBytes) return;
  // Only documents that parse and validate are kept: a hash cannot pin an error.
  if (!engine_.prepare(query).errors.empty()) return;
  auto text = std::make_shared<const std::string>(query);
  std::lock_guard lock(mutex_);
  if (!persisted_.emplace(hash, std::move(text)).second) return;
  persisted_order_.push_back(hash);
  while (persisted_order_.size() > options_.persisted_queries) {
    persisted_.erase(persisted_order_.front());
    persisted_order_.pop_front();
  }
}

const gql::OperationDefinition* Service::select(const gql::Document& document, std::string_view name) {
  if (name.empty()) return document.operations.size() == 1 ? &document.operations.front() : nullptr;
  for (const auto& operation : document.operations) {
    if (operation.name == name) return &operation;
  }
  return nullptr;
}

}  // namespace parley::api::graphql
