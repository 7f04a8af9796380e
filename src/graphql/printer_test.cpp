// print_schema: the expected layout, and SDL -> schema -> SDL round trips.
#include "graphql/printer.hpp"
#include "graphql/sdl_builder.hpp"
#include "graphql/test_support.hpp"

#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

TEST(GraphqlPrinter, PrintsTheSchema) {
  auto schema = build_schema_or_throw(R"GQL(
"""
Root type.
Second line.
"""
type Query {
  "Say hello."
  hello(
    "Who to greet."
    name: String = "world"
  ): String! @deprecated(reason: "use greet")
  users(first: Int = 10, after: String): [User!]!
}
interface Node { id: ID! }
type User implements Node { id: ID! when: DateTime }
union Thing = User
enum Color { RED @deprecated GREEN }
input Filter { text: String! limit: Int = 10 }
scalar DateTime @specifiedBy(url: "https://example.com/dt")
directive @cached(ttl: Int) repeatable on FIELD_DEFINITION
)GQL");
  EXPECT_EQ(print_schema(*schema), R"GQL(directive @cached(ttl: Int) repeatable on FIELD_DEFINITION

"""
Root type.
Second line.
"""
type Query {
  "Say hello."
  hello(
    "Who to greet."
    name: String = "world"
  ): String! @deprecated(reason: "use greet")
  users(first: Int = 10, after: String): [User!]!
}

interface Node {
  id: ID!
}

type User implements Node {
  id: ID!
  when: DateTime
}

union Thing = User

enum Color {
  RED @deprecated
  GREEN
}

input Filter {
  text: String!
  limit: Int = 10
}

scalar DateTime @specifiedBy(url: "https://example.com/dt")
)GQL");
}

TEST(GraphqlPrinter, RoundTrips) {
  for (const char* sdl : {test::kSpecSdl, "schema { query: Root mutation: Change } type Root { a: Int } type Change { b(x: [[Int!]]!): Boolean }"}) {
    auto first = build_schema_or_throw(sdl);
    std::string printed = print_schema(*first);
    BuildResult again = build_schema(printed);
    ASSERT_TRUE(again.ok()) << printed << (again.errors.empty() ? "" : again.errors[0].message);
    EXPECT_EQ(print_schema(*again.schema), printed);
  }
  auto custom_roots = build_schema_or_throw("schema { query: Root } type Root { a: Int }");
  EXPECT_EQ(print_schema(*custom_roots), "schema {\n  query: Root\n}\n\ntype Root {\n  a: Int\n}\n");
}

}  // namespace
}  // namespace parley::graphql
