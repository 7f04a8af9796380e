#include "graphql/executor.hpp"

#include "graphql/values.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace parley::graphql {
namespace {

using boost::asio::awaitable;
using boost::json::value;

// Children of one list, run concurrently; the parent parks on `waiter` until all finished.
struct Join {
  Join(Batcher& batcher, std::size_t n) : remaining(n), waiter(batcher) {}
  std::size_t remaining;
  std::exception_ptr error;
  Batcher::Waiter waiter;
};

}  // namespace

Execution::Execution(const ExecutionInput& input, boost::asio::any_io_executor strand)
    : in_(input),
      strand_(strand),
      storage_(input.response_buffer ? boost::json::storage_ptr(input.response_buffer)
                                     : boost::json::make_shared_resource<boost::json::monotonic_resource>()),
      batcher_(strand),
      loaders_(batcher_) {
  for (const auto& f : input.document.fragments) fragments_.emplace(f.name, &f);
}

boost::json::array Execution::path_json(const Path* path) {
  std::vector<const Path*> chain;
  for (; path; path = path->parent) chain.push_back(path);
  boost::json::array out;
  out.reserve(chain.size());
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if ((*it)->is_index) out.push_back(static_cast<std::uint64_t>((*it)->index));
    else out.push_back(boost::json::string((*it)->key));
  }
  return out;
}

void Execution::field_error(std::string message, const Fields& fields, const Path& path, std::string code,
                            boost::json::object extensions) {
  Error e;
  e.message = std::move(message);
  if (!fields.empty()) e.locations.push_back(fields.front()->loc);
  e.path = path_json(&path);
  e.code = std::move(code);
  e.extensions = std::move(extensions);
  errors_.push_back(std::move(e));
}

Error exception_to_error(std::exception_ptr error, const ExceptionMapper* mapper) {
  Error e;
  try {
    std::rethrow_exception(error);
  } catch (const FieldError& f) {
    e.message = f.what();
    e.code = f.code();
    e.extensions = f.extensions();
  } catch (...) {
    std::optional<FieldError> mapped;
    if (mapper && *mapper) mapped = (*mapper)(std::current_exception());
    if (mapped) {
      e.message = mapped->what();
      e.code = mapped->code();
      e.extensions = mapped->extensions();
    } else {
      e.message = "Internal server error";
      e.code = codes::kInternal;
    }
  }
  return e;
}

void Execution::record_exception(std::exception_ptr error, const Fields& fields, boost::json::array path) {
  Error e = exception_to_error(error, in_.map_exception);
  if (!fields.empty()) e.locations.push_back(fields.front()->loc);
  e.path = std::move(path);
  errors_.push_back(std::move(e));
}

bool Execution::included(const std::vector<Directive>& directives) const {
  for (const auto& d : directives) {
    if (d.name != "skip" && d.name != "include") continue;
    bool flag = false;
    for (const auto& a : d.arguments) {
      if (a.name != "if") continue;
      if (a.value.kind == ValueNode::Kind::Boolean) {
        flag = a.value.boolean;
      } else if (a.value.kind == ValueNode::Kind::Variable) {
        auto it = in_.variables.find(a.value.text);
        flag = it != in_.variables.end() && it->value().is_bool() && it->value().as_bool();
      }
    }
    if (d.name == "skip" && flag) return false;
    if (d.name == "include" && !flag) return false;
  }
  return true;
}

bool Execution::applies(const Type& object_type, std::string_view condition) const {
  if (condition.empty() || condition == object_type.name) return true;
  const Type* t = in_.schema.type(condition);
  return t && t->is_abstract() && in_.schema.is_possible_type(*t, object_type);
}

