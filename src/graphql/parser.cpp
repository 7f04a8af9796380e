#include "graphql/parser.hpp"

#include "graphql/error.hpp"
#include "graphql/lexer.hpp"

#include <cstdio>

namespace parley::graphql {
namespace {

class Parser {
 public:
  Parser(std::string_view source, const ParseOptions& options)
      : lexer_(source, options.max_tokens), max_depth_(options.max_depth) {
    tok_ = lexer_.next();
  }

  Document document() {
    Document doc;
    if (tok_.kind == TokenKind::Eof) unexpected();
    while (tok_.kind != TokenKind::Eof) definition(doc);
    doc.token_count = lexer_.token_count();
    return doc;
  }

  ValueNode single_value() {
    ValueNode v = value(true);
    expect(TokenKind::Eof);
    return v;
  }

 private:
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.max_depth_)
        throw SyntaxError("Syntax Error: Document is nested too deeply (more than " + std::to_string(p.max_depth_) +
                              " levels).",
                          p.tok_.loc);
    }
    ~DepthGuard() { --p.depth_; }
  };

  // ---- token helpers ----
  Token advance() {
    Token t = std::move(tok_);
    last_end_ = t.end;
    tok_ = lexer_.next();
    return t;
  }
  bool peek(TokenKind kind) const { return tok_.kind == kind; }
  bool peek_keyword(std::string_view word) const { return tok_.kind == TokenKind::Name && tok_.text == word; }
  bool skip(TokenKind kind) {
    if (!peek(kind)) return false;
    advance();
    return true;
  }
  std::string describe(const Token& t) const {
    if (t.kind == TokenKind::Name) return "Name \"" + std::string(t.text) + "\"";
    if (t.kind == TokenKind::Int || t.kind == TokenKind::Float)
      return std::string(to_string(t.kind)) + " \"" + std::string(t.text) + "\"";
    if (t.kind == TokenKind::String || t.kind == TokenKind::BlockString) return to_string(t.kind);
    return to_string(t.kind);
  }
  [[noreturn]] void unexpected() const {
    throw SyntaxError("Syntax Error: Unexpected " + describe(tok_) + ".", tok_.loc);
  }
  Token expect(TokenKind kind) {
    if (!peek(kind))
      throw SyntaxError("Syntax Error: Expected " + std::string(to_string(kind)) + ", found " + describe(tok_) + ".",
                        tok_.loc);
    return advance();
  }
  void expect_keyword(std::string_view word) {
    if (!peek_keyword(word))
      throw SyntaxError("Syntax Error: Expected \"" + std::string(word) + "\", found " + describe(tok_) + ".", tok_.loc);
    advance();
  }
  Name name() {
    Token t = expect(TokenKind::Name);
    return {std::string(t.text), t.loc};
  }

  // ---- definitions ----
  void definition(Document& doc) {
    if (peek(TokenKind::LBrace)) {
      doc.operations.push_back(operation());
      return;
    }
    bool described = peek(TokenKind::String) || peek(TokenKind::BlockString);
    std::string description;
    Location desc_loc = tok_.loc;
    if (described) description = advance().value;
    if (!peek(TokenKind::Name)) unexpected();
    const std::string_view word = tok_.text;
    if (!described && (word == "query" || word == "mutation" || word == "subscription")) {
      doc.operations.push_back(operation());
    } else if (!described && word == "fragment") {
      doc.fragments.push_back(fragment());
    } else if (word == "schema" || word == "scalar" || word == "type" || word == "interface" || word == "union" ||
               word == "enum" || word == "input" || word == "directive" || (word == "extend" && !described)) {
      doc.type_system_locations.push_back(described ? desc_loc : tok_.loc);
      type_system(doc, std::move(description));
    } else {
      if (described)
        throw SyntaxError("Syntax Error: Unexpected " + describe(tok_) + ".", tok_.loc);
      unexpected();
    }
  }

  OperationDefinition operation() {
    OperationDefinition op;
    op.loc = tok_.loc;
    if (peek(TokenKind::LBrace)) {
      op.selection_set = selection_set();
      return op;
    }
    op.operation = operation_type();
    if (peek(TokenKind::Name)) op.name = std::string(advance().text);
    if (peek(TokenKind::LParen)) {
      advance();
      do op.variables.push_back(variable_definition());
      while (!skip(TokenKind::RParen));
    }
    op.directives = directives(false);
    op.selection_set = selection_set();
    return op;
  }

  OperationType operation_type() {
    Token t = expect(TokenKind::Name);
    if (t.text == "query") return OperationType::Query;
    if (t.text == "mutation") return OperationType::Mutation;
    if (t.text == "subscription") return OperationType::Subscription;
    throw SyntaxError("Syntax Error: Unexpected " + describe(t) + ".", t.loc);
  }

  VariableDefinition variable_definition() {
    VariableDefinition v;
    v.loc = tok_.loc;
    expect(TokenKind::Dollar);
    v.name = name().value;
    expect(TokenKind::Colon);
    v.type_loc = tok_.loc;
    v.type = type();
    if (skip(TokenKind::Equals)) v.default_value = value(true);
    v.directives = directives(true);
    return v;
  }

  FragmentDefinition fragment() {
    FragmentDefinition f;
    f.loc = tok_.loc;
    expect_keyword("fragment");
    if (peek_keyword("on")) unexpected();
    f.name = name().value;
    expect_keyword("on");
    f.type_condition_loc = tok_.loc;
    f.type_condition = name().value;
    f.directives = directives(false);
    f.selection_set = selection_set();
    return f;
  }

  SelectionSet selection_set() {
    DepthGuard guard(*this);
    expect(TokenKind::LBrace);
    SelectionSet set;
    do set.push_back(selection());
    while (!skip(TokenKind::RBrace));
    return set;
  }

  Selection selection() {
    Selection s;
    s.loc = tok_.loc;
    s.begin = tok_.begin;
    if (skip(TokenKind::Spread)) {
      if (peek(TokenKind::Name) && !peek_keyword("on")) {
        s.kind = Selection::Kind::FragmentSpread;
        s.name = name().value;
        s.directives = directives(false);
      } else {
        s.kind = Selection::Kind::InlineFragment;
        if (peek_keyword("on")) {
          advance();
          s.name = name().value;
        }
        s.directives = directives(false);
        s.selection_set = selection_set();
      }
    } else {
      s.kind = Selection::Kind::Field;
      s.name = name().value;
      if (skip(TokenKind::Colon)) {
        s.alias = std::move(s.name);
        s.name = name().value;
      }
      s.arguments = arguments(false);
      s.directives = directives(false);
      if (peek(TokenKind::LBrace)) s.selection_set = selection_set();
    }
    s.end = last_end_;
    return s;
  }

  std::vector<Argument> arguments(bool is_const) {
    std::vector<Argument> args;
    if (!skip(TokenKind::LParen)) return args;
    do {
      Argument a;
      a.loc = tok_.loc;
      a.name = name().value;
      expect(TokenKind::Colon);
      a.value = value(is_const);
      args.push_back(std::move(a));
    } while (!skip(TokenKind::RParen));
    return args;
  }

  std::vector<Directive> directives(bool is_const) {
    std::vector<Directive> out;
    while (peek(TokenKind::At)) {
      Directive d;
      d.loc = tok_.loc;
      advance();
      d.name = name().value;
      d.arguments = arguments(is_const);
      out.push_back(std::move(d));
    }
    return out;
  }

  ValueNode value(bool is_const) {
    ValueNode v;
    v.loc = tok_.loc;
    switch (tok_.kind) {
      case TokenKind::LBracket: {
        DepthGuard guard(*this);
        advance();
        v.kind = ValueNode::Kind::List;
        while (!skip(TokenKind::RBracket)) v.list.push_back(value(is_const));
        return v;
      }
      case TokenKind::LBrace: {
        DepthGuard guard(*this);
        advance();
        v.kind = ValueNode::Kind::Object;
        while (!skip(TokenKind::RBrace)) {
          ObjectField f;
          f.loc = tok_.loc;
          f.name = name().value;
          expect(TokenKind::Colon);
          f.value = value(is_const);
          v.fields.push_back(std::move(f));
        }
        return v;
      }
      case TokenKind::Int:
        v.kind = ValueNode::Kind::Int;
        v.text = std::string(advance().text);
        return v;
      case TokenKind::Float:
        v.kind = ValueNode::Kind::Float;
        v.text = std::string(advance().text);
        return v;
      case TokenKind::String:
      case TokenKind::BlockString:
        v.kind = ValueNode::Kind::String;
        v.block_string = tok_.kind == TokenKind::BlockString;
        v.text = advance().value;
        return v;
      case TokenKind::Name: {
        Token t = advance();
        if (t.text == "true" || t.text == "false") {
          v.kind = ValueNode::Kind::Boolean;
          v.boolean = t.text == "true";
        } else if (t.text == "null") {
          v.kind = ValueNode::Kind::Null;
        } else {
          v.kind = ValueNode::Kind::Enum;
          v.text = std::string(t.text);
        }
        return v;
      }
      case TokenKind::Dollar:
        if (!is_const) {
          advance();
          v.kind = ValueNode::Kind::Variable;
          v.text = name().value;
          return v;
        }
        throw SyntaxError("Syntax Error: Unexpected variable in a constant value.", tok_.loc);
      default: unexpected();
    }
  }

  TypeRef type() {
    TypeRef t;
    if (peek(TokenKind::LBracket)) {
      DepthGuard guard(*this);
      advance();
      TypeRef inner = type();
      expect(TokenKind::RBracket);
      t.name = std::move(inner.name);
      t.mods = "[" + inner.mods;
    } else {
      t.name = name().value;
    }
    if (skip(TokenKind::Bang)) t.mods.insert(t.mods.begin(), '!');
    return t;
  }

  // ---- type system ----
  void type_system(Document& doc, std::string description) {
    bool extension = false;
    if (peek_keyword("extend")) {
      advance();
      extension = true;
    }
    const Location loc = tok_.loc;
    const std::string word(tok_.text);
    if (word == "schema") {
      advance();
      SchemaDefinition s;
      s.extension = extension;
      s.description = std::move(description);
      s.loc = loc;
      s.directives = directives(true);
      if (skip(TokenKind::LBrace)) {
        do {
          OperationType op = operation_type();
          expect(TokenKind::Colon);
          s.roots.emplace_back(op, name());
        } while (!skip(TokenKind::RBrace));
      } else if (!extension) {
        expect(TokenKind::LBrace);
      }
      doc.schemas.push_back(std::move(s));
      return;
    }
    if (word == "directive") {
      if (extension) unexpected();
      advance();
      DirectiveDefinition d;
      d.description = std::move(description);
      d.loc = loc;
      expect(TokenKind::At);
      d.name = name().value;
      d.arguments = argument_definitions();
      if (peek_keyword("repeatable")) {
        advance();
        d.repeatable = true;
      }
      expect_keyword("on");
      skip(TokenKind::Pipe);
      do d.locations.push_back(name());
      while (skip(TokenKind::Pipe));
      doc.directives.push_back(std::move(d));
      return;
    }
    TypeDefinition t;
    t.extension = extension;
    t.description = std::move(description);
    t.loc = loc;
    if (word == "scalar") t.kind = TypeKind::Scalar;
    else if (word == "type") t.kind = TypeKind::Object;
    else if (word == "interface") t.kind = TypeKind::Interface;
    else if (word == "union") t.kind = TypeKind::Union;
    else if (word == "enum") t.kind = TypeKind::Enum;
    else if (word == "input") t.kind = TypeKind::InputObject;
    else unexpected();
    advance();
    t.name = name().value;
    if ((t.kind == TypeKind::Object || t.kind == TypeKind::Interface) && peek_keyword("implements")) {
      advance();
      skip(TokenKind::Amp);
      do t.interfaces.push_back(name());
      while (skip(TokenKind::Amp));
    }
    t.directives = directives(true);
    switch (t.kind) {
      case TypeKind::Object:
      case TypeKind::Interface:
        if (peek(TokenKind::LBrace)) {
          DepthGuard guard(*this);
          advance();
          do t.fields.push_back(field_definition());
          while (!skip(TokenKind::RBrace));
        }
        break;
      case TypeKind::Union:
        if (skip(TokenKind::Equals)) {
          skip(TokenKind::Pipe);
          do t.members.push_back(name());
          while (skip(TokenKind::Pipe));
        }
        break;
      case TypeKind::Enum:
        if (peek(TokenKind::LBrace)) {
          advance();
          do {
            EnumValueDefinition v;
            if (peek(TokenKind::String) || peek(TokenKind::BlockString)) v.description = advance().value;
            v.loc = tok_.loc;
            if (peek_keyword("true") || peek_keyword("false") || peek_keyword("null"))
              throw SyntaxError("Syntax Error: " + std::string(tok_.text) + " is reserved and cannot be used for an enum value.",
                                tok_.loc);
            v.name = name().value;
            v.directives = directives(true);
            t.values.push_back(std::move(v));
          } while (!skip(TokenKind::RBrace));
        }
        break;
      case TypeKind::InputObject:
        if (peek(TokenKind::LBrace)) {
          DepthGuard guard(*this);
          advance();
          do t.inputs.push_back(input_value_definition());
          while (!skip(TokenKind::RBrace));
        }
        break;
      default: break;
    }
    doc.types.push_back(std::move(t));
  }

  FieldDefinition field_definition() {
    FieldDefinition f;
    if (peek(TokenKind::String) || peek(TokenKind::BlockString)) f.description = advance().value;
    f.loc = tok_.loc;
    f.name = name().value;
    f.arguments = argument_definitions();
    expect(TokenKind::Colon);
    f.type = type();
    f.directives = directives(true);
    return f;
  }

  std::vector<InputValueDefinition> argument_definitions() {
    std::vector<InputValueDefinition> out;
    if (!skip(TokenKind::LParen)) return out;
    DepthGuard guard(*this);
    do out.push_back(input_value_definition());
    while (!skip(TokenKind::RParen));
    return out;
  }

  InputValueDefinition input_value_definition() {
    InputValueDefinition v;
    if (peek(TokenKind::String) || peek(TokenKind::BlockString)) v.description = advance().value;
    v.loc = tok_.loc;
    v.name = name().value;
    expect(TokenKind::Colon);
    v.type = type();
    if (skip(TokenKind::Equals)) v.default_value = value(true);
    v.directives = directives(true);
    return v;
  }

  Lexer lexer_;
  Token tok_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::uint32_t last_end_ = 0;
};

}  // namespace

Document parse(std::string_view source, const ParseOptions& options) {
  Parser parser(source, options);
  Document doc = parser.document();
  doc.source = std::string(source);
  return doc;
}

ValueNode parse_value(std::string_view source) {
  Parser parser(source, ParseOptions{});
  return parser.single_value();
}

std::string print_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string print_value(const ValueNode& v) {
  switch (v.kind) {
    case ValueNode::Kind::Variable: return "$" + v.text;
    case ValueNode::Kind::Int:
    case ValueNode::Kind::Float:
    case ValueNode::Kind::Enum: return v.text;
    case ValueNode::Kind::String: return print_string(v.text);
    case ValueNode::Kind::Boolean: return v.boolean ? "true" : "false";
    case ValueNode::Kind::Null: return "null";
    case ValueNode::Kind::List: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.list.size(); ++i) out += (i ? ", " : "") + print_value(v.list[i]);
      return out + "]";
    }
    case ValueNode::Kind::Object: {
      std::string out = "{";
      for (std::size_t i = 0; i < v.fields.size(); ++i)
        out += (i ? ", " : "") + v.fields[i].name + ": " + print_value(v.fields[i].value);
      return out + "}";
    }
  }
  return "null";
}

}  // namespace parley::graphql
