#include "graphql/values.hpp"

#include "graphql/parser.hpp"

#include <charconv>
#include <cmath>

namespace parley::graphql {
namespace {

std::string show(const boost::json::value& v) { return boost::json::serialize(v); }

// Hooks are application code: an exception from one means "cannot represent / invalid".
std::optional<boost::json::value> call_hook(
    const std::function<std::optional<boost::json::value>(const boost::json::value&)>& hook, const boost::json::value& v) {
  try {
    return hook(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string join_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

bool builtin_scalar_input(const Type& type, const boost::json::value& in, boost::json::value& out, std::string& error) {
  const std::string& n = type.name;
  if (n == "Int") {
    if (in.is_int64() && in.as_int64() >= kIntMin && in.as_int64() <= kIntMax) {
      out = in.as_int64();
      return true;
    }
    if (in.is_uint64() && in.as_uint64() <= static_cast<std::uint64_t>(kIntMax)) {
      out = static_cast<std::int64_t>(in.as_uint64());
      return true;
    }
    if (in.is_double() && std::trunc(in.as_double()) == in.as_double() && in.as_double() >= static_cast<double>(kIntMin) &&
        in.as_double() <= static_cast<double>(kIntMax)) {
      out = static_cast<std::int64_t>(in.as_double());
      return true;
    }
    error = in.is_number() ? "Int cannot represent non 32-bit signed integer value: " + show(in)
                           : "Int cannot represent non-integer value: " + show(in);
    return false;
  }
  if (n == "Float") {
    if (in.is_number()) {
      out = in.to_number<double>();
      return true;
    }
    error = "Float cannot represent non numeric value: " + show(in);
    return false;
  }
  if (n == "String") {
    if (in.is_string()) {
      out = in;
      return true;
    }
    error = "String cannot represent a non string value: " + show(in);
    return false;
  }
  if (n == "Boolean") {
    if (in.is_bool()) {
      out = in;
      return true;
    }
    error = "Boolean cannot represent a non boolean value: " + show(in);
    return false;
  }
  if (n == "ID") {
    if (in.is_string()) {
      out = in;
      return true;
    }
    if (in.is_int64() || in.is_uint64()) {
      out = boost::json::string(show(in));
      return true;
    }
    error = "ID cannot represent value: " + show(in);
    return false;
  }
  // A custom scalar.
  if (type.scalar.parse) {
    auto parsed = call_hook(type.scalar.parse, in);
    if (!parsed) {
      error = "Expected type \"" + n + "\", found " + show(in) + ".";
      return false;
    }
    out = std::move(*parsed);
    return true;
  }
  out = in;
  return true;
}

}  // namespace

Coerced coerce_input(const Schema& schema, const boost::json::value& in, const TypeRef& type, boost::json::value& out,
                     std::string& error, const std::string& path, int depth) {
  auto at = [&](const std::string& message) {
    error = path.empty() ? message : message + " (at \"" + path + "\")";
    return Coerced::Invalid;
  };
  if (depth > kMaxInputDepth) return at("Input is nested too deeply.");
  if (type.is_non_null()) {
    if (in.is_null()) return at("Expected non-nullable type \"" + type.to_string() + "\" not to be null.");
    return coerce_input(schema, in, type.of_type(), out, error, path, depth);
  }
  if (in.is_null()) {
    out = nullptr;
    return Coerced::Ok;
  }
  if (type.is_list()) {
    const TypeRef item = type.of_type();
    if (in.is_array()) {
      boost::json::array items;
      items.reserve(in.as_array().size());
      std::size_t i = 0;
      for (const auto& element : in.as_array()) {
        boost::json::value v;
        if (coerce_input(schema, element, item, v, error, path + "[" + std::to_string(i++) + "]", depth + 1) != Coerced::Ok)
          return Coerced::Invalid;
        items.push_back(std::move(v));
      }
      out = std::move(items);
      return Coerced::Ok;
    }
    boost::json::value v;
    if (coerce_input(schema, in, item, v, error, path, depth + 1) != Coerced::Ok) return Coerced::Invalid;
    out = boost::json::array{std::move(v)};
    return Coerced::Ok;
  }
  const Type* named = schema.type(type.name);
  if (!named) return at("Unknown type \"" + type.name + "\".");
  switch (named->kind) {
    case TypeKind::Scalar: {
      std::string why;
      if (!builtin_scalar_input(*named, in, out, why)) return at(why);
      return Coerced::Ok;
    }
    case TypeKind::Enum:
      if (in.is_string() && named->enum_value(in.as_string())) {
        out = in;
        return Coerced::Ok;
      }
      return at("Value " + show(in) + " does not exist in \"" + named->name + "\" enum.");
    case TypeKind::InputObject: {
      if (!in.is_object()) return at("Expected type \"" + named->name + "\" to be an object.");
      const auto& obj = in.as_object();
      for (const auto& member : obj)
        if (!named->input_field(member.key()))
          return at("Field \"" + std::string(member.key()) + "\" is not defined by type \"" + named->name + "\".");
      boost::json::object result;
      for (const auto& field : named->input_fields) {
        auto it = obj.find(field.name);
        if (it == obj.end()) {
          if (field.default_json) {
            result[field.name] = *field.default_json;
          } else if (field.type.is_non_null()) {
            return at("Field \"" + field.name + "\" of required type \"" + field.type.to_string() + "\" was not provided.");
          }
          continue;
        }
        boost::json::value v;
        if (coerce_input(schema, it->value(), field.type, v, error, join_path(path, field.name), depth + 1) != Coerced::Ok)
          return Coerced::Invalid;
        result[field.name] = std::move(v);
      }
      out = std::move(result);
      return Coerced::Ok;
    }
    default: return at("Type \"" + named->name + "\" is not an input type.");
  }
}

boost::json::value literal_to_json(const ValueNode& node, const boost::json::object* variables) {
  switch (node.kind) {
    case ValueNode::Kind::Variable: {
      if (variables)
        if (auto it = variables->find(node.text); it != variables->end()) return it->value();
      return nullptr;
    }
    case ValueNode::Kind::Int: {
      std::int64_t n = 0;
      auto [p, ec] = std::from_chars(node.text.data(), node.text.data() + node.text.size(), n);
      if (ec == std::errc()) return n;
      return std::strtod(node.text.c_str(), nullptr);
    }
    case ValueNode::Kind::Float: return std::strtod(node.text.c_str(), nullptr);
    case ValueNode::Kind::String:
    case ValueNode::Kind::Enum: return boost::json::string(node.text);
    case ValueNode::Kind::Boolean: return node.boolean;
    case ValueNode::Kind::Null: return nullptr;
    case ValueNode::Kind::List: {
      boost::json::array a;
      for (const auto& item : node.list) a.push_back(literal_to_json(item, variables));
      return a;
    }
    case ValueNode::Kind::Object: {
      boost::json::object o;
      for (const auto& f : node.fields) o[f.name] = literal_to_json(f.value, variables);
      return o;
    }
  }
  return nullptr;
}

Coerced coerce_literal(const Schema& schema, const ValueNode& node, const TypeRef& type,
                       const boost::json::object* variables, boost::json::value& out, std::string& error) {
  if (node.kind == ValueNode::Kind::Variable) {
    if (!variables) {
      error = "Unexpected variable \"$" + node.text + "\" in constant value.";
      return Coerced::Invalid;
    }
    auto it = variables->find(node.text);
    if (it == variables->end()) return Coerced::Missing;
    if (type.is_non_null() && it->value().is_null()) {
      error = "Expected non-nullable type \"" + type.to_string() + "\" not to be null.";
      return Coerced::Invalid;
    }
    out = it->value();
    return Coerced::Ok;
  }
  if (type.is_non_null()) {
    if (node.kind == ValueNode::Kind::Null) {
      error = "Expected value of non-null type \"" + type.to_string() + "\", found null.";
      return Coerced::Invalid;
    }
    return coerce_literal(schema, node, type.of_type(), variables, out, error);
  }
  if (node.kind == ValueNode::Kind::Null) {
    out = nullptr;
    return Coerced::Ok;
  }
  auto invalid = [&]() {
    error = "Expected value of type \"" + type.to_string() + "\", found " + print_value(node) + ".";
    return Coerced::Invalid;
  };
  if (type.is_list()) {
    const TypeRef item = type.of_type();
    if (node.kind == ValueNode::Kind::List) {
      boost::json::array items;
      for (const auto& element : node.list) {
        boost::json::value v;
        Coerced c = coerce_literal(schema, element, item, variables, v, error);
        if (c == Coerced::Invalid) return c;
        if (c == Coerced::Missing) {
          if (item.is_non_null()) return invalid();
          v = nullptr;
        }
        items.push_back(std::move(v));
      }
      out = std::move(items);
      return Coerced::Ok;
    }
    boost::json::value v;
    Coerced c = coerce_literal(schema, node, item, variables, v, error);
    if (c != Coerced::Ok) return c;
    out = boost::json::array{std::move(v)};
    return Coerced::Ok;
  }
  const Type* named = schema.type(type.name);
  if (!named) return invalid();
  switch (named->kind) {
    case TypeKind::InputObject: {
      if (node.kind != ValueNode::Kind::Object) return invalid();
      for (const auto& f : node.fields)
        if (!named->input_field(f.name)) {
          error = "Field \"" + f.name + "\" is not defined by type \"" + named->name + "\".";
          return Coerced::Invalid;
        }
      boost::json::object result;
      for (const auto& field : named->input_fields) {
        const ValueNode* given = nullptr;
        for (const auto& f : node.fields)
          if (f.name == field.name) given = &f.value;
        Coerced c = Coerced::Missing;
        boost::json::value v;
        if (given) c = coerce_literal(schema, *given, field.type, variables, v, error);
        if (c == Coerced::Invalid) return c;
        if (c == Coerced::Missing) {
          if (field.default_json) {
            result[field.name] = *field.default_json;
          } else if (field.type.is_non_null()) {
            error = "Field \"" + named->name + "." + field.name + "\" of required type \"" + field.type.to_string() +
                    "\" was not provided.";
            return Coerced::Invalid;
          }
          continue;
        }
        result[field.name] = std::move(v);
      }
      out = std::move(result);
      return Coerced::Ok;
    }
    case TypeKind::Enum:
      if (node.kind != ValueNode::Kind::Enum || !named->enum_value(node.text)) return invalid();
      out = boost::json::string(node.text);
      return Coerced::Ok;
    case TypeKind::Scalar: {
      const std::string& n = named->name;
      using K = ValueNode::Kind;
      if (n == "Int") {
        if (node.kind != K::Int) return invalid();
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(node.text.data(), node.text.data() + node.text.size(), v);
        if (ec != std::errc() || v < kIntMin || v > kIntMax) {
          error = "Int cannot represent non 32-bit signed integer value: " + node.text;
          return Coerced::Invalid;
        }
        out = v;
        return Coerced::Ok;
      }
      if (n == "Float") {
        if (node.kind != K::Int && node.kind != K::Float) return invalid();
        double d = std::strtod(node.text.c_str(), nullptr);
        if (!std::isfinite(d)) return invalid();
        out = d;
        return Coerced::Ok;
      }
      if (n == "String") {
        if (node.kind != K::String) return invalid();
        out = boost::json::string(node.text);
        return Coerced::Ok;
      }
      if (n == "Boolean") {
        if (node.kind != K::Boolean) return invalid();
        out = node.boolean;
        return Coerced::Ok;
      }
      if (n == "ID") {
        if (node.kind != K::String && node.kind != K::Int) return invalid();
        out = boost::json::string(node.text);
        return Coerced::Ok;
      }
      boost::json::value raw = literal_to_json(node, variables);
      if (named->scalar.parse) {
        auto parsed = call_hook(named->scalar.parse, raw);
        if (!parsed) return invalid();
        out = std::move(*parsed);
      } else {
        out = std::move(raw);
      }
      return Coerced::Ok;
    }
    default: return invalid();
  }
}

boost::json::object coerce_variables(const Schema& schema, const OperationDefinition& operation,
                                     const boost::json::object& inputs, std::vector<Error>& errors) {
  boost::json::object coerced;
  for (const auto& def : operation.variables) {
    const Type* named = schema.type(def.type.name);
    if (!named || !named->is_input()) {
      errors.push_back({"Variable \"$" + def.name + "\" expected value of type \"" + def.type.to_string() +
                            "\" which cannot be used as an input type.",
                        {def.loc}, {}, codes::kBadUserInput, {}});
      continue;
    }
    auto it = inputs.find(def.name);
    if (it == inputs.end()) {
      if (def.default_value) {
        boost::json::value v;
        std::string why;
        if (coerce_literal(schema, *def.default_value, def.type, nullptr, v, why) == Coerced::Ok) coerced[def.name] = std::move(v);
      } else if (def.type.is_non_null()) {
        errors.push_back({"Variable \"$" + def.name + "\" of required type \"" + def.type.to_string() + "\" was not provided.",
                          {def.loc}, {}, codes::kBadUserInput, {}});
      }
      continue;
    }
    boost::json::value v;
    std::string why;
    if (coerce_input(schema, it->value(), def.type, v, why) != Coerced::Ok) {
      std::string shown = boost::json::serialize(it->value());
      if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
      errors.push_back({"Variable \"$" + def.name + "\" got invalid value " + shown + "; " + why, {def.loc}, {},
                        codes::kBadUserInput, {}});
      continue;
    }
    coerced[def.name] = std::move(v);
  }
  return coerced;
}

boost::json::object coerce_arguments(const Schema& schema, const std::vector<InputValue>& definitions,
                                     const std::vector<Argument>& arguments, const boost::json::object& variables) {
  boost::json::object coerced;
  for (const auto& def : definitions) {
    const Argument* given = nullptr;
    for (const auto& a : arguments)
      if (a.name == def.name) given = &a;
    Coerced c = Coerced::Missing;
    boost::json::value v;
    std::string why;
    if (given) c = coerce_literal(schema, given->value, def.type, &variables, v, why);
    if (c == Coerced::Invalid) throw FieldError("Argument \"" + def.name + "\" has invalid value: " + why, codes::kBadUserInput);
    if (c == Coerced::Missing) {
      if (def.default_json) {
        coerced[def.name] = *def.default_json;
      } else if (def.type.is_non_null()) {
        throw FieldError("Argument \"" + def.name + "\" of required type \"" + def.type.to_string() + "\" was not provided.",
                         codes::kBadUserInput);
      }
      continue;
    }
    coerced[def.name] = std::move(v);
  }
  return coerced;
}

bool serialize_leaf(const Type& type, const boost::json::value& in, boost::json::value& out, std::string& error) {
  if (type.kind == TypeKind::Enum) {
    if (in.is_string() && type.enum_value(in.as_string())) {
      out = in;
      return true;
    }
    error = "Enum \"" + type.name + "\" cannot represent value: " + show(in);
    return false;
  }
  const std::string& n = type.name;
  if (n == "Int") {
    if (in.is_bool()) {
      out = static_cast<std::int64_t>(in.as_bool());
      return true;
    }
    boost::json::value v;
    if (builtin_scalar_input(type, in, v, error)) {
      out = std::move(v);
      return true;
    }
    return false;
  }
  if (n == "Float") {
    if (in.is_number() && std::isfinite(in.to_number<double>())) {
      out = in.to_number<double>();
      return true;
    }
    if (in.is_bool()) {
      out = in.as_bool() ? 1.0 : 0.0;
      return true;
    }
    error = "Float cannot represent non numeric value: " + show(in);
    return false;
  }
  if (n == "String" || n == "ID") {
    if (in.is_string()) {
      out = in;
      return true;
    }
    if (in.is_int64() || in.is_uint64() || (n == "String" && in.is_number())) {
      out = boost::json::string(show(in));
      return true;
    }
    if (n == "String" && in.is_bool()) {
      out = boost::json::string(in.as_bool() ? "true" : "false");
      return true;
    }
    error = n + " cannot represent value: " + show(in);
    return false;
  }
  if (n == "Boolean") {
    if (in.is_bool()) {
      out = in;
      return true;
    }
    if (in.is_number()) {
      out = in.to_number<double>() != 0;
      return true;
    }
    error = "Boolean cannot represent a non boolean value: " + show(in);
    return false;
  }
  if (type.scalar.serialized_as_is && in.kind() == *type.scalar.serialized_as_is) {
    out = in;
    return true;
  }
  if (type.scalar.serialize) {
    auto v = call_hook(type.scalar.serialize, in);
    if (!v) {
      error = "\"" + n + "\" cannot represent value: " + show(in);
      return false;
    }
    out = std::move(*v);
    return true;
  }
  out = in;
  return true;
}

}  // namespace parley::graphql