void Execution::collect_fields(const Type& type, const SelectionSet& set, Grouped& out,
                               std::set<std::string_view>& visited) const {
  for (const auto& s : set) {
    if (!included(s.directives)) continue;
    switch (s.kind) {
      case Selection::Kind::Field: {
        auto [it, fresh] = out.index.try_emplace(s.response_name(), out.entries.size());
        if (fresh) out.entries.emplace_back(s.response_name(), Fields{});
        out.entries[it->second].second.push_back(&s);
        break;
      }
      case Selection::Kind::InlineFragment:
        if (applies(type, s.name)) collect_fields(type, s.selection_set, out, visited);
        break;
      case Selection::Kind::FragmentSpread: {
        if (!visited.insert(s.name).second) break;
        auto it = fragments_.find(s.name);
        if (it == fragments_.end() || !applies(type, it->second->type_condition)) break;
        collect_fields(type, it->second->selection_set, out, visited);
        break;
      }
    }
  }
}

Execution::Grouped& Execution::subfields(const Type& object_type, const Fields& fields) {
  auto [it, fresh] = subfields_.try_emplace(std::make_pair(&object_type, fields));
  if (fresh) {
    for (const Selection* f : fields) {
      std::set<std::string_view> visited;
      collect_fields(object_type, f->selection_set, it->second, visited);
    }
  }
  return it->second;
}

