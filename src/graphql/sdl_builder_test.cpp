// Schema checks at build time: every problem is an error in the result, never a crash.
#include "graphql/sdl_builder.hpp"
#include "graphql/test_support.hpp"

#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

std::string errors_of(const std::string& sdl) {
  BuildResult r = build_schema(sdl);
  std::string out;
  for (const auto& e : r.errors) out += e.message + "\n";
  return out;
}

void expect_error(const std::string& sdl, const std::string& fragment) {
  std::string errors = errors_of(sdl);
  EXPECT_NE(errors.find(fragment), std::string::npos) << sdl << "\nexpected: " << fragment << "\ngot: " << errors;
}

TEST(GraphqlSdlBuilder, BuildsTheSpecSchema) {
  BuildResult r = build_schema(test::kSpecSdl);
  ASSERT_TRUE(r.ok()) << r.errors[0].message;
  const Schema& s = *r.schema;
  EXPECT_EQ(s.query_type()->name, "Query");
  EXPECT_EQ(s.mutation_type()->name, "Mutation");
  EXPECT_EQ(s.subscription_type()->name, "Subscription");
  const Type* pet = s.type("Pet");
  ASSERT_TRUE(pet);
  EXPECT_EQ(pet->possible_types.size(), 2u);
  EXPECT_TRUE(s.is_possible_type(*s.type("CatOrDog"), *s.type("Cat")));
  EXPECT_FALSE(s.is_possible_type(*s.type("CatOrDog"), *s.type("Human")));
  EXPECT_TRUE(s.types_overlap(*s.type("Pet"), *s.type("CatOrDog")));
  EXPECT_FALSE(s.types_overlap(*s.type("Pet"), *s.type("Sentient")));
  EXPECT_EQ(s.type("Arguments")->field("optionalNonNullBooleanArgField")->args[0].default_json, boost::json::value(false));
}

TEST(GraphqlSdlBuilder, ReportsSchemaErrors) {
  expect_error("type Query { a: Missing }", "Unknown type \"Missing\".");
  expect_error("type Query { a: Int } type Query { b: Int }", "There can be only one type named \"Query\".");
  expect_error("type Query { a: Int a: String }", "Field \"Query.a\" can only be defined once.");
  expect_error("type Query { a(x: Int, x: Int): Int }", "Argument \"Query.a(x:)\" can only be defined once.");
  expect_error("type Query { a: In } input In { x: Int }", "The type of Query.a must be Output Type but got: In.");
  expect_error("type Query { a(x: Query): Int }", "The type of Query.a(x:) must be Input Type but got: Query.");
  expect_error("type Query { a: Int } input In { x: Query }", "The type of In.x must be Input Type but got: Query.");
  expect_error("type Query implements I { a: Int } interface I { b: String }", "Interface field I.b expected but Query does not provide it.");
  expect_error("type Query implements I { b: Int } interface I { b: String }",
               "Interface field I.b expects type String but Query.b is type Int.");
  expect_error("type Query implements I { b(x: Int): String } interface I { b(x: String): String }",
               "Interface field argument I.b(x:) expects type String but Query.b(x:) is type Int.");
  expect_error("type Query implements I { b: String } interface I { b(x: String): String }",
               "Interface field argument I.b(x:) expected but Query.b does not provide it.");
  expect_error("type Query implements I { b(y: Int!): String } interface I { b: String }",
               "Object field Query.b includes required argument y that is missing from the Interface field I.b.");
  expect_error("type Query implements J { b: String } interface I { b: String } interface J implements I { b: String }",
               "Type Query must implement I because it is implemented by J.");
  expect_error("type Query implements Query { b: String }", "must only implement Interface types");
  expect_error("type Query { a: Int } union U = Query | Int", "Union type \"U\" can only include Object types, it cannot include \"Int\".");
  expect_error("type Query { a: Int } enum E { A A }", "Enum value \"E.A\" can only be defined once.");
  expect_error("type Query { a: Int } scalar String", "Type \"String\" already exists in the schema.");
  expect_error("type Query { __a: Int }", "must not begin with \"__\"");
  expect_error("type Mutation { a: Int }", "Query root type must be provided.");
  expect_error("schema { query: Q } scalar Q", "Query root type must be Object type, it cannot be Q.");
  expect_error("type Query { a: Int @unknown }", "Unknown directive \"@unknown\".");
  expect_error("type Query @deprecated { a: Int }", "Directive \"@deprecated\" may not be used on OBJECT.");
  expect_error("type Query { a(x: Int = \"no\"): Int }", "Default value of Query.a(x:) is invalid");
  expect_error("type Query { a(x: A): Int } input A { b: B! } input B { a: A! }",
               "Cannot reference Input Object \"A\" within itself through a series of non-null fields: \"b.a\".");
  expect_error("type Query { a: Int } extend type Nope { b: Int }", "Cannot extend type \"Nope\" because it is not defined.");
  expect_error("type Query { a: Int", "Syntax Error");
  expect_error("type Query { a: Int } { a }", "Executable definitions are not allowed in a schema.");
  expect_error("type Query { a(x: Int! @deprecated): Int }", "Required argument Query.a(x:) cannot be deprecated.");
  expect_error("type Query { a: Int } directive @d on NOWHERE", "Unknown directive location \"NOWHERE\".");
  expect_error("type Query { }", "Syntax Error");
  expect_error("type Query { a: Int } type Empty", "Type Empty must define one or more fields.");
}

TEST(GraphqlSdlBuilder, AppliesExtensionsAndWiresResolvers) {
  auto schema = build_schema_or_throw("type Query { a: Int } extend type Query { b: String } scalar DateTime");
  EXPECT_TRUE(schema->query_type()->field("b"));
  EXPECT_THROW(schema->resolve_sync("Query", "nope", {}), std::invalid_argument);
  EXPECT_THROW(schema->resolve_sync("Nope", "a", {}), std::invalid_argument);
  EXPECT_THROW(schema->scalar("Query", {}), std::invalid_argument);
  EXPECT_NO_THROW(schema->scalar("DateTime", {}));
  EXPECT_THROW(build_schema_or_throw("type Query { a: Missing }"), std::runtime_error);
}

}  // namespace
}  // namespace parley::graphql
