// Introspection: graphql-js's getIntrospectionQuery() (all options on) runs, and its answer
// describes the schema; __type, __typename, and the switch to refuse introspection.
#include "graphql/test_support.hpp"

#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

namespace json = boost::json;

// graphql-js 16 getIntrospectionQuery({descriptions, specifiedByUrl, directiveIsRepeatable,
// schemaDescription, inputValueDeprecation: true}).
constexpr const char* kIntrospectionQuery = R"(
    query IntrospectionQuery {
      __schema {
        description
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          isRepeatable
          locations
          args(includeDeprecated: true) {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      specifiedByURL
      fields(includeDeprecated: true) {
        name
        description
        args(includeDeprecated: true) {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields(includeDeprecated: true) {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
      isDeprecated
      deprecationReason
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
  )";

constexpr const char* kSdl = R"GQL(
"The root"
type Query {
  "A greeting"
  hello(name: String = "world", old: Int @deprecated(reason: "use name")): String!
  old: String @deprecated
  node(id: ID!): Node
  matrix: [[Int!]]!
  when: DateTime
  search(filter: Filter = {text: "x", limit: 2}): [Result!]
}
interface Node { id: ID! }
type User implements Node { id: ID! name: String }
type Bot implements Node { id: ID! }
union Result = User | Bot
enum Color { RED GREEN @deprecated(reason: "too green") }
input Filter { text: String! limit: Int = 10 color: Color = RED gone: Int @deprecated }
scalar DateTime @specifiedBy(url: "https://scalars.graphql.org/andimarek/date-time")
directive @cached(ttl: Int = 60) repeatable on FIELD_DEFINITION | OBJECT
)GQL";

const json::value* find_named(const json::array& list, std::string_view name) {
  for (const auto& v : list)
    if (v.at("name").is_string() && v.at("name").as_string() == name) return &v;
  return nullptr;
}

TEST(GraphqlIntrospection, RunsTheGraphqlJsIntrospectionQuery) {
  Engine engine(build_schema_or_throw(kSdl));
  auto r = test::run(engine, kIntrospectionQuery);
  ASSERT_FALSE(r.contains("errors")) << r;
  const auto& schema = r["data"].at("__schema");
  EXPECT_EQ(schema.at("queryType").at("name"), "Query");
  EXPECT_EQ(schema.at("mutationType"), nullptr);
  const auto& types = schema.at("types").as_array();
  for (const char* name : {"Query", "Node", "User", "Bot", "Result", "Color", "Filter", "DateTime", "String", "Int", "Float",
                           "Boolean", "ID", "__Schema", "__Type", "__TypeKind", "__Field", "__InputValue", "__EnumValue",
                           "__Directive", "__DirectiveLocation"})
    EXPECT_TRUE(find_named(types, name)) << name;

  const auto& query = *find_named(types, "Query");
  EXPECT_EQ(query.at("kind"), "OBJECT");
  EXPECT_EQ(query.at("description"), "The root");
  const auto& hello = *find_named(query.at("fields").as_array(), "hello");
  EXPECT_EQ(hello.at("description"), "A greeting");
  EXPECT_EQ(hello.at("type"), json::parse(R"({"kind":"NON_NULL","name":null,"ofType":{"kind":"SCALAR","name":"String","ofType":null}})"));
  const auto& name_arg = *find_named(hello.at("args").as_array(), "name");
  EXPECT_EQ(name_arg.at("defaultValue"), "\"world\"");
  const auto& old_arg = *find_named(hello.at("args").as_array(), "old");
  EXPECT_EQ(old_arg.at("isDeprecated"), true);
  EXPECT_EQ(old_arg.at("deprecationReason"), "use name");
  const auto& old = *find_named(query.at("fields").as_array(), "old");
  EXPECT_EQ(old.at("deprecationReason"), "No longer supported");
  const auto& matrix = *find_named(query.at("fields").as_array(), "matrix");
  EXPECT_EQ(matrix.at("type").at("ofType").at("ofType").at("ofType").at("ofType").at("name"), "Int");
  const auto& search = *find_named(query.at("fields").as_array(), "search");
  EXPECT_EQ(search.at("args").at(0).at("defaultValue"), "{text: \"x\", limit: 2}");

  const auto& node = *find_named(types, "Node");
  EXPECT_EQ(node.at("kind"), "INTERFACE");
  EXPECT_EQ(node.at("possibleTypes").as_array().size(), 2u);
  EXPECT_EQ(find_named(types, "User")->at("interfaces").at(0).at("name"), "Node");
  EXPECT_EQ(find_named(types, "Result")->at("possibleTypes").at(1).at("name"), "Bot");
  EXPECT_EQ(find_named(types, "User")->at("enumValues"), nullptr);
  const auto& color = *find_named(types, "Color");
  EXPECT_EQ(color.at("enumValues").at(1).at("deprecationReason"), "too green");
  const auto& filter = *find_named(types, "Filter");
  EXPECT_EQ(filter.at("inputFields").as_array().size(), 4u);
  EXPECT_EQ(find_named(filter.at("inputFields").as_array(), "color")->at("defaultValue"), "RED");
  EXPECT_EQ(find_named(types, "DateTime")->at("specifiedByURL"), "https://scalars.graphql.org/andimarek/date-time");

  const auto& directives = schema.at("directives").as_array();
  for (const char* name : {"include", "skip", "deprecated", "specifiedBy", "cached"}) EXPECT_TRUE(find_named(directives, name)) << name;
  const auto& cached = *find_named(directives, "cached");
  EXPECT_EQ(cached.at("isRepeatable"), true);
  EXPECT_EQ(cached.at("locations"), json::parse(R"(["FIELD_DEFINITION","OBJECT"])"));
  EXPECT_EQ(cached.at("args").at(0).at("defaultValue"), "60");
  EXPECT_EQ(find_named(directives, "skip")->at("locations").as_array().size(), 3u);
}

TEST(GraphqlIntrospection, HidesDeprecatedUnlessAsked) {
  Engine engine(build_schema_or_throw(kSdl));
  auto r = test::run(engine, R"({ __type(name: "Query") { fields { name } } c: __type(name: "Color") { enumValues { name } }
                                   f: __type(name: "Filter") { inputFields { name } } })");
  ASSERT_FALSE(r.contains("errors")) << r;
  EXPECT_FALSE(find_named(r["data"].at("__type").at("fields").as_array(), "old"));
  EXPECT_EQ(r["data"].at("c").at("enumValues").as_array().size(), 1u);
  EXPECT_EQ(r["data"].at("f").at("inputFields").as_array().size(), 3u);
}

TEST(GraphqlIntrospection, TypeAndTypename) {
  Engine engine(build_schema_or_throw(kSdl));
  auto r = test::run(engine, R"({ __type(name: "User") { name kind fields { name } } none: __type(name: "Nope") { name } __typename })");
  EXPECT_EQ(json::value(r), json::parse(R"({"data":{"__type":{"name":"User","kind":"OBJECT","fields":[{"name":"id"},{"name":"name"}]},
                                             "none":null,"__typename":"Query"}})"));
  // graphql-js 15 spelled it specifiedByUrl.
  r = test::run(engine, R"({ __type(name: "DateTime") { specifiedByUrl } })");
  EXPECT_EQ(r["data"].at("__type").at("specifiedByUrl"), "https://scalars.graphql.org/andimarek/date-time");
}

TEST(GraphqlIntrospection, CanBeSwitchedOff) {
  EngineOptions options;
  options.introspection = false;
  Engine engine(build_schema_or_throw(kSdl), options);
  auto r = test::run(engine, kIntrospectionQuery);
  EXPECT_FALSE(r.contains("data"));
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "GRAPHQL_VALIDATION_FAILED");
  r = test::run(engine, "{ __typename }");
  EXPECT_EQ(r["data"].at("__typename"), "Query");
}

}  // namespace
}  // namespace parley::graphql