awaitable<boost::json::object> Execution::run(Value root) {
  batcher_.enter();
  const Type* root_type = in_.schema.root_type(in_.operation.operation);
  std::optional<boost::json::object> data;
  std::exception_ptr failure;
  if (root_type) {
    Grouped grouped;
    std::set<std::string_view> visited;
    collect_fields(*root_type, in_.operation.selection_set, grouped, visited);
    try {
      data = co_await execute_fields(*root_type, root, grouped, nullptr);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  batcher_.leave();
  if (failure) {
    Fields none;
    record_exception(failure, none, {});
  }
  boost::json::object response(storage_);
  if (data) response["data"] = std::move(*data);
  else response["data"] = nullptr;
  if (!errors_.empty()) response["errors"] = errors_to_json(errors_);
  co_return response;
}

awaitable<std::optional<boost::json::object>> Execution::execute_fields(const Type& type, const Value& parent,
                                                                        const Grouped& grouped, const Path* path) {
  boost::json::object out(storage_);
  out.reserve(grouped.entries.size());
  for (const auto& [name, fields] : grouped.entries) {
    Path here{path, name, 0, false};
    std::optional<value> v;
    const Selection& node = *fields.front();
    const FieldDef* def = node.name == "__typename" ? nullptr : in_.schema.field(type, node.name);
    if (node.name == "__typename") {
      v = value(type.name, storage_);
    } else if (def && !def->resolve && completes_now(*def, fields)) {
      v = execute_field_now(type, parent, fields, here, *def);  // no coroutine frame below this field
    } else {
      v = co_await execute_field(type, parent, fields, here);
    }
    if (!v) co_return std::nullopt;  // a non-null field failed: this object becomes null
    out.emplace(name, std::move(*v));
  }
  co_return out;
}

std::optional<boost::json::object> Execution::execute_fields_now(const Type& type, const Value& parent,
                                                                 const Grouped& grouped, const Path* path) {
  boost::json::object out(storage_);
  out.reserve(grouped.entries.size());
  for (const auto& [name, fields] : grouped.entries) {
    Path here{path, name, 0, false};
    std::optional<value> v;
    const Selection& node = *fields.front();
    if (node.name == "__typename") {
      v = value(type.name, storage_);
    } else if (const FieldDef* def = in_.schema.field(type, node.name)) {
      v = execute_field_now(type, parent, fields, here, *def);
    } else {
      v = value(nullptr);  // unreachable after validation
    }
    if (!v) return std::nullopt;
    out.emplace(name, std::move(*v));
  }
  return out;
}

bool Execution::sync_subtree(const Type& named, const Fields& fields) {
  if (named.is_leaf()) return true;
  auto object_sync = [&](const Type& object_type) {
    Grouped& grouped = subfields(object_type, fields);
    if (!grouped.sync) {
      grouped.sync = true;  // provisional, so a cycle (impossible after validation) cannot recurse forever
      for (const auto& [name, sub] : grouped.entries) {
        const Selection& node = *sub.front();
        if (node.name == "__typename") continue;
        const FieldDef* def = in_.schema.field(object_type, node.name);
        if (def && (def->resolve || !completes_now(*def, sub))) {
          grouped.sync = false;
          break;
        }
      }
    }
    return *grouped.sync;
  };
  if (named.kind == TypeKind::Object) return object_sync(named);
  for (const Type* possible : named.possible_types)
    if (!object_sync(*possible)) return false;
  return true;
}

bool Execution::completes_now(const FieldDef& def, const Fields& fields) {
  return !def.named_type || sync_subtree(*def.named_type, fields);
}

namespace {

// How project_leaf() checks a value of a leaf type; None: the type needs its serialize hook.
Execution::Projected::Leaf leaf_rule(const Type& type) {
  using Leaf = Execution::Projected::Leaf;
  if (type.kind == TypeKind::Enum) return Leaf::Enum;
  if (type.name == "String") return Leaf::String;
  if (type.name == "ID") return Leaf::Id;
  if (type.name == "Int") return Leaf::Int;
  if (type.name == "Float") return Leaf::Float;
  if (type.name == "Boolean") return Leaf::Boolean;
  return type.scalar.serialized_as_is ? Leaf::AsIs : Leaf::None;
}

}  // namespace

bool Execution::projectable(const Type& object_type, Grouped& grouped) {
  if (grouped.projectable) return *grouped.projectable;
  grouped.projectable = false;  // provisional, as in sync_subtree()
  std::vector<Projected> plan;
  plan.reserve(grouped.entries.size());
  for (const auto& [name, sub] : grouped.entries) {
    const Selection& node = *sub.front();
    Projected p;
    if (node.name == "__typename") {
      p.type = &object_type;
      plan.push_back(p);
      continue;
    }
    const FieldDef* def = in_.schema.field(object_type, node.name);
    if (!def || def->resolve || def->resolve_sync || !def->args.empty() || !def->named_type) return false;
    p.source = def->name;
    p.mods = def->type.mods;
    p.type = def->named_type;
    if (p.type->is_leaf()) {
      p.leaf = leaf_rule(*p.type);
      if (p.leaf == Projected::Leaf::None) return false;
    } else if (p.type->kind == TypeKind::Object) {
      Grouped& nested = subfields(*p.type, sub);
      if (!projectable(*p.type, nested)) return false;
      p.object = &nested;
    } else {
      return false;  // an interface or union needs its runtime type resolved
    }
    plan.push_back(p);
  }
  grouped.projected = std::move(plan);
  grouped.projectable = true;
  return true;
}

std::optional<boost::json::object> Execution::try_project(const Type& object_type, const Fields& fields,
                                                          const Value& result) {
  if (result.kind() != Value::Kind::Json || !result.json().is_object()) return std::nullopt;
  Grouped& grouped = subfields(object_type, fields);
  if (!projectable(object_type, grouped)) return std::nullopt;
  // Past the deadline the general path records the TIMEOUT error; the clock is read once per
  // projected object, not per field.
  if (in_.deadline && (timed_out_ || std::chrono::steady_clock::now() > *in_.deadline)) return std::nullopt;
  return project(grouped, result.json().as_object());
}

std::optional<boost::json::object> Execution::project(const Grouped& grouped, const boost::json::object& source) {
  boost::json::object out(storage_);
  out.reserve(grouped.entries.size());
  for (std::size_t i = 0; i < grouped.entries.size(); ++i) {
    const Projected& field = grouped.projected[i];
    boost::json::value v(storage_);
    if (field.source.empty()) v = boost::json::string_view(field.type->name);  // __typename
    else if (!project_value(field, field.mods, source.if_contains(field.source), v)) return std::nullopt;
    out.emplace(grouped.entries[i].first, std::move(v));
  }
  return out;
}

bool Execution::project_value(const Projected& field, std::string_view mods, const value* in, value& out) {
  const bool non_null = !mods.empty() && mods.front() == '!';
  if (non_null) mods.remove_prefix(1);
  if (!in || in->is_null()) return !non_null;  // `out` is null already
  if (!mods.empty()) {  // a list: mods.front() is '['
    if (!in->is_array()) return false;
    mods.remove_prefix(1);
    const auto& items = in->get_array();
    boost::json::array& list = out.emplace_array();
    list.reserve(items.size());
    for (const auto& item : items) {
      value v(storage_);
      if (!project_value(field, mods, &item, v)) return false;
      list.push_back(std::move(v));
    }
    return true;
  }
  if (field.object) {
    if (!in->is_object()) return false;
    std::optional<boost::json::object> object = project(*field.object, in->get_object());
    if (!object) return false;
    out = std::move(*object);
    return true;
  }
  return project_leaf(field, *in, out);
}

// The checks of serialize_leaf() for the values it passes through unchanged; anything it would
// convert or reject is left to it (false).
bool Execution::project_leaf(const Projected& field, const value& in, value& out) {
  using Leaf = Projected::Leaf;
  switch (field.leaf) {
    case Leaf::String:
      if (!in.is_string()) return false;
      break;
    case Leaf::Id:
      if (in.is_int64()) {  // IDs serialize as strings
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, in.get_int64()).ptr;
        out = boost::json::string_view(digits, static_cast<std::size_t>(end - digits));
        return true;
      }
      if (!in.is_string()) return false;
      break;
    case Leaf::Int:
      if (!in.is_int64() || in.get_int64() < kIntMin || in.get_int64() > kIntMax) return false;
      break;
    case Leaf::Float:
      if (!in.is_double() || !std::isfinite(in.get_double())) return false;
      break;
    case Leaf::Boolean:
      if (!in.is_bool()) return false;
      break;
    case Leaf::Enum:
      if (!in.is_string() || !field.type->enum_value(in.get_string())) return false;
      break;
    case Leaf::AsIs:
      if (in.kind() != *field.type->scalar.serialized_as_is) return false;
      break;
    case Leaf::None:
      return false;
  }
  out = in;  // a copy into the response's buffer (`out` keeps its storage)
  return true;
}

bool Execution::past_deadline(const Fields& fields, const Path& path) {
  if (!in_.deadline) return false;
  if (!timed_out_ && std::chrono::steady_clock::now() <= *in_.deadline) return false;
  if (!timed_out_) {
    timed_out_ = true;
    field_error("The request took too long and was stopped.", fields, path, codes::kTimeout);
  }
  return true;
}

bool Execution::resolve_now(const Type& type, const Value& parent, const Fields& fields, const Path& path,
                            const FieldDef& def, Value& result) {
  if (past_deadline(fields, path)) return false;
  const Selection& node = *fields.front();
  const bool event_root = in_.subscription_event && path.parent == nullptr;
  try {
    if (def.resolve_sync) {
      boost::json::object args = coerce_arguments(in_.schema, def.args, node.arguments, in_.variables);
      ResolveInfo info(in_.schema, type, def, fields, in_.variables, in_.context, &loaders_,
                       [&path] { return path_json(&path); }, &in_.document.fragments, storage_);
      result = def.resolve_sync(parent, args, info);
    } else if (parent.kind() == Value::Kind::Json && parent.json().is_object()) {
      // Arguments of default-resolved fields are still coerced: their errors are field errors.
      if (!def.args.empty()) coerce_arguments(in_.schema, def.args, node.arguments, in_.variables);
      const auto& obj = parent.json().as_object();
      auto it = obj.find(node.name);
      if (it != obj.end()) result = Value::borrow(it->value());  // the parent outlives this field
      else if (event_root) result = parent;
    } else if (event_root) {
      result = parent;
    }
  } catch (...) {
    record_exception(std::current_exception(), fields, path_json(&path));
    return false;
  }
  return true;
}

std::optional<value> Execution::execute_field_now(const Type& type, const Value& parent, const Fields& fields,
                                                  const Path& path, const FieldDef& def) {
  Value result;
  if (!resolve_now(type, parent, fields, path, def, result)) {
    if (def.type.is_non_null()) return std::nullopt;
    return value(nullptr);
  }
  return complete_value_now(def.type, fields, result, path, type, def);
}

std::optional<value> Execution::complete_value_now(const TypeRef& type, const Fields& fields, const Value& result,
                                                   const Path& path, const Type& parent_type, const FieldDef& def) {
  auto inner = [&](const TypeRef& t) -> std::optional<value> {
    if (result.is_null()) return value(nullptr);
    if (t.is_list()) {
      const TypeRef item_type = t.of_type();
      boost::json::array out(storage_);
      auto add = [&](const Value& item, std::size_t i) {
        Path here{&path, {}, i, true};
        std::optional<value> v = complete_value_now(item_type, fields, item, here, parent_type, def);
        if (!v) return false;
        out.push_back(std::move(*v));
        return true;
      };
      if (result.kind() == Value::Kind::List) {
        out.reserve(result.items().size());
        for (std::size_t i = 0; i < result.items().size(); ++i)
          if (!add(result.items()[i], i)) return std::nullopt;
      } else if (result.kind() == Value::Kind::Json && result.json().is_array()) {
        const auto& array = result.json().as_array();
        out.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i)
          if (!add(Value::borrow(array[i]), i)) return std::nullopt;
      } else {
        field_error("Expected Iterable, but did not find one for field \"" + parent_type.name + "." + def.name + "\".", fields,
                    path);
        return std::nullopt;
      }
      return value(std::move(out));
    }
    const Type* named = def.named_type;  // t only differs from def.type by its wrappers
    if (!named) return value(nullptr);
    if (!named->is_leaf()) return complete_object_now(*named, fields, result, path, parent_type, def);
    if (result.kind() != Value::Kind::Json) {
      field_error("Expected a value of type \"" + named->name + "\" for field " + parent_type.name + "." + def.name +
                      ", but the resolver returned an object or a list.",
                  fields, path);
      return std::nullopt;
    }
    return complete_leaf(*named, result.json(), fields, path);
  };
  if (type.is_non_null()) {
    std::optional<value> v = inner(type.of_type());
    if (!v) return std::nullopt;
    if (v->is_null()) {
      field_error("Cannot return null for non-nullable field " + parent_type.name + "." + def.name + ".", fields, path);
      return std::nullopt;
    }
    return v;
  }
  std::optional<value> v = inner(type);
  if (!v) return value(nullptr);
  return v;
}

