#pragma once
// The resolver API: how an application plugs its data into a schema.
//
// A field resolver receives its parent Value, the field's coerced arguments (a JSON object with
// every declared argument that was given or has a default) and a ResolveInfo, and returns the
// field's Value. Async resolvers return boost::asio::awaitable<Value>; sync ones return Value and
// cost no coroutine frame. A field without a resolver reads the member of the same name from a
// JSON object parent (null otherwise). Throw FieldError for public errors.
#include "graphql/ast.hpp"
#include "graphql/loader.hpp"
#include "graphql/value.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>

namespace parley::graphql {

class Schema;
struct Type;
struct FieldDef;

// Everything a resolver may want to know about the field it resolves. Valid only during the call
// (and across its co_awaits); do not keep references beyond the resolver's return.
class ResolveInfo {
 public:
  ResolveInfo(const Schema& schema, const Type& parent_type, const FieldDef& field,
              const std::vector<const Selection*>& nodes, const boost::json::object& variables,
              void* context, LoaderRegistry* loaders, std::function<boost::json::array()> path,
              const std::vector<FragmentDefinition>* fragments = nullptr, boost::json::storage_ptr storage = {})
      : schema_(schema), parent_type_(parent_type), field_(field), nodes_(nodes), variables_(variables),
        context_(context), loaders_(loaders), path_(std::move(path)), fragments_(fragments), storage_(std::move(storage)) {}

  const Schema& schema() const { return schema_; }
  const Type& parent_type() const { return parent_type_; }
  const FieldDef& field() const { return field_; }
  // The field's nodes in the document (several when selections merged); nodes().front() is first.
  const std::vector<const Selection*>& nodes() const { return nodes_; }
  const boost::json::object& variables() const { return variables_; }
  // The memory the response is built in: JSON a resolver builds here (json::parse(text, storage()),
  // json::object(storage())) is moved into the response instead of copied, and freed with it.
  const boost::json::storage_ptr& storage() const { return storage_; }
  boost::json::array path() const { return path_ ? path_() : boost::json::array{}; }

  // Look-ahead: true if the field's selection set asks for a subfield called `name`, through
  // fragments and inline fragments (type conditions and @skip/@include are not evaluated, so this
  // may say yes for a subfield that will not run). Lets a resolver skip fetching what nobody asked.
  bool selects(std::string_view name) const;
  // Look-ahead the other way: true if every subfield the selection set asks for (through fragments
  // and inline fragments, conditions and directives not evaluated) is __typename or one of `names`.
  // Lets a resolver skip loading what only unselected fields would show.
  bool selects_only(std::initializer_list<std::string_view> names) const;

  // The per-request context the application passed in Request::context (nullptr if none).
  template <typename T>
  T* context() const { return static_cast<T*>(context_); }

  // The request's loader called `name` (created with `fn` on first use). See loader.hpp.
  template <typename Key, typename Val>
  Loader<Key, Val>& loader(const std::string& name, typename Loader<Key, Val>::BatchFn fn) const {
    if (!loaders_) throw std::logic_error("graphql loaders are not available in this call");
    return loaders_->get<Key, Val>(name, std::move(fn));
  }

 private:
  const Schema& schema_;
  const Type& parent_type_;
  const FieldDef& field_;
  const std::vector<const Selection*>& nodes_;
  const boost::json::object& variables_;
  void* context_;
  LoaderRegistry* loaders_;
  std::function<boost::json::array()> path_;
  const std::vector<FragmentDefinition>* fragments_;
  boost::json::storage_ptr storage_;
};

using Resolver =
    std::function<boost::asio::awaitable<Value>(const Value& parent, const boost::json::object& args, const ResolveInfo& info)>;
using SyncResolver = std::function<Value(const Value& parent, const boost::json::object& args, const ResolveInfo& info)>;

// Names the object type of a value of an interface or union type (empty: unknown). Without one the
// engine uses Value::type_name(), then a "__typename" member of a JSON object, then the only
// possible type.
using TypeResolver = std::function<std::string(const Value& value, const ResolveInfo& info)>;

// A subscription's source stream (spec 6.3.1): next() yields each event, std::nullopt once the
// stream ended. close() ends it early (e.g. the client unsubscribed); next() then returns nullopt.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual boost::asio::awaitable<std::optional<Value>> next() = 0;
  virtual void close() = 0;
};

// Creates the source stream for a subscription root field (its "subscribe resolver").
using SubscribeResolver = std::function<boost::asio::awaitable<std::shared_ptr<EventStream>>(
    const Value& root, const boost::json::object& args, const ResolveInfo& info)>;

// Custom scalar hooks. serialize: result value -> JSON for the response (nullopt: cannot
// represent it, a field error). parse: JSON input (variables; literals are first turned into
// JSON) -> the internal JSON value handed to resolvers (nullopt: invalid input). Absent hooks pass
// values through unchanged. serialized_as_is: a result of this JSON kind is already its own
// serialization (serialize would return it unchanged), so it is copied without calling the hook:
// the executor can then complete such leaves by projection (executor.hpp).
struct ScalarHooks {
  std::function<std::optional<boost::json::value>(const boost::json::value&)> serialize;
  std::function<std::optional<boost::json::value>(const boost::json::value&)> parse;
  std::optional<boost::json::kind> serialized_as_is;
};

}  // namespace parley::graphql
