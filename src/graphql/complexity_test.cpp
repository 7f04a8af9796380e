#include "graphql/complexity.hpp"
#include "graphql/test_support.hpp"

#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

constexpr const char* kSdl = R"GQL(
type Query { me: User users(first: Int, last: Int): [User!]! }
type User { name: String friends(first: Int): [User!]! posts(limit: Int): [Post] }
type Post { title: String }
)GQL";

Complexity measure_query(const std::string& query, boost::json::object variables = {}) {
  static auto schema = build_schema_or_throw(kSdl);
  Document doc = parse(query);
  return measure(*schema, doc, doc.operations.front(), variables);
}

TEST(GraphqlComplexity, CountsDepthCostAndAliases) {
  Complexity c = measure_query("{ me { name } }");
  EXPECT_EQ(c.depth, 2u);
  EXPECT_EQ(c.cost, 2u);
  EXPECT_EQ(c.aliases, 0u);
  // users(first: 5) { name friends { name } }: 1 + 5 * (1 + (1 + 10 * 1)) = 61
  c = measure_query("{ users(first: 5) { name friends { name } } }");
  EXPECT_EQ(c.cost, 61u);
  EXPECT_EQ(c.depth, 3u);
  c = measure_query("query ($n: Int) { users(last: $n) { name } }", {{"n", 20}});
  EXPECT_EQ(c.cost, 21u);
  c = measure_query("{ a: me { name } b: me { ...F } } fragment F on User { n: name posts(limit: 3) { title } }");
  EXPECT_EQ(c.aliases, 3u);
  EXPECT_EQ(c.cost, 2u + 1u + 1u + (1u + 3u));
  EXPECT_EQ(c.depth, 3u);
  c = measure_query("{ __schema { types { fields { name } } } me { name } }");
  EXPECT_EQ(c.depth, 2u);  // introspection is not counted
}

TEST(GraphqlComplexity, EngineRefusesCostlyQueriesBeforeExecution) {
  auto schema = build_schema_or_throw(kSdl);
  bool executed = false;
  schema->resolve_sync("Query", "users", [&executed](const Value&, const boost::json::object&, const ResolveInfo&) {
    executed = true;
    return Value(boost::json::array{});
  });
  EngineOptions options;
  options.limits.max_cost = 100;
  options.limits.max_depth = 3;
  Engine engine(schema, options);
  auto r = test::run(engine, "{ users(first: 50) { friends(first: 50) { name } } }");
  EXPECT_FALSE(r.contains("data"));
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "QUERY_TOO_COMPLEX");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("cost"), 2551);
  r = test::run(engine, "{ me { friends(first: 1) { friends(first: 1) { name } } } }");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "QUERY_TOO_DEEP");
  EXPECT_FALSE(executed);
  r = test::run(engine, "{ users(first: 2) { name } }");
  EXPECT_FALSE(r.contains("errors")) << r;
  EXPECT_TRUE(executed);
}

}  // namespace
}  // namespace parley::graphql
