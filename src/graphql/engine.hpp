#pragma once
// The GraphQL engine: the one entry point an application (Parley's HTTP and WebSocket transports)
// uses. It parses, validates, checks the safety limits and executes requests against a schema,
// and runs subscriptions. Transport-free: requests and responses are plain values and JSON.
//
//   auto schema = graphql::build_schema_or_throw(sdl);
//   schema->resolve("Query", "user", user_resolver);          // awaitable resolvers
//   graphql::Engine engine(schema);
//   boost::json::object response = co_await engine.execute({.query = "{ user(id: 1) { name } }"});
//
// Thread-safety: an Engine is immutable after construction and may serve any number of requests
// on any threads at once. One request runs on a strand of the caller's executor.
#include "graphql/ast.hpp"
#include "graphql/error.hpp"
#include "graphql/executor.hpp"
#include "graphql/resolver.hpp"
#include "graphql/schema.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace parley::graphql {

// Safety limits, checked before execution (spec-compliant documents beyond them are refused).
struct Limits {
  std::size_t max_tokens = 15000;               // GRAPHQL_PARSE_FAILED beyond
  std::size_t max_parse_depth = 100;            // nesting of selections / values; GRAPHQL_PARSE_FAILED
  std::size_t max_depth = 15;                   // nested fields; QUERY_TOO_DEEP (introspection not counted)
  std::size_t max_cost = 20000;                 // complexity.hpp; QUERY_TOO_COMPLEX
  std::size_t max_aliases = 100;                // aliased fields; QUERY_TOO_COMPLEX
  std::size_t default_list_size = 10;           // cost multiplier of a list field without first/last/limit
  std::size_t max_overlap_comparisons = 200000; // field-merging validation budget
};

struct EngineOptions {
  Limits limits;
  // Valid documents kept by query text (least recently used dropped), so a repeated query skips
  // parsing and validation; 0 disables. Queries longer than 100 KB are not kept.
  std::size_t document_cache_size = 1000;
  bool introspection = true;    // false: __schema / __type are refused (GRAPHQL_VALIDATION_FAILED)
  ExceptionMapper map_exception; // resolver exceptions other than FieldError -> public error
};

struct Request {
  std::string query;
  std::string operation_name;       // empty: the document's only operation
  boost::json::object variables;
  void* context = nullptr;          // handed to resolvers as ResolveInfo::context<T>(); must outlive the call
  Value root_value;                 // the parent of root fields
  // Optional time limit: fields not yet resolved when it passes are not resolved (TIMEOUT error).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Optional memory for the response, which the caller keeps alive as long as the returned object:
  // that object is then destroyed for free (a buffer held by pointer is not reference-counted, and
  // boost::json skips destructors on it). Without it, execute() builds the response in a
  // monotonic buffer the returned object shares.
  boost::json::monotonic_resource* response_buffer = nullptr;
};

// A parsed and validated document (cacheable by query text, e.g. for persisted queries).
struct Prepared {
  std::shared_ptr<const Document> document;  // null when errors is not empty
  std::vector<Error> errors;                 // GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED
};

class Subscription;

// The outcome of subscribe(): a subscription, or the error response to send instead.
struct SubscribeResult {
  std::shared_ptr<Subscription> subscription;
  boost::json::object response;  // {"errors": [...]} when subscription is null
};

class Engine {
 public:
  explicit Engine(std::shared_ptr<const Schema> schema, EngineOptions options = {});

  const Schema& schema() const { return *schema_; }
  const EngineOptions& options() const { return options_; }

  // Parses and validates (or finds the document in the cache). Thread-safe.
  Prepared prepare(std::string_view query) const;

  // Executes a query or mutation: {"data": ..., "errors": [...]} (errors only when there are some;
  // no "data" when the request failed before execution). Never throws for bad requests.
  boost::asio::awaitable<boost::json::object> execute(Request request) const;
  boost::asio::awaitable<boost::json::object> execute(const Prepared& prepared, Request request) const;

  // Subscribe (spec 6.3.1): validates, coerces variables, calls the root field's subscribe
  // resolver to create the source stream.
  boost::asio::awaitable<SubscribeResult> subscribe(Request request) const;
  boost::asio::awaitable<SubscribeResult> subscribe(const Prepared& prepared, Request request) const;

 private:
  // Operation selection, variable coercion and the limits; errors become the response.
  struct Planned {
    const OperationDefinition* operation = nullptr;
    boost::json::object variables;
    std::vector<Error> errors;
  };
  Planned plan(const Document& document, const Request& request) const;

  class DocumentCache;
  std::shared_ptr<const Schema> schema_;
  EngineOptions options_;
  std::shared_ptr<DocumentCache> cache_;
  friend class Subscription;
};

// A running subscription: maps each source event through the operation's selection set.
// next() must not be called concurrently with itself; close() may be called from any thread.
// The Engine and the Request::context it was created with must outlive it.
class Subscription {
 public:
  Subscription(const Engine& engine, std::shared_ptr<const Document> document, const OperationDefinition& operation,
               boost::json::object variables, void* context, std::shared_ptr<EventStream> stream);

  // The response for the next event ({"data": ..., "errors": [...]}), or nullopt once the source
  // stream ended (or was closed).
  boost::asio::awaitable<std::optional<boost::json::object>> next();
  // ExecuteSubscriptionEvent (6.3.2) for one event, without the stream.
  boost::asio::awaitable<boost::json::object> execute_event(Value event);
  void close();

 private:
  const Engine& engine_;
  std::shared_ptr<const Document> document_;
  const OperationDefinition& operation_;
  boost::json::object variables_;
  void* context_;
  std::shared_ptr<EventStream> stream_;
};

// An EventStream fed by push() from any thread: a bounded queue (oldest events dropped when full,
// counted by dropped()). finish() ends the stream after the queued events.
class QueueEventStream : public EventStream {
 public:
  explicit QueueEventStream(std::size_t capacity = 256) : capacity_(capacity) {}
  void push(Value event);
  void finish();
  boost::asio::awaitable<std::optional<Value>> next() override;
  void close() override;
  std::size_t dropped() const;

 private:
  void wake_locked(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mutex_;
  std::deque<Value> queue_;
  std::size_t capacity_;
  std::size_t dropped_ = 0;
  bool finished_ = false;
  // The parked next(): its handler and the executor it resumes on.
  std::optional<boost::asio::any_completion_handler<void()>> waiter_;
  boost::asio::any_io_executor waiter_executor_;
};

}  // namespace parley::graphql
