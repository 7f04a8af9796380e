#include "graphql/error.hpp"
#include "graphql/lexer.hpp"
#include "graphql/parser.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace parley::graphql {
namespace {

Location error_location(std::string_view source, std::string* message = nullptr, ParseOptions options = {}) {
  try {
    parse(source, options);
  } catch (const SyntaxError& e) {
    if (message) *message = e.what();
    return e.location();
  }
  ADD_FAILURE() << "expected a syntax error for: " << source;
  return {};
}

TEST(GraphqlParser, ParsesTheKitchenSinkQuery) {
  // graphql-js's kitchen-sink.graphql (executable part).
  const char* source = R"(
query queryName($foo: ComplexType, $site: Site = MOBILE) @onQuery {
  whoever123is: node(id: [123, 456]) {
    id ,
    ... on User @onInlineFragment {
      field2 {
        id ,
        alias: field1(first:10, after:$foo,) @include(if: $foo) {
          id,
          ...frag @onFragmentSpread
        }
      }
    }
    ... @skip(unless: $foo) {
      id
    }
    ... {
      id
    }
  }
}

mutation likeStory @onMutation {
  like(story: 123) @onField {
    story {
      id @onField
    }
  }
}

subscription StoryLikeSubscription($input: StoryLikeSubscribeInput @onVariableDefinition) @onSubscription {
  storyLikeSubscribe(input: $input) {
    story { likers { count } likeSentence { text } }
  }
}

fragment frag on Friend @onFragmentDefinition {
  foo(size: $size, bar: $b, obj: {key: "value", block: """
      block string uses \"""
  """})
}

{ unnamed(truthy: true, falsy: false, nullish: null), query }
)";
  Document doc = parse(source);
  ASSERT_EQ(doc.operations.size(), 4u);
  ASSERT_EQ(doc.fragments.size(), 1u);
  const auto& q = doc.operations[0];
  EXPECT_EQ(q.name, "queryName");
  ASSERT_EQ(q.variables.size(), 2u);
  EXPECT_EQ(q.variables[1].default_value->kind, ValueNode::Kind::Enum);
  EXPECT_EQ(q.selection_set[0].alias, "whoever123is");
  EXPECT_EQ(q.selection_set[0].name, "node");
  EXPECT_EQ(q.selection_set[0].loc, (Location{3, 3}));
  EXPECT_EQ(q.selection_set[0].selection_set[1].kind, Selection::Kind::InlineFragment);
  EXPECT_EQ(q.selection_set[0].selection_set[1].name, "User");
  EXPECT_EQ(doc.operations[1].operation, OperationType::Mutation);
  EXPECT_EQ(doc.operations[2].operation, OperationType::Subscription);
  EXPECT_EQ(doc.operations[3].name, "");
  const auto& obj = doc.fragments[0].selection_set[0].arguments[2].value;
  ASSERT_EQ(obj.kind, ValueNode::Kind::Object);
  EXPECT_EQ(obj.fields[1].value.text, "block string uses \"\"\"");
}

TEST(GraphqlParser, ParsesTypeSystemDefinitions) {
  Document doc = parse(R"(
"""The schema"""
schema { query: Q mutation: M }
"A scalar" scalar DateTime @specifiedBy(url: "https://example.com")
type Q implements A & B @dir { "field" f(a: Int = 1 "arg" b: [String!]!): [Int]! @deprecated(reason: "x") }
interface A implements B { f: Int }
union U = | X | Y
enum E { ONE TWO @deprecated }
input I { a: Int = 3, b: I2 }
directive @dir(x: Int) repeatable on OBJECT | FIELD_DEFINITION
extend type Q { g: Int }
extend schema @dir
)");
  ASSERT_EQ(doc.types.size(), 7u);
  EXPECT_EQ(doc.types[0].kind, TypeKind::Scalar);
  EXPECT_EQ(doc.types[0].description, "A scalar");
  EXPECT_EQ(doc.types[1].interfaces.size(), 2u);
  EXPECT_EQ(doc.types[1].fields[0].arguments[1].type.to_string(), "[String!]!");
  EXPECT_EQ(doc.types[1].fields[0].arguments[1].description, "arg");
  EXPECT_EQ(doc.types[1].fields[0].type.to_string(), "[Int]!");
  EXPECT_EQ(doc.types[3].members.size(), 2u);
  EXPECT_EQ(doc.types[4].values.size(), 2u);
  EXPECT_TRUE(doc.types[6].extension);
  ASSERT_EQ(doc.directives.size(), 1u);
  EXPECT_TRUE(doc.directives[0].repeatable);
  EXPECT_EQ(doc.directives[0].locations.size(), 2u);
  ASSERT_EQ(doc.schemas.size(), 2u);
  EXPECT_EQ(doc.schemas[0].description, "The schema");
  EXPECT_EQ(doc.type_system_locations.size(), 10u);
}

TEST(GraphqlParser, DecodesStrings) {
  Document doc = parse(R"({ f(a: "\u00e9\u{1F600}\uD83D\uDE00 \" \\ \/ \b\f\n\r\t", b: """
    first
      second

    third
  """) })");
  const auto& args = doc.operations[0].selection_set[0].arguments;
  EXPECT_EQ(args[0].value.text, "\xC3\xA9\xF0\x9F\x98\x80\xF0\x9F\x98\x80 \" \\ / \b\f\n\r\t");
  EXPECT_EQ(args[1].value.text, "first\n  second\n\nthird");
}

