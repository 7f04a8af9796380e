#pragma once
// What Parley's GraphQL transports share (docs/graphql.md "Transports"): the engine with its limits,
// the reading of a GraphQL request ({query, operationName, variables, extensions}) from a POST
// body, a GET query string or a graphql-transport-ws `subscribe` payload, and automatic persisted
// queries (Apollo's APQ: extensions.persistedQuery {version: 1, sha256Hash}).
//
// Persisted queries are kept per process (at most `persisted_queries`, the oldest dropped first):
// a client whose hash is unknown to the replica it reached gets PERSISTED_QUERY_NOT_FOUND and
// sends the query once more with its hash, as the APQ protocol does after a restart; nothing is
// shared between replicas, so nothing can be poisoned across them either (the hash is checked).
//
// Thread-safety: every member is thread-safe.
#include "graphql/engine.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace parley::api::graphql {

struct ServiceOptions {
  parley::graphql::EngineOptions engine;
  std::chrono::milliseconds timeout{10000};  // per operation (Request::deadline)
  std::size_t persisted_queries = 10000;      // APQ entries kept
};

// One GraphQL request as a transport received it, before the query text is resolved.
struct Operation {
  std::optional<std::string> query;  // absent: a persisted query's hash must name it
  std::string operation_name;
  boost::json::object variables;
  boost::json::object extensions;
};

// A request that is not a GraphQL request at all (400): its message.
struct RequestError {
  std::string message;
};

// {query, operationName, variables, extensions} from a JSON object (POST body, subscribe payload).
std::variant<Operation, RequestError> read_operation(const boost::json::value& body);
// The same from GET's query string parameters (variables and extensions as JSON text).
std::variant<Operation, RequestError> read_operation(std::optional<std::string> query,
                                                     std::optional<std::string> operation_name,
                                                     std::optional<std::string> variables,
                                                     std::optional<std::string> extensions);

// {"errors": [{"message": ..., "extensions": {"code": ...}}]}
boost::json::object error_response(std::string message, std::string_view code);

class Service {
 public:
  Service(std::shared_ptr<const parley::graphql::Schema> schema, ServiceOptions options);

  const parley::graphql::Engine& engine() const noexcept { return engine_; }
  const ServiceOptions& options() const noexcept { return options_; }

  // Why there is no query text to run: the response to send, and whether the request was not a
  // GraphQL request at all (no query, a malformed persistedQuery: 400 whatever the media type).
  struct Refusal {
    boost::json::object response;
    bool malformed = false;
  };
  // The query text of `operation`: its own (kept under its hash when it names one that matches),
  // or the persisted query its hash names. Otherwise PERSISTED_QUERY_NOT_FOUND,
  // PERSISTED_QUERY_HASH_MISMATCH, PERSISTED_QUERY_NOT_SUPPORTED or (malformed) BAD_REQUEST.
  std::variant<std::string, Refusal> query_text(const Operation& operation);

  // The operation `name` (or the only one) of a prepared document; null when there is none (the
  // engine reports it).
  static const parley::graphql::OperationDefinition* select(const parley::graphql::Document& document,
                                                            std::string_view name);

 private:
  void remember(const std::string& hash, const std::string& query);

  ServiceOptions options_;
  parley::graphql::Engine engine_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> persisted_;
  std::deque<std::string> persisted_order_;  // hashes, oldest first
};

}  // namespace parley::api::graphql
