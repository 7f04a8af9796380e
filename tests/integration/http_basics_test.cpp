// The server core against a real listener: routing, limits, pipelining, keep-alive, headers,
// errors, CORS, content negotiation and the OpenAPI document.
#include "harness.hpp"
#include "http/openapi.hpp"
#include "test_routes.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include <boost/json.hpp>

namespace parley::testing {
namespace {

class HttpServer : public ::testing::Test {
 protected:
  explicit HttpServer(std::map<std::string, std::string> env = {})
      : gate_(std::make_shared<Gate>()),
        server_(test_config(env), [gate = gate_](http::Router& r) { add_test_routes(r, gate); }) {}
  std::uint16_t port() const { return server_.port(); }

  std::shared_ptr<Gate> gate_;
  TestServer server_;
};

TEST_F(HttpServer, HealthzAnswersJson) {
  auto r = http_request(port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.json().at("status"), "ok");
}

TEST_F(HttpServer, ReadyzReportsChecks) {
  auto r = http_request(port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("status"), "ready");
}

TEST_F(HttpServer, UnknownPathIs404Problem) {
  auto r = http_request(port(), "GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  auto body = r.json().as_object();
  EXPECT_EQ(body.at("status"), 404);
  EXPECT_EQ(body.at("code"), "not_found");
  EXPECT_EQ(body.at("type"), "https://parley.dev/errors/not-found");
  EXPECT_EQ(std::string_view(body.at("request_id").as_string()), r.header("X-Request-Id"));
}

TEST_F(HttpServer, WrongMethodIs405WithAllow) {
  auto r = http_request(port(), "DELETE", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(HttpServer, HeadHasLengthButNoBody) {
  RawConnection c(port());
  c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = c.read_response(std::chrono::seconds(5), true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "15");
  EXPECT_EQ(head.body, "");
  // The next response starts right after the HEAD response's headers: no stray body bytes.
  auto get = c.read_response();
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, R"({"status":"ok"})");
}

TEST_F(HttpServer, OptionsListsAllowedMethods) {
  auto r = http_request(port(), "OPTIONS", "/test/items/5");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(HttpServer, TypedParametersMatchOnlyTheirType) {
  EXPECT_EQ(http_request(port(), "GET", "/test/items/42").json().at("id"), 42);
  EXPECT_EQ(http_request(port(), "GET", "/test/items/abc").status, 404);
  EXPECT_EQ(http_request(port(), "GET", "/test/items/0").status, 404);
  EXPECT_EQ(http_request(port(), "GET", "/test/items/007").status, 404);
  EXPECT_EQ(http_request(port(), "GET", "/test/items/9007199254740992").status, 404);  // 2^53
  EXPECT_EQ(http_request(port(), "GET", "/test/items/9007199254740991").status, 200);
  EXPECT_EQ(http_request(port(), "GET", "/test/names/hello%20world").json().at("name"), "hello world");
  EXPECT_EQ(http_request(port(), "GET", "/test/names/a%2Fb").status, 404);  // no smuggled slash
  EXPECT_EQ(http_request(port(), "GET", "/test/items/42/").status, 404);
}

TEST_F(HttpServer, SecurityHeadersOnEveryResponse) {
  for (const char* path : {"/healthz", "/nope"}) {
    auto r = http_request(port(), "GET", path);
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << path;
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << path;
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << path;
    EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(r.header("Strict-Transport-Security"), "") << "no HSTS over plain HTTP";
  }
}

TEST_F(HttpServer, RequestIdIsAcceptedWhenSaneAndReplacedOtherwise) {
  auto kept = http_request(port(), "GET", "/healthz", {{"X-Request-Id", "abc-123.def"}});
  EXPECT_EQ(kept.header("X-Request-Id"), "abc-123.def");
  auto replaced = http_request(port(), "GET", "/healthz", {{"X-Request-Id", "bad id with spaces"}});
  EXPECT_EQ(replaced.header("X-Request-Id").size(), 32u);
  auto generated = http_request(port(), "GET", "/healthz");
  EXPECT_EQ(generated.header("X-Request-Id").size(), 32u);
  EXPECT_NE(generated.header("X-Request-Id"), replaced.header("X-Request-Id"));
}

TEST_F(HttpServer, ValidationErrorsUseDrfShape) {
  auto r = http_request(port(), "POST", "/test/echo", {}, R"({"username":"A!","age":200,"extra":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  auto body = r.json().as_object();
  EXPECT_EQ(body.at("code"), "validation_failed");
  EXPECT_EQ(body.at("title"), "Invalid input");
  auto errors = body.at("errors").as_object();
  EXPECT_TRUE(errors.contains("username"));
  EXPECT_TRUE(errors.contains("age"));
  EXPECT_EQ(errors.at("extra").as_array().at(0), "Unknown field.");

  auto ok = http_request(port(), "POST", "/test/echo", {}, R"({"username":"alice","kind":"a"})");
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.json().at("username"), "alice");
}

TEST_F(HttpServer, MalformedJsonIs400) {
  auto r = http_request(port(), "POST", "/test/echo", {}, R"({"username": )");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json().at("code"), "malformed_json");
}

TEST_F(HttpServer, WrongContentTypeIs415AndWrongAcceptIs406) {
  auto r = http_request(port(), "POST", "/test/echo", {{"Content-Type", "text/plain"}}, "hello");
  EXPECT_EQ(r.status, 415);
  auto latin1 = http_request(port(), "POST", "/test/echo", {{"Content-Type", "application/json; charset=latin1"}},
                             R"({"username":"alice"})");
  EXPECT_EQ(latin1.status, 415);
  auto xml = http_request(port(), "GET", "/healthz", {{"Accept", "application/xml"}});
  EXPECT_EQ(xml.status, 406);
  EXPECT_EQ(http_request(port(), "GET", "/healthz", {{"Accept", "application/*;q=0.9"}}).status, 200);
  EXPECT_EQ(http_request(port(), "GET", "/healthz", {{"Accept", "*/*"}}).status, 200);
  // A route that answers 204 has no body to negotiate: accepting only problems (as Swagger UI asks
  // there) reaches the route, here to be refused for want of a session.
  EXPECT_EQ(http_request(port(), "DELETE", "/api/v1/auth/session", {{"Accept", "application/problem+json"}}).status,
            401);
}

TEST_F(HttpServer, UnexpectedExceptionsBecome500WithoutLeakingDetails) {
  auto r = http_request(port(), "GET", "/test/crash");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("passwd"), std::string::npos);
  EXPECT_EQ(r.json().at("code"), "internal_error");
}

TEST_F(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  RawConnection c(port());
  for (int i = 0; i < 20; ++i) {
    c.send("GET /test/items/" + std::to_string(i + 1) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("id"), i + 1);
  }
}

TEST_F(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection c(port());
  std::string batch;
  for (int i = 1; i <= 10; ++i) batch += "GET /test/items/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  c.send(batch);
  for (int i = 1; i <= 10; ++i) {
    auto r = c.read_response();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("id"), i);
  }
}

TEST_F(HttpServer, ConnectionCloseIsHonoured) {
  RawConnection c(port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(2)));
}

TEST_F(HttpServer, MalformedRequestGets400AndTheConnectionCloses) {
  RawConnection c(port());
  c.send("GET /healthz HTTP/1.1\r\nHost x no colon\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json().at("code"), "malformed_request");
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(2)));
}