awaitable<std::optional<value>> Execution::execute_field(const Type& type, const Value& parent, const Fields& fields,
                                                         const Path& path) {
  const Selection& node = *fields.front();
  const FieldDef* def = in_.schema.field(type, node.name);
  if (!def) co_return value(nullptr);  // unreachable after validation
  auto null_result = [&]() -> std::optional<value> {
    if (def->type.is_non_null()) return std::nullopt;
    return value(nullptr);
  };
  Value result;
  if (!def->resolve) {
    if (!resolve_now(type, parent, fields, path, *def, result)) co_return null_result();
    co_return co_await complete_value(def->type, fields, result, path, type, *def);
  }
  if (past_deadline(fields, path)) co_return null_result();
  std::exception_ptr failure;
  try {
    boost::json::object args = coerce_arguments(in_.schema, def->args, node.arguments, in_.variables);
    ResolveInfo info(in_.schema, type, *def, fields, in_.variables, in_.context, &loaders_,
                     [&path] { return path_json(&path); }, &in_.document.fragments, storage_);
    auto task = def->resolve(parent, args, info);
    result = co_await std::move(task);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    record_exception(failure, fields, path_json(&path));
    co_return null_result();
  }
  if (completes_now(*def, fields)) co_return complete_value_now(def->type, fields, result, path, type, *def);
  co_return co_await complete_value(def->type, fields, result, path, type, *def);
}

