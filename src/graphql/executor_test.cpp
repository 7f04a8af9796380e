// Execution (spec section 6): values, variables, fragments, abstract types, null propagation,
// errors, awaitable resolvers that really suspend, mutation order.
#include "graphql/test_support.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

constexpr const char* kSdl = R"GQL(
type Query {
  hello(name: String = "world"): String!
  number: Int
  nonNullNumber: Int!
  user(id: ID!): User
  users: [User!]!
  search(text: String!): [SearchResult!]!
  node(id: ID!): Node
  slow(ms: Int = 1): String
  fail: String
  failNonNull: String!
  internal: String
  echo(input: EchoInput): String
  list: [Int]
  nonNullItems: [Int!]
  nested: Nested
  color(color: Color = RED): Color
  badColor: Color
  date: DateTime
  dateText(d: DateTime!): String
  context: String
  json: JsonThing
  plain(variant: Int = 0): Plain
}
type Mutation { append(text: String!): [String!]! }
interface Node { id: ID! }
type User implements Node { id: ID! name: String! friend: User best: User! email: String }
type Post implements Node { id: ID! title: String! }
union SearchResult = User | Post
enum Color { RED GREEN BLUE }
input EchoInput { text: String! times: Int = 1 tags: [String!] }
type Nested { a: Nested b: Nested! value: Int nonNullValue: Int! }
type JsonThing { name: String list: [JsonThing] }
scalar DateTime
type Plain { id: ID! n: Int f: Float ok: Boolean color: Color when: Stamp tags: [String!]! child: Plain kids: [Plain!] }
scalar Stamp
)GQL";

struct Fixture {
  std::shared_ptr<Schema> schema = build_schema_or_throw(kSdl);
  std::vector<std::string> appended;
  std::unique_ptr<Engine> engine;