TEST_F(HttpServer, OversizedHeadersGet431) {
  RawConnection c(port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(2)));
}

TEST_F(HttpServer, OversizedBodyGets413BeforeItIsRead) {
  RawConnection c(port());
  c.send("POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().at("code"), "payload_too_large");
}

TEST_F(HttpServer, OpenApiDocumentCoversEveryRoute) {
  auto r = http_request(port(), "GET", "/api/schema.json");
  ASSERT_EQ(r.status, 200);
  auto doc = r.json().as_object();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  auto& paths = doc.at("paths").as_object();
  for (const auto& route : server_.app().router().routes()) {
    std::string path;
    for (const auto& seg : route->segments)
      path += "/" + (seg.kind == http::Segment::Kind::literal ? seg.text : "{" + seg.text + "}");
    // The browser pages (admin console, Swagger UI) are left out on purpose (RouteDoc::in_openapi).
    if (!route->doc.in_openapi) {
      EXPECT_FALSE(paths.contains(path)) << route->path;
      continue;
    }
    EXPECT_TRUE(paths.contains(path)) << route->path;
  }
  EXPECT_FALSE(paths.contains("/admin/"));
  EXPECT_FALSE(paths.contains("/api/docs/"));
  EXPECT_TRUE(paths.at("/test/items/{id}").at("get").at("parameters").at(0).at("schema").at("type") == "integer");
}

// docs/api.md is the guide users get with the repository: every path of the OpenAPI document
// appears in it literally (`/api/v1/conversations/{id}/messages`), so a new route cannot land
// without its documentation. The fixture's own /test/ routes are not Parley's.
TEST_F(HttpServer, ApiGuideMentionsEveryOpenApiPath) {
  std::ifstream in(std::filesystem::path(PARLEY_SOURCE_DIR) / "docs" / "api.md");
  ASSERT_TRUE(in) << "docs/api.md is missing";
  const std::string guide((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = http_request(port(), "GET", "/api/schema.json");
  ASSERT_EQ(r.status, 200);
  const auto doc = r.json();
  const auto& paths = doc.as_object().at("paths").as_object();
  std::size_t checked = 0;
  for (const auto& [path, item] : paths) {
    if (path.starts_with("/test/")) continue;
    ++checked;
    EXPECT_NE(guide.find("`" + std::string(path) + "`"), std::string::npos)
        << "docs/api.md does not mention `" << std::string(path) << "` (write it in backquotes, as the OpenAPI "
        << "document spells it)";
  }
  EXPECT_GT(checked, 50u);
}

// What a generated client needs: fields the server answers with null typed as nullable (OpenAPI
// 3.1 type arrays), the session cookie as a security scheme, and the 4xx problems of each
// operation as application/problem+json with the Problem schema.
TEST_F(HttpServer, OpenApiTypesNullableFieldsAndListsProblemResponses) {
  auto r = http_request(port(), "GET", "/api/schema.json");
  ASSERT_EQ(r.status, 200);
  const auto doc = r.json();
  const auto& paths = doc.at("paths").as_object();
  auto ok_schema = [&](const char* path, const char* method) -> const boost::json::object& {
    return paths.at(path).at(method).at("responses").at("200").at("content").at("application/json").at("schema")
        .as_object();
  };
  auto nullable = [](const boost::json::value& s) {
    const auto* type = s.as_object().if_contains("type");
    if (type == nullptr || !type->is_array()) return false;
    for (const auto& t : type->as_array())
      if (t == "null") return true;
    return false;
  };
  const auto& message = ok_schema("/api/v1/messages/{id}", "get").at("properties");
  for (const char* field : {"edited_at", "parent_id", "client_msg_id", "last_reply_at"})
    EXPECT_TRUE(nullable(message.at(field))) << "message." << field;
  EXPECT_FALSE(nullable(message.at("body")));
  EXPECT_FALSE(nullable(message.at("created_at")));
  const auto& conversation = ok_schema("/api/v1/conversations/{id}", "get").at("properties");
  for (const char* field : {"archived_at", "last_message", "my_role"})
    EXPECT_TRUE(nullable(conversation.at(field))) << "conversation." << field;
  EXPECT_TRUE(nullable(ok_schema("/api/v1/users/me", "get").at("properties").at("last_seen_at")));
  const auto& page = ok_schema("/api/v1/conversations", "get").at("properties");
  EXPECT_TRUE(nullable(page.at("next")));
  EXPECT_TRUE(nullable(page.at("previous")));

  const auto& components = doc.at("components").as_object();
  EXPECT_EQ(components.at("securitySchemes").at("sessionCookie").at("in"), "cookie");
  const auto& problems = components.at("responses").as_object();
  for (const auto& [name, response] : problems)
    EXPECT_EQ(response.at("content").at("application/problem+json").at("schema").at("$ref"),
              "#/components/schemas/Problem")
        << std::string(name);
  // Each reference resolves; authenticated operations list 401 and 403, operations with path
  // parameters 404, operations with a body 400 and 415.
  for (const auto& [path, item] : paths) {
    for (const auto& [method, op] : item.as_object()) {
      const auto& responses = op.at("responses").as_object();
      const std::string where = std::string(method) + " " + std::string(path);
      for (const auto& [status, response] : responses) {
        if (const auto* ref = response.as_object().if_contains("$ref")) {
          std::string_view target = ref->as_string();
          ASSERT_TRUE(target.starts_with("#/components/responses/")) << where;
          EXPECT_TRUE(problems.contains(target.substr(std::string_view("#/components/responses/").size())))
              << where << " " << std::string(status);
        }
      }
      if (!op.at("security").as_array().empty()) {
        EXPECT_TRUE(responses.contains("401")) << where;
        EXPECT_TRUE(responses.contains("403")) << where;
      }
      if (path.find('{') != boost::json::string_view::npos) {
        EXPECT_TRUE(responses.contains("404")) << where;
      }
      if (op.as_object().contains("requestBody")) {
        EXPECT_TRUE(responses.contains("400")) << where;
        EXPECT_TRUE(responses.contains("415")) << where;
      }
    }
  }
  const auto& send = paths.at("/api/v1/conversations/{id}/messages").at("post").at("responses");
  EXPECT_EQ(send.at("429").at("$ref"), "#/components/responses/TooManyRequests");
  EXPECT_FALSE(paths.at("/healthz").at("get").at("responses").as_object().contains("429"));
}

// Also what a generated client needs: the query parameters each operation reads, response fields
// marked required (always present) except those a caller sees only sometimes, and the probes'
// 4xx answer (406 from content negotiation). scripts/api-contract-test checks the whole document
// with Redocly's lint and validates real responses against it through Prism's proxy.
TEST_F(HttpServer, OpenApiListsQueryParametersAndRequiredResponseFields) {
  auto r = http_request(port(), "GET", "/api/schema.json");
  ASSERT_EQ(r.status, 200);
  const auto doc = r.json();
  const auto& paths = doc.at("paths").as_object();
  auto query_names = [&](const char* path) {
    std::set<std::string> names;
    for (const auto& p : paths.at(path).at("get").at("parameters").as_array())
      if (p.at("in") == "query") names.emplace(p.at("name").as_string());
    return names;
  };
  for (const char* name : {"before", "after", "around", "limit", "parent_id", "since", "until"})
    EXPECT_TRUE(query_names("/api/v1/conversations/{id}/messages").contains(name)) << name;
  const auto& search = paths.at("/api/v1/search").at("get").at("parameters").as_array();
  bool q_required = false;
  for (const auto& p : search) q_required = q_required || (p.at("name") == "q" && p.at("required") == true);
  EXPECT_TRUE(q_required);

  auto required = [&](const char* path, const char* method, const char* status) {
    std::set<std::string> names;
    const auto& schema =
        paths.at(path).at(method).at("responses").at(status).at("content").at("application/json").at("schema");
    for (const auto& n : schema.at("required").as_array()) names.emplace(n.as_string());
    return names;
  };
  EXPECT_TRUE(required("/api/v1/messages/{id}", "get", "200").contains("edited_at"));
  EXPECT_TRUE(required("/api/v1/users/me", "get", "200").contains("email"));
  EXPECT_FALSE(required("/api/v1/users/{id}", "get", "200").contains("email"));
  EXPECT_TRUE(required("/api/v1/users/{id}", "get", "200").contains("username"));
  EXPECT_TRUE(required("/api/v1/webhooks", "post", "201").contains("secret"));
  EXPECT_FALSE(required("/api/v1/webhooks/{id}", "patch", "200").contains("secret"));
  EXPECT_FALSE(paths.at("/api/v1/webhooks/{id}")
                   .at("get")
                   .at("responses")
                   .at("200")
                   .at("content")
                   .at("application/json")
                   .at("schema")
                   .at("properties")
                   .as_object()
                   .contains("secret"));

  for (const char* probe : {"/healthz", "/readyz", "/metrics"})
    EXPECT_EQ(paths.at(probe).at("get").at("responses").at("406").at("$ref"), "#/components/responses/NotAcceptable")
        << probe;
  std::set<std::string> ids;
  for (const auto& [path, item] : paths)
    for (const auto& [method, op] : item.as_object())
      EXPECT_TRUE(ids.emplace(op.at("operationId").as_string()).second)
          << "duplicate operationId at " << std::string(path);
}

TEST_F(HttpServer, EveryRouteIsDocumented) {
  auto problems = http::undocumented_routes(server_.app().router());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_F(HttpServer, MetricsCountRequestsByRouteTemplate) {
  http_request(port(), "GET", "/test/items/7");
  http_request(port(), "GET", "/test/items/8");
  auto r = http_request(port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"(parley_http_requests_total{method="GET",route="/test/items/{id:int}",status="200"} 2)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("parley_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find("parley_http_open_connections"), std::string::npos);
  EXPECT_NE(r.body.find(R"(le="0.3")"), std::string::npos) << "the latency objective's bucket";
}

// OpenMetrics on request, read by the reference parser (python3-prometheus-client, which
// scripts/bootstrap installs): every family parses, and a sampled request left its exemplar.
TEST_F(HttpServer, MetricsSpeakOpenMetricsWithExemplarsWhenAsked) {
  http_request(port(), "GET", "/test/items/7",
               {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
  auto r = http_request(port(), "GET", "/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_TRUE(r.body.ends_with("# EOF\n"));
  EXPECT_NE(r.body.find(R"(# {trace_id="0af7651916cd43dd8448eb211c80319c"})"), std::string::npos) << r.body;
  EXPECT_EQ(http_request(port(), "GET", "/metrics", {{"Accept", "application/json"}}).status, 406);

  if (std::system("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null") != 0)
    GTEST_SKIP() << "python3-prometheus-client is not installed (scripts/bootstrap installs it)";
  const auto path = std::filesystem::temp_directory_path() / ("parley-openmetrics-" + std::to_string(::getpid()));
  std::ofstream(path) << r.body;
  const std::string check =
      "/usr/bin/python3 -c 'import sys\n"
      "from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\n"
      "families = list(parse(open(sys.argv[1]).read()))\n"
      "exemplars = [s for f in families for s in f.samples if s.exemplar]\n"
      "sys.exit(0 if len(families) > 10 and exemplars else 1)' " + path.string();
  const int status = std::system(check.c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << "the OpenMetrics parser refused the exposition:\n" << r.body;
}

TEST_F(HttpServer, MetricsReportTheProcessItsBuildAndReadiness) {
  auto r = http_request(port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\nparley_ready 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"(parley_build_info{revision=")"), std::string::npos);
  EXPECT_NE(r.body.find(std::string(R"(version=")") + PARLEY_VERSION + R"("} 1)"), std::string::npos);
  EXPECT_NE(r.body.find(R"(parley_db_transactions_total{outcome="committed"} )"), std::string::npos);
  EXPECT_NE(r.body.find("\nparley_db_retries_total "), std::string::npos);
  for (const char* family : {"process_resident_memory_bytes ", "process_open_fds ", "process_max_fds ",
                             "process_threads ", "process_cpu_seconds_total ", "parley_process_start_time_seconds "}) {
    const auto at = r.body.find(std::string("\n") + family);
    ASSERT_NE(at, std::string::npos) << family;
    EXPECT_GT(std::stod(r.body.substr(at + 1 + std::string(family).size())), 0) << family;
  }
}

class CorsServer : public HttpServer {
 protected:
  CorsServer() : HttpServer({{"PARLEY_CORS_ORIGINS", "https://app.example.com"}}) {}
};

TEST_F(CorsServer, PreflightFromAllowedOriginIsAnswered) {
  auto r = http_request(port(), "OPTIONS", "/test/echo",
                        {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(r.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(r.header("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
  EXPECT_EQ(r.header("Vary"), "Origin");
}

TEST_F(CorsServer, PreflightFromOtherOriginIsRefused) {
  auto r = http_request(port(), "OPTIONS", "/test/echo",
                        {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
}

TEST_F(CorsServer, ActualRequestsCarryCorsHeaders) {
  auto r = http_request(port(), "GET", "/healthz", {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_NE(r.header("Access-Control-Expose-Headers").find("X-Request-Id"), std::string::npos);
  auto other = http_request(port(), "GET", "/healthz", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.header("Access-Control-Allow-Origin"), "");
}

class AllowedHostsServer : public HttpServer {
 protected:
  AllowedHostsServer() : HttpServer({{"PARLEY_ALLOWED_HOSTS", "chat.example.com"}}) {}
};

TEST_F(AllowedHostsServer, ForeignHostIsRefused) {
  EXPECT_EQ(http_request(port(), "GET", "/api/schema.json", {{"Host", "evil.example"}}).status, 400);
  EXPECT_EQ(http_request(port(), "GET", "/api/schema.json", {{"Host", "chat.example.com:8000"}}).status, 200);
}

TEST_F(AllowedHostsServer, ProbesAndScrapesAnswerAnyHost) {
  // A kubelet or Prometheus addresses the replica by its IP.
  for (const char* path : {"/healthz", "/readyz", "/metrics"})
    EXPECT_EQ(http_request(port(), "GET", path, {{"Host", "10.1.2.3:8000"}}).status, 200) << path;
}

class DrainingServer : public HttpServer {
 protected:
  DrainingServer() : HttpServer({{"PARLEY_DRAIN_DELAY", "1h"}}) {}
};

TEST_F(DrainingServer, ReadyzTurns503WhileRequestsAreStillServed) {
  ASSERT_EQ(http_request(port(), "GET", "/readyz").status, 200);
  server_.app().request_stop();  // as SIGTERM does; the listener stays open for the drain delay
  auto ready = http_request(port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json().at("status"), "draining");
  EXPECT_EQ(ready.header("Retry-After"), "5");
  EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200);
  EXPECT_NE(http_request(port(), "GET", "/metrics").body.find("parley_ready 0"), std::string::npos);
  // The fixture's stop is a second request_stop: it skips the hour left, so the test ends now.
}

}  // namespace
}  // namespace parley::testing
