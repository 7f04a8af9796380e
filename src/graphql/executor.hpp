#pragma once
// Execution of one operation (spec section 6) on one request strand. Internal to the engine; the
// application uses Engine (engine.hpp).
//
// Root fields and the fields of an object run one after the other (mutations must; queries
// could run concurrently, but sequential keeps the order of side effects obvious). The items of a
// list of objects run concurrently as tasks on the request's strand, which is what lets a
// Loader batch the keys every item asks for (see loader.hpp); a subtree with no async resolver
// completes synchronously instead (sync_subtree). The response is built in one monotonic buffer
// per request. Field errors follow the spec's
// null propagation (6.4.4): a null in a non-null position nulls the nearest nullable parent.
#include "graphql/ast.hpp"
#include "graphql/error.hpp"
#include "graphql/loader.hpp"
#include "graphql/schema.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace parley::graphql {

// Turns an exception thrown by a resolver into a public error; nullopt: "Internal server error".
using ExceptionMapper = std::function<std::optional<FieldError>(std::exception_ptr)>;

// The public error for an exception thrown by a resolver: FieldError as is, others through `mapper`
// (when set) or a generic "Internal server error" (INTERNAL_SERVER_ERROR).
Error exception_to_error(std::exception_ptr error, const ExceptionMapper* mapper);

struct ExecutionInput {
  const Schema& schema;
  const Document& document;
  const OperationDefinition& operation;
  const boost::json::object& variables;  // coerced
  void* context = nullptr;
  const ExceptionMapper* map_exception = nullptr;
  bool subscription_event = false;  // the root value is a subscription event (6.3.2)
  // Past this instant no further field is resolved: one TIMEOUT error, and the remaining fields
  // are null (with the usual propagation). Cooperative: a resolver already running is not cut.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  boost::json::monotonic_resource* response_buffer = nullptr;  // Request::response_buffer
};

class Execution {
 public:
  // `strand` must be the executor the caller runs run() on; every task of the request runs there.
  Execution(const ExecutionInput& input, boost::asio::any_io_executor strand);
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Executes the operation's selection set on `root`; returns {"data":..., "errors":[...]}.
  boost::asio::awaitable<boost::json::object> run(Value root);

  // Shared with subscribe(): the grouped root fields and argument coercion of a field.
  using Fields = std::vector<const Selection*>;
  struct Grouped;
  // One entry of a selection completed by projection (see project()): the value of a
  // default-resolved field without arguments, copied from the parent's JSON member `source` and
  // checked against the field's type.
  struct Projected {
    enum class Leaf : std::uint8_t { None, String, Id, Int, Float, Boolean, Enum, AsIs };
    std::string_view source;          // the field's name; empty for __typename
    std::string_view mods;            // the field type's wrappers, outermost first (TypeRef::mods)
    const Type* type = nullptr;       // the named type (the object type itself for __typename)
    Leaf leaf = Leaf::None;           // how a leaf value is checked; None for object fields
    const Grouped* object = nullptr;  // the object type's selection, for object fields
  };
  struct Grouped {
    std::vector<std::pair<std::string_view, Fields>> entries;
    std::map<std::string_view, std::size_t> index;
    std::optional<bool> sync;  // see sync_subtree(); computed on first use
    // See projectable(); computed on first use. `projected` runs parallel to `entries`.
    std::optional<bool> projectable;
    std::vector<Projected> projected;
  };
  void collect_fields(const Type& type, const SelectionSet& set, Grouped& out, std::set<std::string_view>& visited) const;
  Batcher& batcher() { return batcher_; }
  LoaderRegistry& loaders() { return loaders_; }
  // Records a field error from an exception (FieldError, mapped, or internal).
  void record_exception(std::exception_ptr error, const Fields& fields, boost::json::array path);
  std::vector<Error>& errors() { return errors_; }

  struct Path {
    const Path* parent;
    std::string_view key;
    std::size_t index;
    bool is_index;
  };
  static boost::json::array path_json(const Path* path);

 private:
  bool included(const std::vector<Directive>& directives) const;
  Grouped& subfields(const Type& object_type, const Fields& fields);
  bool applies(const Type& object_type, std::string_view condition) const;