TEST(GraphqlParser, ReportsErrorsWithLocations) {
  std::string message;
  EXPECT_EQ(error_location("{ f(a: 1 }", &message), (Location{1, 10}));
  EXPECT_EQ(message, "Syntax Error: Expected Name, found \"}\".");
  EXPECT_EQ(error_location("query {\n  a\n  b(\n}", &message), (Location{4, 1}));
  EXPECT_EQ(error_location("{ f(a: \"unterminated) }", &message), (Location{1, 24}));
  EXPECT_EQ(message, "Syntax Error: Unterminated string.");
  EXPECT_EQ(error_location("{ f(a: 012) }", &message), (Location{1, 9}));
  EXPECT_EQ(error_location("{ f(a: 1.) }", &message), (Location{1, 10}));
  EXPECT_EQ(error_location("{ f(a: 1x) }", &message), (Location{1, 9}));
  EXPECT_EQ(error_location("{ f(a: \"\\q\") }", &message), (Location{1, 9}));
  EXPECT_EQ(error_location("{ f(a: \"\\uD800\") }", &message), (Location{1, 9}));
  EXPECT_EQ(error_location("{ a ? }", &message), (Location{1, 5}));
  EXPECT_EQ(error_location("", &message), (Location{1, 1}));
  EXPECT_EQ(error_location("{ a } ..", &message), (Location{1, 7}));
  EXPECT_EQ(error_location("query Q($v: Int = $x) { a }", &message), (Location{1, 19}));
  EXPECT_EQ(error_location("fragment on on T { a }", &message), (Location{1, 10}));
  EXPECT_EQ(error_location("{ a }\r\n\r\n  }", &message), (Location{3, 3}));
  EXPECT_EQ(error_location("enum E { true }", &message), (Location{1, 10}));
}

TEST(GraphqlParser, CountsColumnsInCodePoints) {
  std::string message;
  EXPECT_EQ(error_location("{ f(a: \"\xC3\xA9\xC3\xA9\") ! }", &message), (Location{1, 14}));
}

TEST(GraphqlParser, RejectsInvalidUtf8) {
  std::string message;
  EXPECT_EQ(error_location("{ a }\n{ \"b\xC3\x28\" }", &message), (Location{2, 5}));
  EXPECT_EQ(message, "Syntax Error: Invalid UTF-8 sequence.");
  EXPECT_NE(find_invalid_utf8("\xED\xA0\x80"), std::string_view::npos);   // a surrogate
  EXPECT_NE(find_invalid_utf8("\xC0\xAF"), std::string_view::npos);       // overlong
  EXPECT_NE(find_invalid_utf8("\xF4\x90\x80\x80"), std::string_view::npos);  // above U+10FFFF
  EXPECT_NE(find_invalid_utf8("\xE2\x82"), std::string_view::npos);       // truncated
  EXPECT_EQ(find_invalid_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80"), std::string_view::npos);
}

TEST(GraphqlParser, LimitsTokensAndNesting) {
  std::string many = "{";
  for (int i = 0; i < 20000; ++i) many += " a";
  many += " }";
  std::string message;
  error_location(many, &message);
  EXPECT_NE(message.find("more than 15000 tokens"), std::string::npos) << message;

  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{a";
  error_location(deep, &message);
  EXPECT_NE(message.find("nested too deeply"), std::string::npos) << message;

  std::string deep_list = "{ f(a: " + std::string(100000, '[') + ") }";
  error_location(deep_list, &message, ParseOptions{1'000'000, 100});
  EXPECT_NE(message.find("nested too deeply"), std::string::npos) << message;

  std::string deep_type = "query ($a: " + std::string(1000, '[') + "Int" + std::string(1000, ']') + ") { a }";
  error_location(deep_type, &message, ParseOptions{1'000'000, 100});
  EXPECT_NE(message.find("nested too deeply"), std::string::npos) << message;
}

TEST(GraphqlParser, ParsesAMegabyteString) {
  std::string big(1 << 20, 'x');
  auto start = std::chrono::steady_clock::now();
  Document doc = parse("{ f(a: \"" + big + "\") }");
  EXPECT_EQ(doc.operations[0].selection_set[0].arguments[0].value.text.size(), big.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(GraphqlParser, PrintsValuesBack) {
  ValueNode v = parse_value(R"({a: [1, 2.5, "x\n"], b: ENUM, c: null, d: true})");
  EXPECT_EQ(print_value(v), R"({a: [1, 2.5, "x\n"], b: ENUM, c: null, d: true})");
}

TEST(GraphqlParser, RecordsSourceRangesOfFields) {
  Document doc = parse("{ a: f(x: 1) { b }  c }");
  const auto& f = doc.operations[0].selection_set[0];
  EXPECT_EQ(doc.source.substr(f.begin, f.end - f.begin), "a: f(x: 1) { b }");
}

}  // namespace
}  // namespace parley::graphql
