#include "http/router.hpp"

#include "core/error.hpp"
#include "http/testing.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::http {
namespace {

using testing::make_raw;
using testing::run_awaitable;

Handler answer(std::string text) {
  return [text](Request&) -> boost::asio::awaitable<Response> { co_return Response::text(text); };
}

// Echoes the matched path parameters as "name=value;..." so tests can see what the router bound.
Handler echo_params() {
  return [](Request& req) -> boost::asio::awaitable<Response> {
    std::string out;
    for (const auto& [name, value] : req.path_params) out += std::string(name) + "=" + value + ";";
    co_return Response::text(out);
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add(Method::get, "/healthz", answer("health"), {});
    router_.add(Method::get, "/items", answer("list"), {});
    router_.add(Method::post, "/items", answer("create"), {});
    router_.add(Method::get, "/items/{id:int}", echo_params(), {});
    router_.add(Method::del, "/items/{id:int}", answer("deleted"), {});
    router_.add(Method::get, "/users/{name}", echo_params(), {});
    router_.add(Method::get, "/users/{name}/items/{id:int}", echo_params(), {});
    router_.add(Method::post, "/only-post", answer("posted"), {});
    router_.add(Method::get, "/", answer("root"), {});
  }

  // Matches and dispatches like the server does; AppError propagates.
  Response call(std::string_view method, std::string_view target) {
    RawRequest raw = make_raw(method, target);
    Request req(raw);
    router_.match(req);
    return run_awaitable(router_.dispatch(req));
  }

  // Matches only; returns the route template (empty when none) and fills `allow`.
  std::string matched(std::string_view method, std::string_view target, std::string* allow = nullptr) {
    RawRequest raw = make_raw(method, target);
    Request req(raw);
    router_.match(req);
    if (allow) *allow = req.allow;
    return req.route ? req.route->path : std::string();
  }

  AppError error_of(std::string_view method, std::string_view target) {
    try {
      call(method, target);
    } catch (const AppError& e) {
      return e;
    }
    ADD_FAILURE() << method << " " << target << " did not throw AppError";
    return AppError::internal("no error");
  }

  Router router_;
};

TEST(CompileTemplate, SplitsLiteralsAndTypedParameters) {
  auto segments = compile_template("/api/v1/conversations/{id:int}/members/{name}");
  ASSERT_EQ(segments.size(), 6u);
  EXPECT_EQ(segments[0].kind, Segment::Kind::literal);
  EXPECT_EQ(segments[0].text, "api");
  EXPECT_EQ(segments[3].kind, Segment::Kind::integer);
  EXPECT_EQ(segments[3].text, "id");
  EXPECT_EQ(segments[5].kind, Segment::Kind::string);
  EXPECT_EQ(segments[5].text, "name");
}

TEST(CompileTemplate, RootIsOneEmptyLiteral) {
  auto segments = compile_template("/");
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].kind, Segment::Kind::literal);
  EXPECT_EQ(segments[0].text, "");
}

TEST(CompileTemplate, BadTemplatesThrow) {
  EXPECT_THROW(compile_template(""), std::invalid_argument);
  EXPECT_THROW(compile_template("items"), std::invalid_argument);
  EXPECT_THROW(compile_template("/items/{}"), std::invalid_argument);
  EXPECT_THROW(compile_template("/items/{:int}"), std::invalid_argument);
  EXPECT_THROW(compile_template("/items/{id:float}"), std::invalid_argument);
  EXPECT_THROW(compile_template("/items/{id:}"), std::invalid_argument);
  // A brace that does not form a whole-segment parameter is a typo, not a literal.
  EXPECT_THROW(compile_template("/items/{id"), std::invalid_argument);
  EXPECT_THROW(compile_template("/items/id}"), std::invalid_argument);
  EXPECT_THROW(compile_template("/items/x{id}"), std::invalid_argument);
  // Two parameters with one name would make req.param ambiguous.
  EXPECT_THROW(compile_template("/a/{id:int}/b/{id}"), std::invalid_argument);
}

