#include "http/middlewares.hpp"

#include "core/error.hpp"
#include "http/router.hpp"
#include "http/testing.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace parley::http {
namespace {

using testing::make_raw;
using testing::run_awaitable;

// A pipeline of one middleware whose terminal records that it ran and answers 200 "ok"
// (or whatever `terminal` returns).
class OneLayer {
 public:
  explicit OneLayer(std::unique_ptr<Middleware> middleware, Pipeline::Terminal terminal = {}) {
    std::vector<std::unique_ptr<Middleware>> chain;
    chain.push_back(std::move(middleware));
    if (!terminal) {
      terminal = [](Request&) -> boost::asio::awaitable<Response> { co_return Response::text("ok"); };
    }
    pipeline_ = std::make_unique<Pipeline>(
        std::move(chain), [this, terminal = std::move(terminal)](Request& req) -> boost::asio::awaitable<Response> {
          ++terminal_calls;
          seen_request_id = req.request_id;
          seen_client_ip = req.client_ip;
          return terminal(req);
        });
  }

  Response run(Request& req) { return run_awaitable((*pipeline_)(req)); }

  int terminal_calls = 0;
  std::string seen_request_id;
  std::string seen_client_ip;

 private:
  std::unique_ptr<Pipeline> pipeline_;
};

// ---------------------------------------------------------------- request id

bool is_generated_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(RequestIdMiddleware, AcceptsASaneIncomingId) {
  OneLayer layer(make_request_id_middleware());
  auto raw = make_raw("GET", "/", {{"X-Request-Id", "abc.DEF_123:xyz-9"}});
  Request req(raw);
  auto r = layer.run(req);
  EXPECT_EQ(req.request_id, "abc.DEF_123:xyz-9");
  EXPECT_EQ(layer.seen_request_id, "abc.DEF_123:xyz-9");  // set before the inner layers run
  EXPECT_EQ(r.header("X-Request-Id"), "abc.DEF_123:xyz-9");
}

TEST(RequestIdMiddleware, AcceptsExactly128Characters) {
  OneLayer layer(make_request_id_middleware());
  std::string id(128, 'a');
  auto raw = make_raw("GET", "/", {{"X-Request-Id", id}});
  Request req(raw);
  EXPECT_EQ(layer.run(req).header("X-Request-Id"), id);
}

TEST(RequestIdMiddleware, ReplacesMissingOrUnsafeIds) {
  std::vector<std::string> bad = {"", std::string(129, 'a'), "has space", "semi;colon", "new\tline", "<script>",
                                  "caf\xC3\xA9"};
  for (const auto& incoming : bad) {
    OneLayer layer(make_request_id_middleware());
    auto raw = incoming.empty() ? make_raw("GET", "/") : make_raw("GET", "/", {{"X-Request-Id", incoming}});
    Request req(raw);
    auto r = layer.run(req);
    EXPECT_TRUE(is_generated_id(req.request_id)) << incoming << " -> " << req.request_id;
    EXPECT_EQ(r.header("X-Request-Id"), req.request_id);
  }
}

TEST(RequestIdMiddleware, GeneratedIdsDiffer) {
  OneLayer layer(make_request_id_middleware());
  auto a_raw = make_raw("GET", "/");
  auto b_raw = make_raw("GET", "/");
  Request a(a_raw), b(b_raw);
  layer.run(a);
  layer.run(b);
  EXPECT_NE(a.request_id, b.request_id);
}

TEST(RequestIdMiddleware, EchoesTheIdOnErrorResponsesItSees) {
  // Inside the error middleware (as in the real pipeline) the handler's failure is a response.
  auto logger = std::make_shared<spdlog::logger>("t");
  std::vector<std::unique_ptr<Middleware>> chain;
  chain.push_back(make_request_id_middleware());
  chain.push_back(make_error_middleware(*logger));
  Pipeline pipeline(std::move(chain), [](Request&) -> boost::asio::awaitable<Response> {
    throw AppError::not_found();
    co_return Response{};
  });
  auto raw = make_raw("GET", "/", {{"X-Request-Id", "trace-1"}});
  Request req(raw);
  auto r = run_awaitable(pipeline(req));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("X-Request-Id"), "trace-1");
  EXPECT_EQ(boost::json::parse(r.body).at("request_id"), "trace-1");
}