  Fixture() {
    using Args = const json::object&;
    using Info = const ResolveInfo&;
    schema->resolve_sync("Query", "hello", [](const Value&, Args args, Info) {
      return Value("hello " + std::string(args.at("name").as_string()));
    });
    schema->resolve_sync("Query", "number", [](const Value&, Args, Info) { return Value(42); });
    schema->resolve_sync("Query", "nonNullNumber", [](const Value&, Args, Info) { return Value(); });
    schema->resolve_sync("Query", "user", [](const Value&, Args args, Info) -> Value {
      int id = std::stoi(std::string(args.at("id").as_string()));
      if (id <= 0) return Value();
      return Value::object(id, "User");
    });
    schema->resolve_sync("Query", "users", [](const Value&, Args, Info info) {
      if (info.selects("email")) throw FieldError("users: email asked for");
      if (!info.selects_only({"id", "name"})) throw FieldError("users: more than id and name asked for");
      std::vector<Value> out;
      for (int i = 1; i <= 3; ++i) out.push_back(Value::object(i, "User"));
      return Value::list(std::move(out));
    });
    schema->resolve_sync("User", "id", [](const Value& p, Args, Info) { return Value(std::to_string(p.get<int>())); });
    schema->resolve_sync("User", "name", [](const Value& p, Args, Info) -> Value {
      int id = p.get<int>();
      if (id == 2) throw FieldError("user 2 hides its name", "FORBIDDEN");
      return Value("user" + std::to_string(id));
    });
    schema->resolve_sync("User", "friend", [](const Value& p, Args, Info) { return Value::object(p.get<int>() + 1, "User"); });
    schema->resolve_sync("User", "best", [](const Value&, Args, Info) { return Value(); });
    schema->resolve_sync("Query", "search", [](const Value&, Args, Info) {
      std::vector<Value> out;
      out.push_back(Value(json::object{{"__typename", "Post"}, {"id", "p1"}, {"title", "Hello"}}));
      out.push_back(Value::object(7, "User"));
      return Value::list(std::move(out));
    });
    schema->resolve_sync("Query", "node", [](const Value&, Args args, Info) -> Value {
      std::string id(args.at("id").as_string());
      if (id == "p1") return Value(json::object{{"id", "p1"}, {"title", "Hello"}, {"kind", "post"}});
      if (id == "x") return Value(json::object{{"id", "x"}});  // the type resolver cannot tell
      return Value::object(std::stoi(id));
    });
    schema->resolve_type("Node", [](const Value& v, Info) -> std::string {
      if (v.as<int>()) return "User";
      if (v.kind() == Value::Kind::Json && v.json().as_object().contains("kind")) return "Post";
      return "";
    });
    schema->resolve("Query", "slow", [](const Value&, Args args, Info) -> awaitable<Value> {
      auto executor = co_await boost::asio::this_coro::executor;
      boost::asio::steady_timer timer(executor, std::chrono::milliseconds(args.at("ms").as_int64()));
      co_await timer.async_wait(boost::asio::use_awaitable);
      co_await boost::asio::post(executor, boost::asio::use_awaitable);
      co_return Value("slept");
    });
    schema->resolve("Query", "fail", [](const Value&, Args, Info) -> awaitable<Value> {
      co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
      throw FieldError("it failed", "BOOM", json::object{{"detail", 1}});
    });
    schema->resolve_sync("Query", "failNonNull", [](const Value&, Args, Info) -> Value { throw FieldError("no"); });
    schema->resolve_sync("Query", "internal", [](const Value&, Args, Info) -> Value {
      throw std::runtime_error("password=secret in a stack trace");
    });
    schema->resolve_sync("Query", "echo", [](const Value&, Args args, Info) { return Value(json::serialize(args)); });
    schema->resolve_sync("Query", "list", [](const Value&, Args, Info) { return Value(json::array{1, nullptr, 3}); });
    schema->resolve_sync("Query", "nonNullItems", [](const Value&, Args, Info) { return Value(json::array{1, nullptr, 3}); });
    schema->resolve_sync("Query", "nested", [](const Value&, Args, Info) {
      return Value(json::object{{"value", 1}, {"a", json::object{{"value", 2}, {"b", nullptr}}}, {"b", json::object{{"value", 3}}}});
    });
    schema->resolve_sync("Query", "color", [](const Value&, Args args, Info) { return Value(args.at("color")); });
    schema->resolve_sync("Query", "badColor", [](const Value&, Args, Info) { return Value("PURPLE"); });
    schema->scalar("DateTime", ScalarHooks{
                                   [](const json::value& v) -> std::optional<json::value> {
                                     if (!v.is_int64()) return std::nullopt;
                                     return json::value("T+" + std::to_string(v.as_int64()));
                                   },
                                   [](const json::value& v) -> std::optional<json::value> {
                                     if (!v.is_string() || v.as_string().size() < 3) return std::nullopt;
                                     return json::value(std::stoll(std::string(v.as_string().subview(2))));
                                   }});
    schema->resolve_sync("Query", "date", [](const Value&, Args, Info) { return Value(std::int64_t{5}); });
    schema->resolve_sync("Query", "dateText", [](const Value&, Args args, Info) { return Value(json::serialize(args.at("d"))); });
    schema->resolve_sync("Query", "context", [](const Value&, Args, Info info) { return Value(*info.context<std::string>()); });
    schema->resolve_sync("Query", "json", [](const Value&, Args, Info) {
      return Value(json::parse(R"({"name":"root","list":[{"name":"a"},{"name":"b","list":[{"name":"c"}]}]})"));
    });
    schema->resolve_sync("Query", "plain", [](const Value&, Args args, Info) {
      const char* variants[] = {
          R"({"id":7,"n":1,"f":1.5,"ok":true,"color":"GREEN","when":"2026","tags":["a","b"],"extra":{"x":1},
              "child":{"id":"c1","n":null,"tags":[],"kids":[{"id":9,"tags":["z"],"when":"2027"}]},"kids":null})",
          R"({"id":7,"tags":[],"kids":[{"id":9,"tags":["z"],"when":3}]})",
          R"({"id":1,"n":"x","tags":["a"]})",
          R"({"id":1,"tags":[],"kids":[{"id":2,"tags":["a",null]}]})",
      };
      return Value(json::parse(variants[args.at("variant").as_int64()]));
    });
    // A string is its own serialization; anything else goes through the hook.
    ScalarHooks stamp;
    stamp.serialize = [](const json::value& v) -> std::optional<json::value> {
      if (v.is_string()) return v;
      if (v.is_int64()) return json::value("S" + std::to_string(v.as_int64()));
      return std::nullopt;
    };
    stamp.serialized_as_is = json::kind::string;
    schema->scalar("Stamp", std::move(stamp));
    schema->resolve("Mutation", "append", [this](const Value&, Args args, Info) -> awaitable<Value> {
      co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
      appended.emplace_back(args.at("text").as_string());
      json::array out;
      for (const auto& s : appended) out.push_back(json::string(s));
      co_return Value(std::move(out));
    });
    engine = std::make_unique<Engine>(schema);
  }

  json::object run(const std::string& q, json::object vars = {}) { return test::run(*engine, q, std::move(vars)); }
};