TEST(CompileTemplate, RouterAddRejectsBadTemplates) {
  Router router;
  EXPECT_THROW(router.add(Method::get, "no-slash", answer("x"), {}), std::invalid_argument);
  EXPECT_TRUE(router.routes().empty());
}

TEST_F(RouterTest, StaticRoutesMatchExactly) {
  EXPECT_EQ(call("GET", "/healthz").body, "health");
  EXPECT_EQ(call("GET", "/").body, "root");
  EXPECT_EQ(call("GET", "/items").body, "list");
  EXPECT_EQ(call("POST", "/items").body, "create");
  EXPECT_EQ(matched("GET", "/healthz/"), "");
  EXPECT_EQ(matched("GET", "/HEALTHZ"), "");
  EXPECT_EQ(matched("GET", "/healthzz"), "");
}

TEST_F(RouterTest, QueryStringDoesNotAffectMatching) {
  EXPECT_EQ(call("GET", "/healthz?verbose=1").body, "health");
  EXPECT_EQ(call("GET", "/items/7?x=/y").body, "id=7;");
}

TEST_F(RouterTest, ParameterRoutesBindValues) {
  EXPECT_EQ(call("GET", "/items/42").body, "id=42;");
  EXPECT_EQ(call("GET", "/users/alice/items/9").body, "name=alice;id=9;");
  EXPECT_EQ(call("DELETE", "/items/42").body, "deleted");
  EXPECT_EQ(matched("GET", "/items/42/extra"), "");
  EXPECT_EQ(matched("GET", "/items/"), "");
  EXPECT_EQ(matched("GET", "/users/"), "");
}

TEST_F(RouterTest, IntParamIsReadable) {
  RawRequest raw = make_raw("GET", "/users/bob/items/9007199254740991");
  Request req(raw);
  router_.match(req);
  ASSERT_NE(req.route, nullptr);
  EXPECT_EQ(req.int_param("id"), 9007199254740991);
  EXPECT_EQ(req.param("name"), "bob");
  EXPECT_EQ(req.param("missing"), "");
}

TEST_F(RouterTest, IntegerParameterLimits) {
  EXPECT_EQ(matched("GET", "/items/1"), "/items/{id:int}");
  EXPECT_EQ(matched("GET", "/items/9007199254740991"), "/items/{id:int}");  // 2^53 - 1
  EXPECT_EQ(matched("GET", "/items/9007199254740992"), "");                 // 2^53
  EXPECT_EQ(matched("GET", "/items/99999999999999999"), "");
  EXPECT_EQ(matched("GET", "/items/99999999999999999999999"), "");  // would overflow int64
  EXPECT_EQ(matched("GET", "/items/0"), "");
  EXPECT_EQ(matched("GET", "/items/007"), "");
  EXPECT_EQ(matched("GET", "/items/-1"), "");
  EXPECT_EQ(matched("GET", "/items/+1"), "");
  EXPECT_EQ(matched("GET", "/items/1a"), "");
  EXPECT_EQ(matched("GET", "/items/a1"), "");
  EXPECT_EQ(matched("GET", "/items/1.0"), "");
  EXPECT_EQ(matched("GET", "/items/%31"), "");  // ids are not percent-decoded
  EXPECT_EQ(matched("GET", "/items/ 1"), "");
}

TEST_F(RouterTest, StringParametersArePercentDecoded) {
  EXPECT_EQ(call("GET", "/users/J%C3%BCrgen/items/3").body, "name=Jürgen;id=3;");
  EXPECT_EQ(call("GET", "/users/a%20b/items/3").body, "name=a b;id=3;");
  // '+' is a literal plus in a path, not a space.
  EXPECT_EQ(call("GET", "/users/a+b/items/3").body, "name=a+b;id=3;");
}

TEST_F(RouterTest, EncodedSlashAndMalformedEscapesDoNotMatch) {
  EXPECT_EQ(matched("GET", "/users/a%2Fb"), "");
  EXPECT_EQ(matched("GET", "/users/a%2fb"), "");
  EXPECT_EQ(matched("GET", "/users/a%zz"), "");
  EXPECT_EQ(matched("GET", "/users/a%2"), "");
  EXPECT_EQ(error_of("GET", "/users/a%2Fb").status(), 404);
}

