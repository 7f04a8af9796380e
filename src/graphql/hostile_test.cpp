// Hostile requests get errors quickly: never a crash, a hang or unbounded work.
#include "graphql/test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace parley::graphql {
namespace {

namespace json = boost::json;

constexpr const char* kSdl = R"GQL(
type Query { me: User echo(text: String): String tree(input: Tree): Int list(items: [[Int]]): Int }
type User { name: String friend: User friends(first: Int): [User!]! }
input Tree { value: Int child: Tree children: [Tree!] }
)GQL";

std::shared_ptr<Schema> schema() {
  auto s = build_schema_or_throw(kSdl);
  s->resolve_sync("Query", "me", [](const Value&, const json::object&, const ResolveInfo&) {
    return Value(json::object{{"name", "me"}});
  });
  s->resolve_sync("Query", "echo", [](const Value&, const json::object& args, const ResolveInfo&) -> Value {
    return Value(json::value(args.at("text")).as_string().size());
  });
  s->resolve_sync("Query", "tree", [](const Value&, const json::object&, const ResolveInfo&) { return Value(1); });
  s->resolve_sync("Query", "list", [](const Value&, const json::object&, const ResolveInfo&) { return Value(1); });
  return s;
}

struct Timed {
  json::object response;
  std::chrono::steady_clock::duration took;
};

Timed run(const Engine& engine, const std::string& query, json::object variables = {}) {
  auto start = std::chrono::steady_clock::now();
  json::object r = test::run(engine, query, std::move(variables));
  return {std::move(r), std::chrono::steady_clock::now() - start};
}

std::string code(const json::object& r) {
  if (!r.contains("errors")) return "";
  return std::string(r.at("errors").at(0).at("extensions").at("code").as_string());
}

// A generous bound that still tells "bounded work" from "hang" under the sanitizers on a loaded
// machine; in a Debug build each of these requests takes milliseconds.
constexpr auto kFast = std::chrono::seconds(10);

TEST(GraphqlHostile, DepthBombs) {
  Engine engine(schema());
  std::string q = "{ me {";
  for (int i = 0; i < 30; ++i) q += " friend {";
  q += " name";
  for (int i = 0; i < 30; ++i) q += " }";
  q += " } }";
  auto t = run(engine, q);
  EXPECT_EQ(code(t.response), "QUERY_TOO_DEEP") << t.response;
  EXPECT_LT(t.took, kFast);

  std::string deep = "{ me {";
  for (int i = 0; i < 3000; ++i) deep += " friend {";
  t = run(engine, deep);
  EXPECT_EQ(code(t.response), "GRAPHQL_PARSE_FAILED") << t.response;
  EXPECT_LT(t.took, kFast);
}

TEST(GraphqlHostile, AliasBombs) {
  Engine engine(schema());
  std::string q = "{";
  for (int i = 0; i < 10000; ++i) q += " a" + std::to_string(i) + ": me { name }";
  q += " }";
  auto t = run(engine, q);
  EXPECT_EQ(code(t.response), "GRAPHQL_PARSE_FAILED") << t.response;  // 60,000 tokens
  EXPECT_LT(t.took, kFast);

  EngineOptions options;
  options.limits.max_tokens = 1'000'000;
  Engine lenient(schema(), options);
  t = run(lenient, q);
  EXPECT_EQ(code(t.response), "QUERY_TOO_COMPLEX") << t.response;
  EXPECT_LT(t.took, kFast);

  std::string same = "{";  // one response name 10,000 times: merges, validated in linear time
  for (int i = 0; i < 10000; ++i) same += " a: me { name }";
  same += " }";
  t = run(lenient, same);
  EXPECT_EQ(code(t.response), "QUERY_TOO_COMPLEX") << t.response;
  EXPECT_LT(t.took, kFast);
}

TEST(GraphqlHostile, FragmentCyclesAndBombs) {
  Engine engine(schema());
  auto t = run(engine, "{ me { ...A } } fragment A on User { friend { ...B } } fragment B on User { ...A }");
  EXPECT_EQ(code(t.response), "GRAPHQL_VALIDATION_FAILED") << t.response;

  // Each fragment spreads the next one ten times: 10^20 fields if expanded naively.
  std::string q = "{ me { ...F0 } }";
  for (int i = 0; i < 20; ++i) {
    q += " fragment F" + std::to_string(i) + " on User { name";
    for (int k = 0; k < 10; ++k) q += " ...F" + std::to_string(i + 1);
    q += " }";
  }
  q += " fragment F20 on User { name }";
  t = run(engine, q);
  EXPECT_EQ(t.response["data"].at("me").at("name"), "me") << t.response;
  EXPECT_LT(t.took, kFast);

  // A chain of 5,000 fragments, each spreading the next: refused before anything recurses down it.
  EngineOptions options;
  options.limits.max_tokens = 1'000'000;
  Engine lenient(schema(), options);
  std::string chain = "{ me { ...C0 } }";
  for (int i = 0; i < 5000; ++i) chain += " fragment C" + std::to_string(i) + " on User { ...C" + std::to_string(i + 1) + " }";
  chain += " fragment C5000 on User { name }";
  t = run(lenient, chain);
  EXPECT_EQ(code(t.response), "GRAPHQL_VALIDATION_FAILED") << t.response;
  EXPECT_NE(json::serialize(t.response).find("levels deep"), std::string::npos) << t.response;
  EXPECT_LT(t.took, kFast);

  // Nested: friend { ...F } where F is also friend-deep, multiplies cost; the limit stops it.
  std::string wide = "{ me { ...G0 } }";
  for (int i = 0; i < 10; ++i) {
    wide += " fragment G" + std::to_string(i) + " on User { friends(first: 100) { ...G" + std::to_string(i + 1) + " } }";
  }
  wide += " fragment G10 on User { name }";
  t = run(engine, wide);
  EXPECT_EQ(code(t.response), "QUERY_TOO_COMPLEX") << t.response;
  EXPECT_LT(t.took, kFast);
}