json::value parse_json(const char* text) { return json::parse(text); }

TEST(GraphqlExecutor, ResolvesFieldsArgumentsAndDefaults) {
  Fixture f;
  EXPECT_EQ(json::value(f.run("{ hello number }")), parse_json(R"({"data":{"hello":"hello world","number":42}})"));
  EXPECT_EQ(json::value(f.run("{ a: hello(name: \"ann\") b: hello }")),
            parse_json(R"({"data":{"a":"hello ann","b":"hello world"}})"));
  EXPECT_EQ(json::value(f.run("{ __typename }")), parse_json(R"({"data":{"__typename":"Query"}})"));
}

TEST(GraphqlExecutor, CoercesVariables) {
  Fixture f;
  auto r = f.run("query ($n: String!) { hello(name: $n) }", {{"n", "var"}});
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"hello":"hello var"}})"));
  r = f.run("query ($n: String = \"dflt\") { hello(name: $n) }");
  EXPECT_EQ(r["data"].at("hello"), "hello dflt");
  r = f.run("query ($n: String!) { hello(name: $n) }");
  ASSERT_FALSE(r.contains("data"));
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "BAD_USER_INPUT");
  EXPECT_EQ(r["errors"].at(0).at("message"), "Variable \"$n\" of required type \"String!\" was not provided.");
  r = f.run("query ($n: String!) { hello(name: $n) }", {{"n", 5}});
  EXPECT_NE(json::serialize(r).find("String cannot represent a non string value: 5"), std::string::npos) << r;
  r = f.run("query ($i: EchoInput) { echo(input: $i) }", {{"i", json::object{{"text", "t"}, {"tags", "one"}}}});
  EXPECT_EQ(r["data"].at("echo"), R"({"input":{"text":"t","times":1,"tags":["one"]}})");
  r = f.run("query ($i: EchoInput) { echo(input: $i) }", {{"i", json::object{{"times", 2}}}});
  EXPECT_NE(json::serialize(r).find("Field \\\"text\\\" of required type \\\"String!\\\" was not provided"), std::string::npos) << r;
  r = f.run("query ($i: EchoInput) { echo(input: $i) }", {{"i", json::object{{"text", "t"}, {"bogus", 1}}}});
  EXPECT_NE(json::serialize(r).find("\\\"bogus\\\" is not defined"), std::string::npos) << r;
  r = f.run("query ($t: String!) { echo(input: {text: \"x\", tags: [$t, \"y\"]}) }", {{"t", "z"}});
  EXPECT_EQ(r["data"].at("echo"), R"({"input":{"text":"x","times":1,"tags":["z","y"]}})");
  r = f.run("query ($c: Color) { color(color: $c) }", {{"c", "GREEN"}});
  EXPECT_EQ(r["data"].at("color"), "GREEN");
  r = f.run("query ($c: Color) { color(color: $c) }", {{"c", "PINK"}});
  EXPECT_NE(json::serialize(r).find("does not exist in \\\"Color\\\" enum"), std::string::npos) << r;
  r = f.run("query ($c: Color) { color(color: $c) }", {{"c", nullptr}});
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"color":null}})"));
  r = f.run("query ($c: Color) { color(color: $c) }");
  EXPECT_EQ(r["data"].at("color"), "RED");  // absent variable: the argument's default applies
}