TEST_F(RouterTest, UnknownPathIs404WithoutAllow) {
  std::string allow;
  EXPECT_EQ(matched("GET", "/nowhere", &allow), "");
  EXPECT_EQ(allow, "");
  auto e = error_of("GET", "/nowhere");
  EXPECT_EQ(e.status(), 404);
  EXPECT_TRUE(e.headers().empty());
}

TEST_F(RouterTest, WrongMethodIs405WithExactAllow) {
  auto e = error_of("PUT", "/items");
  EXPECT_EQ(e.status(), 405);
  ASSERT_EQ(e.headers().size(), 1u);
  EXPECT_EQ(e.headers()[0].first, "Allow");
  EXPECT_EQ(e.headers()[0].second, "GET, HEAD, POST, OPTIONS");

  auto post_only = error_of("GET", "/only-post");
  EXPECT_EQ(post_only.status(), 405);
  ASSERT_EQ(post_only.headers().size(), 1u);
  EXPECT_EQ(post_only.headers()[0].second, "POST, OPTIONS");  // no GET, so no HEAD

  auto param = error_of("POST", "/items/5");
  EXPECT_EQ(param.status(), 405);
  ASSERT_EQ(param.headers().size(), 1u);
  EXPECT_EQ(param.headers()[0].second, "GET, HEAD, DELETE, OPTIONS");
}

TEST_F(RouterTest, HeadOnAPostOnlyRouteIs405) {
  auto e = error_of("HEAD", "/only-post");
  EXPECT_EQ(e.status(), 405);
}

TEST_F(RouterTest, UnknownMethodIs405) {
  auto e = error_of("BREW", "/items");
  EXPECT_EQ(e.status(), 405);
}

TEST_F(RouterTest, HeadRunsTheGetHandler) {
  EXPECT_EQ(matched("HEAD", "/healthz"), "/healthz");
  EXPECT_EQ(matched("HEAD", "/items/3"), "/items/{id:int}");
  auto r = call("HEAD", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "health");  // the serializer drops the body, keeping its length
}

TEST_F(RouterTest, OptionsIsAnswered204WithAllow) {
  auto r = call("OPTIONS", "/items");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, POST, OPTIONS");
  EXPECT_TRUE(r.body.empty());
  auto p = call("OPTIONS", "/items/12");
  EXPECT_EQ(p.status, 204);
  EXPECT_EQ(p.header("Allow"), "GET, HEAD, DELETE, OPTIONS");
}

TEST_F(RouterTest, OptionsOnAnUnknownPathIs404) {
  EXPECT_EQ(error_of("OPTIONS", "/nowhere").status(), 404);
}

TEST_F(RouterTest, RoutesKeepTableOrderAndIndex) {
  const auto& routes = router_.routes();
  ASSERT_EQ(routes.size(), 9u);
  for (std::size_t i = 0; i < routes.size(); ++i) EXPECT_EQ(routes[i]->index, i);
  EXPECT_EQ(routes[3]->path, "/items/{id:int}");
}

TEST(RouterWebSocket, PlainGetIs426AndUpgradeStoresTheEndpoint) {
  Router router;
  router.websocket(
      "/ws", [](Request&) -> boost::asio::awaitable<std::shared_ptr<WsEndpoint>> { co_return nullptr; }, {});
  EXPECT_TRUE(router.routes()[0]->doc.consumes.empty());

  RawRequest plain = make_raw("GET", "/ws");
  Request plain_req(plain);
  router.match(plain_req);
  try {
    run_awaitable(router.dispatch(plain_req));
    ADD_FAILURE() << "expected 426";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 426);
  }

  RawRequest upgrade = make_raw("GET", "/ws", {{"Upgrade", "WebSocket"}, {"Connection", "Upgrade"}});
  Request upgrade_req(upgrade);
  router.match(upgrade_req);
  EXPECT_EQ(run_awaitable(router.dispatch(upgrade_req)).status, kSwitchingProtocols);
}

}  // namespace
}  // namespace parley::http