// ---------------------------------------------------------------- client ip

std::string client_ip(const std::vector<std::string>& trusted, std::string peer, std::string_view xff) {
  OneLayer layer(make_client_ip_middleware(trusted));
  auto raw = xff.empty() ? make_raw("GET", "/") : make_raw("GET", "/", {{"X-Forwarded-For", xff}});
  Request req(raw);
  req.peer_ip = std::move(peer);
  layer.run(req);
  EXPECT_EQ(layer.seen_client_ip, req.client_ip);  // set before the inner layers run
  return req.client_ip;
}

TEST(ClientIpMiddleware, WithoutTrustedProxiesThePeerIsTheClient) {
  EXPECT_EQ(client_ip({}, "10.0.0.1", ""), "10.0.0.1");
  EXPECT_EQ(client_ip({}, "10.0.0.1", "1.2.3.4"), "10.0.0.1");
}

TEST(ClientIpMiddleware, TrustedPeerYieldsTheNearestUntrustedHop) {
  std::vector<std::string> trusted = {"10.0.0.0/8"};
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "1.2.3.4, 10.0.0.5"), "1.2.3.4");
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "1.2.3.4,10.9.9.9"), "1.2.3.4");
  // A client can prepend anything; the walk stops at the first hop our proxies did not add.
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.5"), "1.2.3.4");
  // Every hop trusted: the farthest one is the best we know.
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "10.0.0.7, 10.0.0.5"), "10.0.0.7");
  // No header: the peer.
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", ""), "10.0.0.1");
}

TEST(ClientIpMiddleware, UntrustedPeerIgnoresForwardedFor) {
  std::vector<std::string> trusted = {"10.0.0.0/8"};
  EXPECT_EQ(client_ip(trusted, "8.8.8.8", "1.2.3.4"), "8.8.8.8");
  EXPECT_EQ(client_ip(trusted, "11.0.0.1", "10.0.0.1"), "11.0.0.1");
}

TEST(ClientIpMiddleware, SingleAddressesAndSeveralBlocks) {
  std::vector<std::string> trusted = {"127.0.0.1", "192.168.1.0/24"};
  EXPECT_EQ(client_ip(trusted, "127.0.0.1", "5.5.5.5"), "5.5.5.5");
  EXPECT_EQ(client_ip(trusted, "127.0.0.2", "5.5.5.5"), "127.0.0.2");
  EXPECT_EQ(client_ip(trusted, "192.168.1.200", "5.5.5.5, 127.0.0.1"), "5.5.5.5");
  EXPECT_EQ(client_ip(trusted, "192.168.2.1", "5.5.5.5"), "192.168.2.1");
}

TEST(ClientIpMiddleware, GarbageForwardedForFallsBackToWhatIsKnown) {
  std::vector<std::string> trusted = {"10.0.0.0/8"};
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "not-an-ip"), "10.0.0.1");
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "1.2.3.4, garbage"), "10.0.0.1");
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "1.2.3.4:5678"), "10.0.0.1");
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", ","), "10.0.0.1");
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "999.1.1.1"), "10.0.0.1");
  // Garbage beyond an untrusted hop is never reached.
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "garbage, 1.2.3.4"), "1.2.3.4");
}

