#include "graphql/engine.hpp"

#include "graphql/complexity.hpp"
#include "graphql/parser.hpp"
#include "graphql/validation/validate.hpp"
#include "graphql/values.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <list>
#include <map>
#include <mutex>

namespace parley::graphql {

using boost::asio::awaitable;

// A mutex-guarded LRU of valid documents by query text.
class Engine::DocumentCache {
 public:
  explicit DocumentCache(std::size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<const Document> find(std::string_view query) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(query);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  void add(std::string_view query, std::shared_ptr<const Document> document) {
    std::lock_guard lock(mutex_);
    if (index_.count(query)) return;
    order_.emplace_front(std::string(query), std::move(document));
    index_.emplace(order_.front().first, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const Document>>;
  std::mutex mutex_;
  std::size_t capacity_;
  std::list<Entry> order_;
  std::map<std::string_view, std::list<Entry>::iterator> index_;
};

Engine::Engine(std::shared_ptr<const Schema> schema, EngineOptions options)
    : schema_(std::move(schema)), options_(std::move(options)) {
  if (!schema_ || !schema_->query_type()) throw std::invalid_argument("graphql::Engine needs a schema with a query type");
  if (options_.document_cache_size > 0) cache_ = std::make_shared<DocumentCache>(options_.document_cache_size);
}

Prepared Engine::prepare(std::string_view query) const {
  constexpr std::size_t kMaxCachedQuery = 100'000;
  const bool cacheable = cache_ && query.size() <= kMaxCachedQuery;
  if (cacheable)
    if (auto document = cache_->find(query)) return Prepared{std::move(document), {}};
  Prepared out;
  Document doc;
  try {
    doc = parse(query, ParseOptions{options_.limits.max_tokens, options_.limits.max_parse_depth});
  } catch (const SyntaxError& e) {
    out.errors.push_back({e.what(), {e.location()}, {}, codes::kParseFailed, {}});
    return out;
  }
  ValidationOptions vo;
  vo.introspection = options_.introspection;
  vo.max_overlap_comparisons = options_.limits.max_overlap_comparisons;
  out.errors = validate(*schema_, doc, vo);
  if (out.errors.empty()) {
    out.document = std::make_shared<const Document>(std::move(doc));
    if (cacheable) cache_->add(query, out.document);
  }
  return out;
}

Engine::Planned Engine::plan(const Document& document, const Request& request) const {
  Planned p;
  if (request.operation_name.empty()) {
    if (document.operations.size() == 1) p.operation = &document.operations.front();
    else
      p.errors.push_back({"Must provide operation name if query contains multiple operations.", {}, {},
                          codes::kOperationResolution, {}});
  } else {
    for (const auto& op : document.operations)
      if (op.name == request.operation_name) p.operation = &op;
    if (!p.operation)
      p.errors.push_back({"Unknown operation named \"" + request.operation_name + "\".", {}, {}, codes::kOperationResolution, {}});
  }
  if (!p.operation) return p;
  p.variables = coerce_variables(*schema_, *p.operation, request.variables, p.errors);
  if (!p.errors.empty()) return p;
  const Limits& limits = options_.limits;
  Complexity c = measure(*schema_, document, *p.operation, p.variables, ComplexityOptions{limits.default_list_size});
  if (c.depth > limits.max_depth)
    p.errors.push_back({"The query is " + std::to_string(c.depth) + " levels deep; the maximum is " +
                            std::to_string(limits.max_depth) + ".",
                        {p.operation->loc}, {}, codes::kQueryTooDeep, {}});
  if (c.cost > limits.max_cost)
    p.errors.push_back({"The query costs " + std::to_string(c.cost) + "; the maximum is " + std::to_string(limits.max_cost) + ".",
                        {p.operation->loc}, {}, codes::kQueryTooComplex, {{"cost", c.cost}, {"maxCost", limits.max_cost}}});
  if (c.aliases > limits.max_aliases)
    p.errors.push_back({"The query uses " + std::to_string(c.aliases) + " aliases; the maximum is " +
                            std::to_string(limits.max_aliases) + ".",
                        {p.operation->loc}, {}, codes::kQueryTooComplex, {}});
  return p;
}

awaitable<boost::json::object> Engine::execute(Request request) const {
  Prepared prepared = prepare(request.query);
  auto task = execute(prepared, std::move(request));
  co_return co_await std::move(task);
}

awaitable<boost::json::object> Engine::execute(const Prepared& prepared, Request request) const {
  if (!prepared.document) co_return error_response(prepared.errors);
  std::shared_ptr<const Document> document = prepared.document;
  Planned planned = plan(*document, request);
  if (!planned.errors.empty()) co_return error_response(planned.errors);
  if (planned.operation->operation == OperationType::Subscription) {
    std::vector<Error> errors{{"Subscriptions need a streaming transport (subscribe()).", {planned.operation->loc}, {},
                               codes::kOperationResolution, {}}};
    co_return error_response(errors);
  }
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::any_io_executor strand = boost::asio::make_strand(executor);
  ExecutionInput input{*schema_,        *document, *planned.operation, planned.variables, request.context,
                       &options_.map_exception, false, request.deadline, request.response_buffer};
  Execution execution(input, strand);
  auto task = boost::asio::co_spawn(strand, execution.run(std::move(request.root_value)), boost::asio::use_awaitable);
  co_return co_await std::move(task);
}

awaitable<SubscribeResult> Engine::subscribe(Request request) const {
  Prepared prepared = prepare(request.query);
  auto task = subscribe(prepared, std::move(request));
  co_return co_await std::move(task);
}

awaitable<SubscribeResult> Engine::subscribe(const Prepared& prepared, Request request) const {
  SubscribeResult result;
  if (!prepared.document) {
    result.response = error_response(prepared.errors);
    co_return result;
  }
  std::shared_ptr<const Document> document = prepared.document;
  Planned planned = plan(*document, request);
  if (planned.errors.empty() && planned.operation->operation != OperationType::Subscription)
    planned.errors.push_back({"The operation is not a subscription.", {planned.operation->loc}, {}, codes::kOperationResolution, {}});
  if (!planned.errors.empty()) {
    result.response = error_response(planned.errors);
    co_return result;
  }
  // CreateSourceEventStream (6.3.1): the single root field's subscribe resolver.
  const Type& root = *schema_->subscription_type();
  auto executor = co_await boost::asio::this_coro::executor;
  ExecutionInput input{*schema_, *document, *planned.operation, planned.variables, request.context, &options_.map_exception,
                       false, std::nullopt};
  Execution execution(input, executor);
  Execution::Grouped grouped;
  std::set<std::string_view> visited;
  execution.collect_fields(root, planned.operation->selection_set, grouped, visited);
  if (grouped.entries.empty()) {
    result.response = error_response({{"The subscription selects no field.", {planned.operation->loc}, {}, codes::kOperationResolution, {}}});
    co_return result;
  }
  const Execution::Fields& fields = grouped.entries.front().second;
  const FieldDef* def = schema_->field(root, fields.front()->name);
  std::shared_ptr<EventStream> stream;
  std::exception_ptr failure;
  try {
    if (!def || !def->subscribe) throw std::logic_error("subscription field without a subscribe resolver");
    boost::json::object args = coerce_arguments(*schema_, def->args, fields.front()->arguments, planned.variables);
    const std::string_view key = grouped.entries.front().first;
    ResolveInfo info(*schema_, root, *def, fields, planned.variables, request.context, &execution.loaders(),
                     [key] { return boost::json::array{boost::json::string(key)}; });
    auto task = def->subscribe(request.root_value, args, info);
    stream = co_await std::move(task);
    if (!stream) throw std::logic_error("subscribe resolver returned no stream");
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    Error e = exception_to_error(failure, &options_.map_exception);
    e.locations.push_back(fields.front()->loc);
    e.path.push_back(boost::json::string(grouped.entries.front().first));
    result.response = error_response({e});
    co_return result;
  }
  result.subscription = std::make_shared<Subscription>(*this, document, *planned.operation, std::move(planned.variables),
                                                       request.context, std::move(stream));
  co_return result;
}

Subscription::Subscription(const Engine& engine, std::shared_ptr<const Document> document, const OperationDefinition& operation,
                           boost::json::object variables, void* context, std::shared_ptr<EventStream> stream)
    : engine_(engine), document_(std::move(document)), operation_(operation), variables_(std::move(variables)),
      context_(context), stream_(std::move(stream)) {}

awaitable<std::optional<boost::json::object>> Subscription::next() {
  auto wait = stream_->next();
  std::optional<Value> event = co_await std::move(wait);
  if (!event) co_return std::nullopt;
  auto task = execute_event(std::move(*event));
  boost::json::object response = co_await std::move(task);
  co_return response;
}

awaitable<boost::json::object> Subscription::execute_event(Value event) {
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::any_io_executor strand = boost::asio::make_strand(executor);
  ExecutionInput input{*engine_.schema_, *document_, operation_, variables_, context_, &engine_.options_.map_exception, true,
                       std::nullopt};
  Execution execution(input, strand);
  auto task = boost::asio::co_spawn(strand, execution.run(std::move(event)), boost::asio::use_awaitable);
  co_return co_await std::move(task);
}

void Subscription::close() { stream_->close(); }

void QueueEventStream::wake_locked(std::unique_lock<std::mutex>& lock) {
  if (!waiter_) return;
  auto handler = std::move(*waiter_);
  auto executor = std::move(waiter_executor_);
  waiter_.reset();
  lock.unlock();
  boost::asio::post(executor, [h = std::move(handler)]() mutable { std::move(h)(); });
}

void QueueEventStream::push(Value event) {
  std::unique_lock lock(mutex_);
  if (finished_) return;
  if (queue_.size() >= capacity_) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(std::move(event));
  wake_locked(lock);
}

void QueueEventStream::finish() {
  std::unique_lock lock(mutex_);
  finished_ = true;
  wake_locked(lock);
}

void QueueEventStream::close() {
  std::unique_lock lock(mutex_);
  finished_ = true;
  queue_.clear();
  wake_locked(lock);
}

std::size_t QueueEventStream::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

awaitable<std::optional<Value>> QueueEventStream::next() {
  for (;;) {
    std::optional<Value> event;
    bool ended = false;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        event = std::move(queue_.front());
        queue_.pop_front();
      } else {
        ended = finished_;
      }
    }
    if (event) co_return event;
    if (ended) co_return std::nullopt;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [this](auto handler) {
          boost::asio::any_io_executor executor = boost::asio::get_associated_executor(handler);
          std::unique_lock lock(mutex_);
          if (!queue_.empty() || finished_) {
            lock.unlock();
            boost::asio::post(executor, [h = std::move(handler)]() mutable { std::move(h)(); });
          } else {
            waiter_.emplace(std::move(handler));
            waiter_executor_ = std::move(executor);
          }
        },
        boost::asio::use_awaitable);
  }
}

}  // namespace parley::graphql