  boost::asio::awaitable<std::optional<boost::json::object>> execute_fields(const Type& type, const Value& parent,
                                                                            const Grouped& grouped, const Path* path);
  boost::asio::awaitable<std::optional<boost::json::value>> execute_field(const Type& type, const Value& parent,
                                                                          const Fields& fields, const Path& path);
  // True when no field of the selection below a value of `named` (through every possible object
  // type) has an async resolver: such a subtree completes synchronously, with no coroutine frame
  // and no task per list item (there is nothing a Loader could batch in it).
  bool sync_subtree(const Type& named, const Fields& fields);
  // True when completing a value of the field (after its resolver) is synchronous: a leaf, or a
  // composite whose sync_subtree() holds.
  bool completes_now(const FieldDef& def, const Fields& fields);
  // The synchronous twins of execute_fields, execute_field, complete_value and complete_object,
  // for fields without an async resolver whose value completes_now().
  std::optional<boost::json::object> execute_fields_now(const Type& type, const Value& parent, const Grouped& grouped,
                                                        const Path* path);
  std::optional<boost::json::value> execute_field_now(const Type& type, const Value& parent, const Fields& fields,
                                                      const Path& path, const FieldDef& def);
  std::optional<boost::json::value> complete_value_now(const TypeRef& type, const Fields& fields, const Value& result,
                                                       const Path& path, const Type& parent_type, const FieldDef& def);
  std::optional<boost::json::value> complete_object_now(const Type& type, const Fields& fields, const Value& result,
                                                        const Path& path, const Type& parent_type, const FieldDef& def);
  // The fast path of completing an object whose whole selection below is plain data (the message
  // nodes of a page): true when every field of `grouped` and of the objects below it is
  // default-resolved, takes no arguments and has a leaf type project_leaf() checks or an object
  // type (not an interface or union). Computed once per Grouped.
  bool projectable(const Type& object_type, Grouped& grouped);
  // `result` completed as a value of `object_type` by projection (no resolver call, no path, no
  // task per field); nullopt when it cannot be: the selection is not projectable(), the deadline
  // has passed, or a value does not fit its type. The general path then completes the object
  // from the start and records the errors; the projection has no side effects, so the answer is
  // the same either way.
  std::optional<boost::json::object> try_project(const Type& object_type, const Fields& fields, const Value& result);
  std::optional<boost::json::object> project(const Grouped& grouped, const boost::json::object& source);
  bool project_value(const Projected& field, std::string_view mods, const boost::json::value* in,
                     boost::json::value& out);
  static bool project_leaf(const Projected& field, const boost::json::value& in, boost::json::value& out);
  // Runs a sync or default resolver into `result`; false when it failed (the error is recorded).
  bool resolve_now(const Type& type, const Value& parent, const Fields& fields, const Path& path, const FieldDef& def,
                   Value& result);
  // True (and the TIMEOUT error recorded once) when Request::deadline has passed.
  bool past_deadline(const Fields& fields, const Path& path);
  boost::asio::awaitable<std::optional<boost::json::value>> complete_value(const TypeRef& type, const Fields& fields,
                                                                           const Value& result, const Path& path,
                                                                           const Type& parent_type, const FieldDef& def);
  boost::asio::awaitable<std::optional<boost::json::value>> complete_inner(const TypeRef& type, const Fields& fields,
                                                                           const Value& result, const Path& path,
                                                                           const Type& parent_type, const FieldDef& def);
  // The object type a composite value completes as (its runtime type for an interface or union);
  // nullptr, with the error recorded, when it cannot.
  const Type* object_type_of(const Type& type, const Fields& fields, const Value& result, const Path& path,
                             const Type& parent_type, const FieldDef& def);
  boost::asio::awaitable<std::optional<boost::json::value>> complete_object(const Type& type, const Fields& fields,
                                                                            const Value& result, const Path& path,
                                                                            const Type& parent_type, const FieldDef& def);
  boost::asio::awaitable<std::optional<boost::json::value>> complete_list(const TypeRef& type, const Fields& fields,
                                                                          const Value& result, const Path& path,
                                                                          const Type& parent_type, const FieldDef& def);
  boost::asio::awaitable<void> complete_item(const TypeRef& type, const Fields& fields, const Value& item, Path path,
                                             const Type& parent_type, const FieldDef& def,
                                             std::optional<boost::json::value>& out);
  std::optional<boost::json::value> complete_leaf(const Type& type, const boost::json::value& value, const Fields& fields,
                                                  const Path& path);
  const Type* runtime_type(const Type& abstract_type, const Value& value, const Fields& fields, const Path& path,
                           const Type& parent_type, const FieldDef& def);
  void field_error(std::string message, const Fields& fields, const Path& path, std::string code = {},
                   boost::json::object extensions = {});

  const ExecutionInput& in_;
  boost::asio::any_io_executor strand_;
  // Every value of the response is allocated from one monotonic buffer: the caller's
  // (ExecutionInput::response_buffer), or one shared with the returned object, which keeps it
  // alive. Building a page of objects costs no malloc/free per member.
  boost::json::storage_ptr storage_;
  Batcher batcher_;
  LoaderRegistry loaders_;
  std::vector<Error> errors_;
  std::map<std::string_view, const FragmentDefinition*> fragments_;
  bool timed_out_ = false;
  // CollectSubfields results by (object type, merged field nodes): the items of a list share one.
  std::map<std::pair<const Type*, Fields>, Grouped> subfields_;
};

}  // namespace parley::graphql