TEST(GraphqlExecutor, SerializesEnumsAndCustomScalars) {
  Fixture f;
  auto r = f.run("{ color(color: BLUE) date dateText(d: \"T+9\") }");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"color":"BLUE","date":"T+5","dateText":"9"}})"));
  r = f.run("{ badColor }");
  EXPECT_EQ(r["data"].at("badColor"), nullptr);
  EXPECT_EQ(r["errors"].at(0).at("message"), "Enum \"Color\" cannot represent value: \"PURPLE\"");
  r = f.run("query ($d: DateTime!) { dateText(d: $d) }", {{"d", "bad"}});
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "BAD_USER_INPUT");
  r = f.run("{ dateText(d: \"x\") }");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "GRAPHQL_VALIDATION_FAILED");
}

TEST(GraphqlExecutor, FragmentsInlineFragmentsAndDirectives) {
  Fixture f;
  auto r = f.run(R"(
    query ($yes: Boolean!, $no: Boolean!) {
      user(id: "1") { ...F ... on User { friend { id } } ... @include(if: $no) { email } }
      skipped: number @skip(if: $yes)
      included: number @include(if: $yes)
    }
    fragment F on User { id friend @skip(if: $no) { friend { id } } })",
                 {{"yes", true}, {"no", false}});
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"user":{"id":"1","friend":{"friend":{"id":"3"},"id":"2"}},"included":42}})"));
}

TEST(GraphqlExecutor, AbstractTypes) {
  Fixture f;
  auto r = f.run(R"({ search(text: "x") { __typename ... on Post { title } ... on User { id } }
                      p: node(id: "p1") { id ... on Post { title } }
                      u: node(id: "4") { __typename id } })");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{
    "search":[{"__typename":"Post","title":"Hello"},{"__typename":"User","id":"7"}],
    "p":{"id":"p1","title":"Hello"},
    "u":{"__typename":"User","id":"4"}}})"));
  r = f.run(R"({ node(id: "x") { id } })");
  EXPECT_EQ(r["data"].at("node"), nullptr);
  EXPECT_NE(json::serialize(r).find("must resolve to an Object type at runtime"), std::string::npos) << r;
}

TEST(GraphqlExecutor, DefaultResolverReadsJsonObjects) {
  Fixture f;
  auto r = f.run("{ json { name list { name list { name } } } }");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"json":{"name":"root","list":[{"name":"a","list":null},{"name":"b","list":[{"name":"c"}]}]}}})"));
}

// Objects whose whole selection is plain JSON data complete by projection (Execution::project);
// any value that does not fit its type sends the object back to the general path, so answers and
// errors are the same as without the fast path.
TEST(GraphqlExecutor, CompletesPlainDataByProjectionWithTheGeneralPathsAnswers) {
  Fixture f;
  auto r = f.run(R"({ plain { __typename id n f ok color when tags again: n
                              child { id n tags kids { id tags when } } kids { id } } })");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"plain":{"__typename":"Plain","id":"7","n":1,"f":1.5,"ok":true,
    "color":"GREEN","when":"2026","tags":["a","b"],"again":1,
    "child":{"id":"c1","n":null,"tags":[],"kids":[{"id":"9","tags":["z"],"when":"2027"}]},"kids":null}}})"));
  // A value the scalar's hook must serialize: the general path calls it.
  r = f.run("{ plain(variant: 1) { id kids { id when } } }");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"plain":{"id":"7","kids":[{"id":"9","when":"S3"}]}}})"));
  // A leaf of the wrong type: a field error at its path.
  r = f.run("{ plain(variant: 2) { id n tags } }");
  EXPECT_EQ(r["data"], parse_json(R"({"plain":{"id":"1","n":null,"tags":["a"]}})"));
  EXPECT_EQ(r["errors"].at(0).at("message"), "Int cannot represent non-integer value: \"x\"");
  EXPECT_EQ(r["errors"].at(0).at("path"), parse_json(R"(["plain","n"])"));
  // A null in a non-null list item: the nearest nullable parent (kids) becomes null.
  r = f.run("{ plain(variant: 3) { id kids { id tags } } }");
  EXPECT_EQ(r["data"], parse_json(R"({"plain":{"id":"1","kids":null}})"));
  EXPECT_EQ(r["errors"].at(0).at("path"), parse_json(R"(["plain","kids",0,"tags",1])"));
}