awaitable<std::optional<value>> Execution::complete_value(const TypeRef& type, const Fields& fields, const Value& result,
                                                          const Path& path, const Type& parent_type, const FieldDef& def) {
  if (type.is_non_null()) {
    const TypeRef inner = type.of_type();
    std::optional<value> v = co_await complete_inner(inner, fields, result, path, parent_type, def);
    if (!v) co_return std::nullopt;  // the error is recorded; propagate
    if (v->is_null()) {
      field_error("Cannot return null for non-nullable field " + parent_type.name + "." + def.name + ".", fields, path);
      co_return std::nullopt;
    }
    co_return v;
  }
  std::optional<value> v = co_await complete_inner(type, fields, result, path, parent_type, def);
  if (!v) co_return value(nullptr);  // this position is nullable: the propagation stops here
  co_return v;
}

awaitable<std::optional<value>> Execution::complete_inner(const TypeRef& type, const Fields& fields, const Value& result,
                                                          const Path& path, const Type& parent_type, const FieldDef& def) {
  if (result.is_null()) co_return value(nullptr);
  if (type.is_list()) co_return co_await complete_list(type, fields, result, path, parent_type, def);
  const Type* named = def.named_type;
  if (!named) co_return value(nullptr);
  if (!named->is_leaf()) co_return co_await complete_object(*named, fields, result, path, parent_type, def);
  if (result.kind() != Value::Kind::Json) {
    field_error("Expected a value of type \"" + named->name + "\" for field " + parent_type.name + "." + def.name +
                    ", but the resolver returned an object or a list.",
                fields, path);
    co_return std::nullopt;
  }
  co_return complete_leaf(*named, result.json(), fields, path);
}

