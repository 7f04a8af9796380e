// The browser pages (app/routes_static.cpp): the admin console at /admin/, Swagger UI at /api/docs/
// and GraphiQL at /graphiql/, served from the repository's web/ folder with a strict
// Content-Security-Policy, revalidated by ETag, and nothing outside their folders reachable.
#include "harness.hpp"

#include <gtest/gtest.h>

namespace parley::testing {
namespace {

class StaticRoutes : public ::testing::Test {
 protected:
  TestServer server_{test_config()};
  std::uint16_t port() const { return server_.port(); }
};

TEST_F(StaticRoutes, TheConsolePageComesWithItsPolicyAndItsFiles) {
  auto bare = http_request(port(), "GET", "/admin");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(bare.header("Location"), "/admin/");
  auto page = http_request(port(), "GET", "/admin/", {{"Accept", "text/html"}});
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  const std::string policy(page.header("Content-Security-Policy"));
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << "no inline script or style in the console";
  EXPECT_EQ(page.header("Cache-Control"), "no-cache");
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "scripts come from files";
  auto script = http_request(port(), "GET", "/admin/app.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.header("Content-Type"), "text/javascript; charset=utf-8");
  // Revalidation: the same ETag answers 304 without a body.
  const std::string etag(script.header("ETag"));
  ASSERT_FALSE(etag.empty());
  auto again = http_request(port(), "GET", "/admin/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(StaticRoutes, SwaggerUiRendersTheLiveSchema) {
  auto page = http_request(port(), "GET", "/api/docs/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.header("Content-Security-Policy").find("style-src 'self' 'unsafe-inline'"), std::string::npos);
  EXPECT_EQ(http_request(port(), "GET", "/api/docs/swagger-ui-bundle.js").status, 200);
  EXPECT_EQ(http_request(port(), "GET", "/api/docs/swagger-ui.css").status, 200);
  EXPECT_EQ(http_request(port(), "GET", "/api/schema.json").status, 200);
}

TEST_F(StaticRoutes, GraphiqlIsServedWithItsOwnPolicy) {
  auto bare = http_request(port(), "GET", "/graphiql");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(bare.header("Location"), "/graphiql/");
  auto page = http_request(port(), "GET", "/graphiql/");
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string policy(page.header("Content-Security-Policy"));
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos) << policy;
  EXPECT_NE(policy.find("font-src data:;"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos) << policy;
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "scripts come from files";
  for (const char* file :
       {"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "init.js"}) {
    EXPECT_EQ(http_request(port(), "GET", std::string("/graphiql/") + file).status, 200) << file;
  }
}

TEST_F(StaticRoutes, NothingOutsideTheFoldersIsReachable) {
  for (const char* path : {"/admin/missing.js", "/admin/..%2F..%2FREADME.md", "/admin/%2e%2e", "/admin/.hidden",
                           "/api/docs/..%2Fadmin%2Findex.html", "/admin/index.html/x"}) {
    auto r = http_request(port(), "GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << path;
  }
}

}  // namespace
}  // namespace parley::testing