TEST(GraphqlHostile, HugeAndDeepVariables) {
  Engine engine(schema());
  // 10,000 levels of input objects in a variable.
  json::value tree = json::object{{"value", 1}};
  for (int i = 0; i < 10000; ++i) tree = json::object{{"child", std::move(tree)}};
  auto t = run(engine, "query ($t: Tree) { tree(input: $t) }", {{"t", std::move(tree)}});
  EXPECT_EQ(code(t.response), "BAD_USER_INPUT") << t.response;
  EXPECT_NE(json::serialize(t.response).find("nested too deeply"), std::string::npos);
  EXPECT_LT(t.took, kFast);

  // 10,000 levels of lists where [[Int]] is expected.
  json::value lists = json::array{1};
  for (int i = 0; i < 10000; ++i) lists = json::array{std::move(lists)};
  t = run(engine, "query ($l: [[Int]]) { list(items: $l) }", {{"l", std::move(lists)}});
  EXPECT_EQ(code(t.response), "BAD_USER_INPUT") << t.response;
  EXPECT_LT(t.took, kFast);

  // A wide variable is fine.
  json::array many;
  for (int i = 0; i < 100000; ++i) many.push_back(json::array{i});
  t = run(engine, "query ($l: [[Int]]) { list(items: $l) }", {{"l", std::move(many)}});
  EXPECT_EQ(t.response["data"].at("list"), 1) << t.response;

  // Deep literal objects in the query itself stop at the parser's nesting limit.
  std::string literal = "{ tree(input: ";
  for (int i = 0; i < 500; ++i) literal += "{child: ";
  t = run(engine, literal);
  EXPECT_EQ(code(t.response), "GRAPHQL_PARSE_FAILED") << t.response;
}

TEST(GraphqlHostile, MegabyteStringsAndInvalidUtf8) {
  Engine engine(schema());
  std::string big(1 << 20, 'x');
  auto t = run(engine, "{ echo(text: \"" + big + "\") }");
  EXPECT_EQ(t.response["data"].at("echo"), boost::json::value(std::to_string(1 << 20))) << code(t.response);
  EXPECT_LT(t.took, kFast);
  t = run(engine, "query ($s: String) { echo(text: $s) }", {{"s", big}});
  EXPECT_EQ(t.response["data"].at("echo"), boost::json::value(std::to_string(1 << 20)));

  t = run(engine, "{ echo(text: \"\xff\xfe\") }");
  EXPECT_EQ(code(t.response), "GRAPHQL_PARSE_FAILED");
  EXPECT_NE(json::serialize(t.response).find("Invalid UTF-8"), std::string::npos);
  t = run(engine, std::string("{ echo(text: \"a\0b\") }", 21));  // the 2021 spec allows U+0000 in strings
  EXPECT_EQ(t.response["data"].at("echo"), "3");
  t = run(engine, std::string("{ me \0 }", 8));
  EXPECT_EQ(code(t.response), "GRAPHQL_PARSE_FAILED");
}

TEST(GraphqlHostile, GarbageNeverCrashes) {
  Engine engine(schema());
  // A cheap deterministic fuzz: slices and mutations of a valid query.
  const std::string base = R"(query Q($a: Int = 1, $t: Tree) { me { name friend { ...F } } tree(input: {value: $a, children: [{value: 2}]}) } fragment F on User { name @include(if: true) ... on User { friends(first: 2) { name } } })";
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  const std::string alphabet = "{}()[]:$@!=.\"\\ \n#,|&abcxyzonfragmentquery0123456789-\xC3\xA9";
  for (int i = 0; i < 3000; ++i) {
    std::string q = base;
    int edits = static_cast<int>(next() % 6) + 1;
    for (int k = 0; k < edits; ++k) {
      std::size_t pos = next() % (q.size() + 1);
      switch (next() % 3) {
        case 0: q.insert(pos, 1, alphabet[next() % alphabet.size()]); break;
        case 1: if (pos < q.size()) q.erase(pos, 1); break;
        case 2: if (pos < q.size()) q[pos] = alphabet[next() % alphabet.size()]; break;
      }
    }
    json::object r = test::run(engine, q);
    EXPECT_TRUE(r.contains("data") || r.contains("errors")) << q;
  }
}

}  // namespace
}  // namespace parley::graphql
