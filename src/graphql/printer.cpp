#include "graphql/printer.hpp"

#include "graphql/parser.hpp"

namespace parley::graphql {
namespace {

std::string description(const std::string& text, const std::string& indent, bool first_in_block) {
  if (text.empty()) return "";
  std::string out = (indent.empty() || first_in_block) ? "" : "\n";
  const bool block = text.find('\n') != std::string::npos || text.size() > 70;
  if (!block) return out + indent + print_string(text) + "\n";
  std::string escaped;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "\"\"\"") == 0) {
      escaped += "\\\"\"\"";
      i += 2;
    } else {
      escaped += text[i];
    }
  }
  out += indent + "\"\"\"\n";
  std::size_t start = 0;
  while (start <= escaped.size()) {
    std::size_t end = escaped.find('\n', start);
    if (end == std::string::npos) end = escaped.size();
    std::string_view line(escaped.data() + start, end - start);
    out += line.empty() ? "\n" : indent + std::string(line) + "\n";
    start = end + 1;
  }
  return out + indent + "\"\"\"\n";
}

std::string deprecated(bool is_deprecated, const std::string& reason) {
  if (!is_deprecated) return "";
  if (reason.empty() || reason == "No longer supported") return " @deprecated";
  return " @deprecated(reason: " + print_string(reason) + ")";
}

std::string input_value(const InputValue& v) {
  std::string out = v.name + ": " + v.type.to_string();
  if (v.default_value) out += " = " + print_value(*v.default_value);
  return out + deprecated(v.deprecated, v.deprecation_reason);
}

std::string arguments(const std::vector<InputValue>& args, const std::string& indent) {
  if (args.empty()) return "";
  bool described = false;
  for (const auto& a : args) described |= !a.description.empty();
  if (!described) {
    std::string out = "(";
    for (std::size_t i = 0; i < args.size(); ++i) out += (i ? ", " : "") + input_value(args[i]);
    return out + ")";
  }
  std::string out = "(\n";
  for (std::size_t i = 0; i < args.size(); ++i)
    out += description(args[i].description, indent + "  ", i == 0) + indent + "  " + input_value(args[i]) + "\n";
  return out + indent + ")";
}

}  // namespace

std::string print_type(const Type& t) {
  std::string out = description(t.description, "", true);
  switch (t.kind) {
    case TypeKind::Scalar:
      out += "scalar " + t.name;
      if (!t.specified_by_url.empty()) out += " @specifiedBy(url: " + print_string(t.specified_by_url) + ")";
      return out;
    case TypeKind::Object:
    case TypeKind::Interface: {
      out += (t.kind == TypeKind::Object ? "type " : "interface ") + t.name;
      for (std::size_t i = 0; i < t.interfaces.size(); ++i) out += (i ? " & " : " implements ") + t.interfaces[i];
      out += " {\n";
      for (std::size_t i = 0; i < t.fields.size(); ++i) {
        const FieldDef& f = t.fields[i];
        out += description(f.description, "  ", i == 0) + "  " + f.name + arguments(f.args, "  ") + ": " + f.type.to_string() +
               deprecated(f.deprecated, f.deprecation_reason) + "\n";
      }
      return out + "}";
    }
    case TypeKind::Union: {
      out += "union " + t.name;
      for (std::size_t i = 0; i < t.possible_types.size(); ++i) out += (i ? " | " : " = ") + t.possible_types[i]->name;
      return out;
    }
    case TypeKind::Enum: {
      out += "enum " + t.name + " {\n";
      for (std::size_t i = 0; i < t.enum_values.size(); ++i) {
        const EnumValue& v = t.enum_values[i];
        out += description(v.description, "  ", i == 0) + "  " + v.name + deprecated(v.deprecated, v.deprecation_reason) + "\n";
      }
      return out + "}";
    }
    case TypeKind::InputObject: {
      out += "input " + t.name + " {\n";
      for (std::size_t i = 0; i < t.input_fields.size(); ++i)
        out += description(t.input_fields[i].description, "  ", i == 0) + "  " + input_value(t.input_fields[i]) + "\n";
      return out + "}";
    }
    default: return out;
  }
}

std::string print_schema(const Schema& schema) {
  std::vector<std::string> blocks;
  const Type* q = schema.query_type();
  const Type* m = schema.mutation_type();
  const Type* s = schema.subscription_type();
  const bool conventional = (!q || q->name == "Query") && (!m || m->name == "Mutation") && (!s || s->name == "Subscription");
  if (!conventional || !schema.description().empty()) {
    std::string out = description(schema.description(), "", true) + "schema {\n";
    if (q) out += "  query: " + q->name + "\n";
    if (m) out += "  mutation: " + m->name + "\n";
    if (s) out += "  subscription: " + s->name + "\n";
    blocks.push_back(out + "}");
  }
  for (const auto& d : schema.directives()) {
    if (d->builtin) continue;
    std::string out = description(d->description, "", true) + "directive @" + d->name + arguments(d->args, "") +
                      (d->repeatable ? " repeatable" : "") + " on ";
    for (std::size_t i = 0; i < d->locations.size(); ++i) out += (i ? " | " : "") + d->locations[i];
    blocks.push_back(out);
  }
  for (const auto& t : schema.types())
    if (!t->builtin) blocks.push_back(print_type(*t));
  std::string out;
  for (std::size_t i = 0; i < blocks.size(); ++i) out += (i ? "\n\n" : "") + blocks[i];
  return out + "\n";
}

}  // namespace parley::graphql