// The spec's examples of 6.4.4 "Handling Field Errors" and 7.1.2.
TEST(GraphqlExecutor, NullPropagation) {
  Fixture f;
  // A nullable field's error: the field is null, the error has message, locations, path, code.
  auto r = f.run("{ number\n  fail }");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"number":42,"fail":null},"errors":[{"message":"it failed",
    "locations":[{"line":2,"column":3}],"path":["fail"],"extensions":{"detail":1,"code":"BOOM"}}]})"));
  // A non-null root field's error nulls data.
  r = f.run("{ number failNonNull }");
  EXPECT_EQ(r["data"], nullptr);
  EXPECT_EQ(r["errors"].as_array().size(), 1u);
  // A non-null field returning null: the error names it; the nearest nullable parent is null.
  r = f.run("{ user(id: \"1\") { id best { id } } number }");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"user":null,"number":42},"errors":[{"message":"Cannot return null for non-nullable field User.best.",
    "locations":[{"line":1,"column":22}],"path":["user","best"]}]})"));
  // An error inside a list of non-null items nulls the list's nearest nullable parent: users is [User!]!, so data.
  r = f.run("{ users { id name } }");
  EXPECT_EQ(r["data"], nullptr);
  EXPECT_EQ(r["errors"].at(0).at("path"), parse_json(R"(["users",1,"name"])"));
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "FORBIDDEN");
  // Nullable items: only the item is null.
  r = f.run("{ list nonNullItems }");
  EXPECT_EQ(json::value(r), parse_json(R"({"data":{"list":[1,null,3],"nonNullItems":null},"errors":[{"message":"Cannot return null for non-nullable field Query.nonNullItems.",
    "locations":[{"line":1,"column":8}],"path":["nonNullItems",1]}]})"));
  // Nested objects: b is Nested! and null at nested.a.b, so nested.a becomes null.
  r = f.run("{ nested { value a { value b { value } } b { value } } }");
  EXPECT_EQ(r["data"], parse_json(R"({"nested":{"value":1,"a":null,"b":{"value":3}}})"));
  EXPECT_EQ(r["errors"].at(0).at("path"), parse_json(R"(["nested","a","b"])"));
  r = f.run("{ nonNullNumber }");
  EXPECT_EQ(r["data"], nullptr);
}

TEST(GraphqlExecutor, HidesInternalErrorsUnlessMapped) {
  Fixture f;
  auto r = f.run("{ internal }");
  EXPECT_EQ(r["errors"].at(0).at("message"), "Internal server error");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "INTERNAL_SERVER_ERROR");
  EXPECT_EQ(json::serialize(r).find("secret"), std::string::npos);
  EngineOptions options;
  options.map_exception = [](std::exception_ptr e) -> std::optional<FieldError> {
    try {
      std::rethrow_exception(e);
    } catch (const std::runtime_error&) {
      return FieldError("mapped", "MAPPED");
    }
  };
  Engine mapped(f.schema, options);
  r = test::run(mapped, "{ internal }");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "MAPPED");
}

TEST(GraphqlExecutor, AwaitableResolversSuspend) {
  Fixture f;
  auto r = f.run("{ a: slow(ms: 5) b: slow c: fail }");
  EXPECT_EQ(r["data"], parse_json(R"({"a":"slept","b":"slept","c":null})"));
}

TEST(GraphqlExecutor, MutationsRunSerially) {
  Fixture f;
  auto r = f.run("mutation { a: append(text: \"1\") b: append(text: \"2\") c: append(text: \"3\") }");
  EXPECT_EQ(r["data"], parse_json(R"({"a":["1"],"b":["1","2"],"c":["1","2","3"]})"));
}