std::optional<value> Execution::complete_leaf(const Type& type, const value& in, const Fields& fields, const Path& path) {
  value out(storage_);
  std::string why;
  if (!serialize_leaf(type, in, out, why)) {
    field_error(why, fields, path);
    return std::nullopt;
  }
  return out;
}

const Type* Execution::runtime_type(const Type& abstract_type, const Value& v, const Fields& fields, const Path& path,
                                    const Type& parent_type, const FieldDef& def) {
  std::string name;
  if (abstract_type.resolve_type) {
    ResolveInfo info(in_.schema, parent_type, def, fields, in_.variables, in_.context, &loaders_,
                     [&path] { return path_json(&path); }, &in_.document.fragments, storage_);
    name = abstract_type.resolve_type(v, info);
  }
  if (name.empty()) name = v.type_name();
  if (name.empty() && v.kind() == Value::Kind::Json && v.json().is_object()) {
    auto it = v.json().as_object().find("__typename");
    if (it != v.json().as_object().end() && it->value().is_string()) name = it->value().as_string();
  }
  if (name.empty() && abstract_type.possible_types.size() == 1) return abstract_type.possible_types.front();
  const Type* t = name.empty() ? nullptr : in_.schema.type(name);
  if (!t || t->kind != TypeKind::Object || !in_.schema.is_possible_type(abstract_type, *t)) {
    field_error(name.empty() ? "Abstract type \"" + abstract_type.name + "\" must resolve to an Object type at runtime for field \"" +
                                   parent_type.name + "." + def.name + "\"."
                             : "Runtime Object type \"" + name + "\" is not a possible type for \"" + abstract_type.name + "\".",
                fields, path);
    return nullptr;
  }
  return t;
}

const Type* Execution::object_type_of(const Type& type, const Fields& fields, const Value& result, const Path& path,
                                      const Type& parent_type, const FieldDef& def) {
  const Type* object_type = &type;
  if (type.is_abstract()) {
    object_type = runtime_type(type, result, fields, path, parent_type, def);
    if (!object_type) return nullptr;
  }
  if (result.kind() == Value::Kind::List || (result.kind() == Value::Kind::Json && !result.json().is_object())) {
    field_error("Expected an object for field " + parent_type.name + "." + def.name + " of type \"" + type.name + "\".", fields,
                path);
    return nullptr;
  }
  return object_type;
}