TEST(ClientIpMiddleware, IPv6ProxiesAndClients) {
  std::vector<std::string> trusted = {"::1", "fd00::/8"};
  EXPECT_EQ(client_ip(trusted, "::1", "2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(client_ip(trusted, "fd12::5", "2001:db8::7, fd00::9"), "2001:db8::7");
  EXPECT_EQ(client_ip(trusted, "fd12::5", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(client_ip(trusted, "2001:db8::2", "203.0.113.9"), "2001:db8::2");
  // A v4 peer is not inside a v6 block.
  EXPECT_EQ(client_ip(trusted, "127.0.0.1", "203.0.113.9"), "127.0.0.1");
}

TEST(ClientIpMiddleware, V4MappedPeerMatchesAV4Block) {
  std::vector<std::string> trusted = {"10.0.0.0/8"};
  EXPECT_EQ(client_ip(trusted, "::ffff:10.1.2.3", "198.51.100.4"), "198.51.100.4");
  EXPECT_EQ(client_ip(trusted, "::ffff:11.1.2.3", "198.51.100.4"), "::ffff:11.1.2.3");
  // A v4-mapped hop our proxy wrote is trusted like its v4 form.
  EXPECT_EQ(client_ip(trusted, "10.0.0.1", "198.51.100.4, ::ffff:10.0.0.2"), "198.51.100.4");
}

TEST(ClientIpMiddleware, EveryForwardedForLineCountsInOrder) {
  // A client's own X-Forwarded-For line comes first; the proxy that appends a line of its own
  // (rather than extending the client's) must still be believed over the client.
  OneLayer layer(make_client_ip_middleware({"10.0.0.0/8"}));
  auto raw = make_raw("GET", "/", {{"X-Forwarded-For", "6.6.6.6"}, {"Host", "x"}, {"x-forwarded-for", "1.2.3.4, 10.0.0.5"}});
  Request req(raw);
  req.peer_ip = "10.0.0.1";
  layer.run(req);
  EXPECT_EQ(req.client_ip, "1.2.3.4");
  EXPECT_EQ(req.header_list("X-Forwarded-For"), "6.6.6.6, 1.2.3.4, 10.0.0.5");
  EXPECT_EQ(req.header_list("X-Absent"), "");
}

TEST(ClientIpMiddleware, MalformedBlocksAreRefusedAtStartup) {
  EXPECT_THROW(make_client_ip_middleware({"10.0.0.0/33"}), std::invalid_argument);
  EXPECT_THROW(make_client_ip_middleware({"not-a-cidr"}), std::invalid_argument);
  EXPECT_THROW(make_client_ip_middleware({"fd00::/129"}), std::invalid_argument);
  EXPECT_THROW(make_client_ip_middleware({""}), std::invalid_argument);
  EXPECT_NO_THROW(make_client_ip_middleware({"10.0.0.0/8", "::1/128", "192.168.0.1"}));
}

// ---------------------------------------------------------------- content type

class ContentTypeTest : public ::testing::Test {
 protected:
  ContentTypeTest() {
    route_.method = Method::post;
    route_.path = "/things";
    route_.segments = compile_template(route_.path);
  }

  // The status the middleware answers with: 0 when it let the request through.
  int status(std::initializer_list<std::pair<std::string_view, std::string_view>> headers, std::string body = {},
             bool routed = true) {
    OneLayer layer(make_content_type_middleware());
    auto raw = make_raw("POST", "/things", headers, std::move(body));
    Request req(raw);
    if (routed) req.route = &route_;
    try {
      layer.run(req);
      EXPECT_EQ(layer.terminal_calls, 1);
      return 0;
    } catch (const AppError& e) {
      EXPECT_EQ(layer.terminal_calls, 0);
      return e.status();
    }
  }

  Route route_;
};

TEST_F(ContentTypeTest, JsonBodiesAreAccepted) {
  EXPECT_EQ(status({{"Content-Type", "application/json"}}, "{}"), 0);
  EXPECT_EQ(status({{"Content-Type", "application/json; charset=utf-8"}}, "{}"), 0);
  EXPECT_EQ(status({{"Content-Type", "Application/JSON;charset=UTF-8"}}, "{}"), 0);
  EXPECT_EQ(status({{"Content-Type", "application/json; charset=\"utf-8\""}}, "{}"), 0);
}

TEST_F(ContentTypeTest, OtherBodiesAre415) {
  EXPECT_EQ(status({{"Content-Type", "text/plain"}}, "{}"), 415);
  EXPECT_EQ(status({{"Content-Type", "application/jsonx"}}, "{}"), 415);
  EXPECT_EQ(status({{"Content-Type", "application/x-www-form-urlencoded"}}, "a=1"), 415);
  EXPECT_EQ(status({}, "{}"), 415);  // a body without Content-Type
  EXPECT_EQ(status({{"Content-Type", "application/json; charset=latin1"}}, "{}"), 415);
  EXPECT_EQ(status({{"Content-Type", "application/json; charset=utf-16"}}, "{}"), 415);
}

TEST_F(ContentTypeTest, NoBodyNeedsNoContentType) { EXPECT_EQ(status({}), 0); }

TEST_F(ContentTypeTest, RoutesWithoutABodyRefuseOne) {
  route_.doc.consumes.clear();
  EXPECT_EQ(status({{"Content-Type", "application/json"}}, "{}"), 415);
  EXPECT_EQ(status({}), 0);
}

TEST_F(ContentTypeTest, UnmatchedRequestsPassThrough) {
  EXPECT_EQ(status({{"Content-Type", "text/plain"}, {"Accept", "text/html"}}, "x", false), 0);
}

TEST_F(ContentTypeTest, AcceptRules) {
  EXPECT_EQ(status({{"Accept", "application/json"}}), 0);
  EXPECT_EQ(status({{"Accept", "*/*"}}), 0);
  EXPECT_EQ(status({{"Accept", "application/*"}}), 0);
  EXPECT_EQ(status({{"Accept", "text/html, application/json;q=0.9"}}), 0);
  EXPECT_EQ(status({{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}), 0);
  EXPECT_EQ(status({{"Accept", "application/json; q=0.5"}}), 0);
  EXPECT_EQ(status({{"Accept", "application/json;q=0.05"}}), 0);
  EXPECT_EQ(status({{"Accept", "text/html"}}), 406);
  EXPECT_EQ(status({{"Accept", "text/*"}}), 406);
  EXPECT_EQ(status({{"Accept", "application/xml"}}), 406);
}

TEST_F(ContentTypeTest, AcceptWithZeroQualityRefuses) {
  EXPECT_EQ(status({{"Accept", "application/json;q=0"}}), 406);
  EXPECT_EQ(status({{"Accept", "application/json; q=0"}}), 406);
  EXPECT_EQ(status({{"Accept", "application/json;q=0.0"}}), 406);
  EXPECT_EQ(status({{"Accept", "application/json;q=0.000"}}), 406);
  EXPECT_EQ(status({{"Accept", "*/*;q=0"}}), 406);
  // The most specific range decides (RFC 9110 12.5.1).
  EXPECT_EQ(status({{"Accept", "application/json;q=0, */*"}}), 406);
  EXPECT_EQ(status({{"Accept", "*/*;q=0, application/json"}}), 0);
  EXPECT_EQ(status({{"Accept", "application/*;q=0, */*"}}), 406);
  EXPECT_EQ(status({{"Accept", "application/*;q=0, application/json;q=0.2"}}), 0);
}

TEST_F(ContentTypeTest, RoutesThatProduceNothingIgnoreAccept) {
  route_.doc.produces.clear();
  EXPECT_EQ(status({{"Accept", "text/html"}}), 0);
}

// ---------------------------------------------------------------- CORS

struct CorsRun {
  Response response;
  int terminal_calls;
};

CorsRun cors(std::vector<std::string> origins, std::string_view method,
             std::initializer_list<std::pair<std::string_view, std::string_view>> headers, std::string allow = {}) {
  OneLayer layer(make_cors_middleware(std::move(origins)));
  auto raw = make_raw(method, "/things", headers);
  Request req(raw);
  req.allow = std::move(allow);
  auto response = layer.run(req);
  return {std::move(response), layer.terminal_calls};
}

TEST(CorsMiddleware, NoOriginIsLeftAlone) {
  auto r = cors({"https://app.example"}, "GET", {});
  EXPECT_EQ(r.terminal_calls, 1);
  EXPECT_FALSE(r.response.has_header("Access-Control-Allow-Origin"));
}

TEST(CorsMiddleware, AllowedOriginIsDecoratedWithCredentials) {
  auto r = cors({"https://app.example"}, "GET", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.terminal_calls, 1);
  EXPECT_EQ(r.response.body, "ok");
  EXPECT_EQ(r.response.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(r.response.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.response.header("Vary"), "Origin");
  EXPECT_NE(r.response.header("Access-Control-Expose-Headers").find("X-Request-Id"), std::string_view::npos);
}

TEST(CorsMiddleware, OtherOriginsGetNoCorsHeaders) {
  auto r = cors({"https://app.example"}, "GET", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.terminal_calls, 1);
  EXPECT_FALSE(r.response.has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(r.response.has_header("Access-Control-Allow-Credentials"));
  // Origins compare exactly: no prefix or case games.
  auto prefix = cors({"https://app.example"}, "GET", {{"Origin", "https://app.example.evil"}});
  EXPECT_FALSE(prefix.response.has_header("Access-Control-Allow-Origin"));
}

TEST(CorsMiddleware, WildcardAllowsAnyOriginWithoutCredentials) {
  auto r = cors({"*"}, "GET", {{"Origin", "https://anyone.example"}});
  EXPECT_EQ(r.response.header("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(r.response.has_header("Access-Control-Allow-Credentials"));
}

TEST(CorsMiddleware, PreflightIsAnsweredWithoutTheHandler) {
  auto r = cors({"https://app.example"}, "OPTIONS",
                {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}, "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(r.terminal_calls, 0);
  EXPECT_EQ(r.response.status, 204);
  EXPECT_EQ(r.response.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(r.response.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.response.header("Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
  EXPECT_NE(r.response.header("Access-Control-Allow-Headers").find("Content-Type"), std::string_view::npos);
  EXPECT_NE(r.response.header("Access-Control-Allow-Headers").find("Authorization"), std::string_view::npos);
  EXPECT_EQ(r.response.header("Access-Control-Max-Age"), "600");
  EXPECT_EQ(r.response.header("Vary"), "Origin");
}

TEST(CorsMiddleware, PreflightFromAnUnlistedOriginIs403) {
  try {
    cors({"https://app.example"}, "OPTIONS",
         {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    ADD_FAILURE() << "expected 403";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 403);
  }
  try {
    cors({}, "OPTIONS", {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    ADD_FAILURE() << "expected 403 with no origins configured";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 403);
  }
}

TEST(CorsMiddleware, OptionsWithoutRequestMethodIsNotAPreflight) {
  auto r = cors({"https://app.example"}, "OPTIONS", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.terminal_calls, 1);
  EXPECT_EQ(r.response.header("Access-Control-Allow-Origin"), "https://app.example");
}

// ---------------------------------------------------------------- security headers

Response secured(bool secure, Pipeline::Terminal terminal = {}) {
  OneLayer layer(make_security_headers_middleware(), std::move(terminal));
  auto raw = make_raw("GET", "/");
  Request req(raw);
  req.secure = secure;
  return layer.run(req);
}

TEST(SecurityHeadersMiddleware, SetsTheOwaspHeaders) {
  auto r = secured(false);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r.header("Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_FALSE(r.has_header("Strict-Transport-Security"));
}

TEST(SecurityHeadersMiddleware, HstsOnlyOverTls) {
  auto r = secured(true);
  EXPECT_EQ(r.header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
}

TEST(SecurityHeadersMiddleware, KeepsHandlerCachePolicyAndCsp) {
  auto r = secured(false, [](Request&) -> boost::asio::awaitable<Response> {
    Response response = Response::text("<html></html>", "text/html; charset=utf-8");
    response.set_header("Cache-Control", "public, max-age=60");
    response.set_header("Content-Security-Policy", "default-src 'self'");
    co_return response;
  });
  EXPECT_EQ(r.header("Cache-Control"), "public, max-age=60");
  EXPECT_EQ(r.header("Content-Security-Policy"), "default-src 'self'");
  int csp = 0;
  for (const auto& [name, value] : r.headers) csp += iequals(name, "Content-Security-Policy");
  EXPECT_EQ(csp, 1);
}

// ---------------------------------------------------------------- errors

class ErrorMiddlewareTest : public ::testing::Test {
 protected:
  ErrorMiddlewareTest()
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)), logger_("test", sink_) {
    logger_.set_level(spdlog::level::debug);
  }

  Response run(Pipeline::Terminal terminal, std::string_view target = "/things/1") {
    OneLayer layer(make_error_middleware(logger_), std::move(terminal));
    auto raw = make_raw("POST", target);
    Request req(raw);
    req.request_id = "rid-7";
    return layer.run(req);
  }

  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  spdlog::logger logger_;
};

TEST_F(ErrorMiddlewareTest, PassesSuccessThrough) {
  auto r = run([](Request&) -> boost::asio::awaitable<Response> { co_return Response::text("fine", "text/plain", 201); });
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "fine");
}

TEST_F(ErrorMiddlewareTest, ValidationErrorBecomesProblemJsonWithFieldErrors) {
  auto r = run([](Request&) -> boost::asio::awaitable<Response> {
    throw AppError::validation({{"username", {"This field is required."}},
                                {"settings.timezone", {"Unknown time zone.", "Too long."}}});
    co_return Response{};
  });
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("status"), 400);
  EXPECT_EQ(body.at("code"), "validation_failed");
  EXPECT_EQ(body.at("title"), "Invalid input");
  EXPECT_TRUE(body.at("type").as_string().starts_with("https://"));
  EXPECT_EQ(body.at("instance"), "/things/1");
  EXPECT_EQ(body.at("request_id"), "rid-7");
  const auto& errors = body.at("errors").as_object();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.at("username"), boost::json::array({"This field is required."}));
  EXPECT_EQ(errors.at("settings.timezone"), boost::json::array({"Unknown time zone.", "Too long."}));
}

TEST_F(ErrorMiddlewareTest, AppErrorHeadersAreCopiedAndInternalDetailHidden) {
  auto r = run([](Request&) -> boost::asio::awaitable<Response> {
    throw AppError::unavailable("Try again shortly.", "pool exhausted at db-3", 7);
    co_return Response{};
  });
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("Retry-After"), "7");
  EXPECT_EQ(r.body.find("db-3"), std::string::npos);
  EXPECT_NE(r.body.find("Try again shortly."), std::string::npos);
  EXPECT_NE(log_.str().find("pool exhausted at db-3"), std::string::npos);
}

TEST_F(ErrorMiddlewareTest, MethodNotAllowedCarriesAllow) {
  auto r = run([](Request&) -> boost::asio::awaitable<Response> {
    throw AppError::method_not_allowed("GET, HEAD, OPTIONS");
    co_return Response{};
  });
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_FALSE(boost::json::parse(r.body).as_object().contains("errors"));
}

TEST_F(ErrorMiddlewareTest, UnexpectedExceptionIs500WithoutItsMessage) {
  auto r = run([](Request&) -> boost::asio::awaitable<Response> {
    throw std::runtime_error("secret: password=hunter2 at /etc/parley");
    co_return Response{};
  });
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(r.body.find("/etc/parley"), std::string::npos);
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("status"), 500);
  EXPECT_EQ(body.at("code"), "internal_error");
  EXPECT_EQ(body.at("request_id"), "rid-7");
  // The message goes to the log, with the request id, for the operator.
  logger_.flush();
  EXPECT_NE(log_.str().find("hunter2"), std::string::npos);
  EXPECT_NE(log_.str().find("rid-7"), std::string::npos);
}

TEST_F(ErrorMiddlewareTest, ExceptionsThrownBeforeTheFirstSuspensionAreCaughtToo) {
  // A terminal that throws synchronously (not from inside a coroutine) still yields a problem.
  auto r = run([](Request&) -> boost::asio::awaitable<Response> { throw std::logic_error("boom"); });
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("boom"), std::string::npos);
}

}  // namespace
}  // namespace parley::http