TEST(GraphqlExecutor, SelectsTheOperation) {
  Fixture f;
  Request req;
  req.query = "query A { number } query B { hello }";
  req.operation_name = "B";
  EXPECT_EQ(json::value(test::run(*f.engine, req)), parse_json(R"({"data":{"hello":"hello world"}})"));
  req.operation_name = "";
  auto r = test::run(*f.engine, req);
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "OPERATION_RESOLUTION_FAILURE");
  req.operation_name = "C";
  r = test::run(*f.engine, req);
  EXPECT_EQ(r["errors"].at(0).at("message"), "Unknown operation named \"C\".");
}

TEST(GraphqlExecutor, StopsAtTheDeadline) {
  Fixture f;
  Request req;
  req.query = "{ a: slow(ms: 30) b: slow(ms: 1) c: number n: nonNullNumber }";
  req.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  auto r = test::run(*f.engine, req);
  // a runs to its end (cooperative); b, c and n are not resolved; n is non-null, so data is null.
  EXPECT_EQ(r["data"], nullptr);
  ASSERT_EQ(r["errors"].as_array().size(), 1u) << r;
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "TIMEOUT");
  EXPECT_EQ(r["errors"].at(0).at("path"), parse_json(R"(["b"])"));
  req.query = "{ a: slow(ms: 30) c: number }";
  req.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  r = test::run(*f.engine, req);
  EXPECT_EQ(r["data"], parse_json(R"({"a":"slept","c":null})"));
}

TEST(GraphqlExecutor, CachesValidDocuments) {
  Fixture f;
  Prepared a = f.engine->prepare("{ number }");
  Prepared b = f.engine->prepare("{ number }");
  ASSERT_TRUE(a.document);
  EXPECT_EQ(a.document, b.document);
  EXPECT_FALSE(f.engine->prepare("{ nope }").document);
  EngineOptions small;
  small.document_cache_size = 1;
  Engine engine(f.schema, small);
  auto first = engine.prepare("{ number }").document;
  engine.prepare("{ hello }");
  EXPECT_NE(engine.prepare("{ number }").document, first);  // evicted
}

TEST(GraphqlExecutor, ResolversCanLookAhead) {
  Fixture f;
  EXPECT_FALSE(f.run("{ users { id } }").contains("errors"));
  auto r = f.run("{ users { id ...E } } fragment E on User { ... on User { email } }");
  EXPECT_EQ(r["errors"].at(0).at("message"), "users: email asked for");
}

TEST(GraphqlExecutor, ResolversSeeWhetherTheSelectionStaysWithinSomeFields) {
  Fixture f;
  EXPECT_FALSE(f.run("{ users { __typename id ...N ... on User { id } } } fragment N on User { id }").contains("errors"));
  auto named = f.run("{ users { ...N } } fragment N on User { name }");  // only user 2's own error
  EXPECT_EQ(named["errors"].at(0).at("message"), "user 2 hides its name");
  auto r = f.run("{ users { id ...F } } fragment F on User { ... on User { friend { id } } }");
  EXPECT_EQ(r["errors"].at(0).at("message"), "users: more than id and name asked for");
  r = f.run("{ users { id best { id } } }");
  EXPECT_EQ(r["errors"].at(0).at("message"), "users: more than id and name asked for");
}

TEST(GraphqlExecutor, PassesTheRequestContext) {
  Fixture f;
  std::string who = "alice";
  EXPECT_EQ(test::run(*f.engine, "{ context }", {}, &who)["data"].at("context"), "alice");
}

TEST(GraphqlExecutor, ReportsParseAndValidationErrorsWithoutData) {
  Fixture f;
  auto r = f.run("{ hello(");
  EXPECT_FALSE(r.contains("data"));
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "GRAPHQL_PARSE_FAILED");
  EXPECT_EQ(r["errors"].at(0).at("locations"), parse_json(R"([{"line":1,"column":9}])"));
  r = f.run("{ nope }");
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "GRAPHQL_VALIDATION_FAILED");
}

}  // namespace
}  // namespace parley::graphql