awaitable<std::optional<value>> Execution::complete_object(const Type& type, const Fields& fields, const Value& result,
                                                           const Path& path, const Type& parent_type, const FieldDef& def) {
  const Type* object_type = object_type_of(type, fields, result, path, parent_type, def);
  if (!object_type) co_return std::nullopt;
  std::optional<boost::json::object> obj = co_await execute_fields(*object_type, result, subfields(*object_type, fields), &path);
  if (!obj) co_return std::nullopt;
  co_return value(std::move(*obj));
}

std::optional<value> Execution::complete_object_now(const Type& type, const Fields& fields, const Value& result,
                                                    const Path& path, const Type& parent_type, const FieldDef& def) {
  const Type* object_type = object_type_of(type, fields, result, path, parent_type, def);
  if (!object_type) return std::nullopt;
  if (std::optional<boost::json::object> projected = try_project(*object_type, fields, result))
    return value(std::move(*projected));
  std::optional<boost::json::object> obj = execute_fields_now(*object_type, result, subfields(*object_type, fields), &path);
  if (!obj) return std::nullopt;
  return value(std::move(*obj));
}

awaitable<void> Execution::complete_item(const TypeRef& type, const Fields& fields, const Value& item, Path path,
                                         const Type& parent_type, const FieldDef& def, std::optional<value>& out) {
  out = co_await complete_value(type, fields, item, path, parent_type, def);
}

awaitable<std::optional<value>> Execution::complete_list(const TypeRef& type, const Fields& fields, const Value& result,
                                                         const Path& path, const Type& parent_type, const FieldDef& def) {
  const TypeRef item_type = type.of_type();
  // Items as Values: a JSON array's elements are wrapped (leaves take the fast path below).
  std::vector<Value> wrapped;
  const std::vector<Value>* items = nullptr;
  const Type* named = def.named_type;
  if (result.kind() == Value::Kind::List) {
    items = &result.items();
  } else if (result.kind() == Value::Kind::Json && result.json().is_array()) {
    const auto& array = result.json().as_array();
    if (named && named->is_leaf() && item_type.is_named()) {
      boost::json::array out(storage_);
      out.reserve(array.size());
      for (std::size_t i = 0; i < array.size(); ++i) {
        Path here{&path, {}, i, true};
        if (array[i].is_null()) {
          out.push_back(nullptr);
          continue;
        }
        std::optional<value> v = complete_leaf(*named, array[i], fields, here);
        out.push_back(v ? std::move(*v) : value(nullptr));
      }
      co_return value(std::move(out));
    }
    wrapped.reserve(array.size());
    for (const auto& element : array) wrapped.push_back(Value::borrow(element));
    items = &wrapped;
  } else {
    field_error("Expected Iterable, but did not find one for field \"" + parent_type.name + "." + def.name + "\".", fields, path);
    co_return std::nullopt;
  }

  const std::size_t n = items->size();
  std::vector<std::optional<value>> results(n);
  const bool concurrent = n > 1 && named && named->is_composite();
  if (concurrent) {
    Join join(batcher_, n);
    batcher_.enter(static_cast<int>(n));
    for (std::size_t i = 0; i < n; ++i) {
      Path here{&path, {}, i, true};
      boost::asio::co_spawn(strand_, complete_item(item_type, fields, (*items)[i], here, parent_type, def, results[i]),
                            [this, &join](std::exception_ptr e) {
                              if (e && !join.error) join.error = e;
                              if (--join.remaining == 0) join.waiter.wake();
                              batcher_.leave();
                            });
    }
    co_await join.waiter.wait();
    if (join.error) std::rethrow_exception(join.error);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      Path here{&path, {}, i, true};
      results[i] = co_await complete_value(item_type, fields, (*items)[i], here, parent_type, def);
    }
  }
  boost::json::array out(storage_);
  out.reserve(n);
  for (auto& r : results) {
    if (!r) co_return std::nullopt;  // a non-null item failed: the list becomes null
    out.push_back(std::move(*r));
  }
  co_return value(std::move(out));
}

}  // namespace parley::graphql
