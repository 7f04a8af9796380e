// Unit tests of the streaming pieces that do not need a socket: stream heads, chunk framing, the
// buffered body stream, streamed-route lookup, finish hooks and the middleware that use them.
// (The session's side is tested end to end in tests/integration/streaming_test.cpp.)
#include "http/access_log_sink.hpp"
#include "http/body_stream.hpp"
#include "http/metrics.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"
#include "http/serialize.hpp"
#include "http/testing.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace parley::http {
namespace {

using testing::make_raw;
using testing::run_awaitable;

Response streamed(int status = 200, std::optional<std::uint64_t> length = std::nullopt) {
  return Response::stream(
      "text/plain", [](BodyWriter&) -> boost::asio::awaitable<void> { co_return; }, length, status);
}

TEST(StreamHead, ChunkedHasTransferEncodingAndNoLength) {
  Response r = streamed();
  r.set_header("X-A", "1");
  std::string out = "stale";
  serialize_stream_head(r, BodyFraming::chunked, 0, true, out);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\nDate: ")) << out;
  EXPECT_NE(out.find("\r\nContent-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nX-A: 1\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_EQ(out.find("Connection"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(StreamHead, DeclaredLengthAndCloseDelimited) {
  std::string out;
  serialize_stream_head(streamed(200, 1234), BodyFraming::content_length, 1234, true, out);
  EXPECT_NE(out.find("\r\nContent-Length: 1234\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
  serialize_stream_head(streamed(), BodyFraming::until_close, 0, false, out);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
}

TEST(StreamHead, BodylessStatusesHaveNoFraming) {
  std::string out;
  serialize_stream_head(streamed(304), BodyFraming::chunked, 0, true, out);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 304 Not Modified\r\n"));
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
  serialize_stream_head(streamed(204, 10), BodyFraming::content_length, 10, true, out);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
}

TEST(StreamHead, HeaderValuesCannotSplitTheResponse) {
  Response r = streamed();
  r.set_header("X-Evil", "a\r\nSet-Cookie: x=1");
  std::string out;
  serialize_stream_head(r, BodyFraming::chunked, 0, true, out);
  EXPECT_EQ(out.find("\r\nSet-Cookie"), std::string::npos);
}

TEST(ChunkSizeLine, IsHexWithCrlf) {
  char line[24];
  EXPECT_EQ(std::string_view(line, chunk_size_line(1, line)), "1\r\n");
  EXPECT_EQ(std::string_view(line, chunk_size_line(65536, line)), "10000\r\n");
  EXPECT_EQ(std::string_view(line, chunk_size_line(0xabcdef, line)), "abcdef\r\n");
  EXPECT_EQ(std::string_view(line, chunk_size_line(std::size_t(-1), line)), "ffffffffffffffff\r\n");
}

TEST(BufferedBodyStream, ReadsInPiecesThenZero) {
  BufferedBodyStream body("hello world");
  EXPECT_EQ(body.content_length(), 11u);
  std::array<char, 4> buffer;
  std::string all;
  for (;;) {
    std::span<char> into(buffer);
    std::size_t n = run_awaitable(body.read_some(into));
    if (n == 0) break;
    EXPECT_LE(n, 4u);
    all.append(buffer.data(), n);
  }
  EXPECT_EQ(all, "hello world");
  EXPECT_TRUE(body.at_end());
  EXPECT_EQ(body.bytes_read(), 11u);
}

TEST(BufferedBodyStream, RequestWithoutAttachedStreamReadsItsBody) {
  auto raw = make_raw("POST", "/x", {{"Content-Type", "text/plain"}}, "payload");
  Request req(raw);
  EXPECT_FALSE(req.has_streamed_body());
  std::array<char, 64> buffer;
  std::span<char> into(buffer);
  EXPECT_EQ(run_awaitable(req.body_stream().read_some(into)), 7u);
  EXPECT_EQ(std::string_view(buffer.data(), 7), "payload");
  EXPECT_EQ(run_awaitable(req.body_stream().read_some(into)), 0u) << "the same stream each time";
  BufferedBodyStream other("");
  req.attach_body_stream(&other);
  EXPECT_TRUE(req.has_streamed_body());
  EXPECT_EQ(&req.body_stream(), &other);
}

Handler ok_handler() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response::text("ok"); };
}

TEST(Router, FindsStreamedRoutesOnly) {
  Router router;
  router.add(Method::post, "/api/v1/items", ok_handler(), RouteDoc{.summary = "json"});
  router.add(Method::post, "/api/v1/uploads", ok_handler(),
             RouteDoc{.summary = "upload", .streamed_body = true, .max_body_bytes = 100});
  router.add(Method::put, "/api/v1/blobs/{id:int}", ok_handler(), RouteDoc{.summary = "blob", .streamed_body = true});
  EXPECT_EQ(router.streamed_route(Method::post, "/api/v1/items"), nullptr);
  const Route* upload = router.streamed_route(Method::post, "/api/v1/uploads");
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(upload->doc.max_body_bytes, 100u);
  EXPECT_EQ(router.streamed_route(Method::get, "/api/v1/uploads"), nullptr);
  EXPECT_NE(router.streamed_route(Method::put, "/api/v1/blobs/7"), nullptr);
  EXPECT_EQ(router.streamed_route(Method::put, "/api/v1/blobs/x"), nullptr);
  EXPECT_EQ(router.streamed_route(Method::put, "/api/v1/blobs/7/more"), nullptr);
}

TEST(Router, StreamedRouteShadowedByAStaticOneIsNotStreamed) {
  Router router;
  router.add(Method::put, "/files/{name}", ok_handler(), RouteDoc{.summary = "stream", .streamed_body = true});
  router.add(Method::put, "/files/index", ok_handler(), RouteDoc{.summary = "static wins"});
  EXPECT_NE(router.streamed_route(Method::put, "/files/report"), nullptr);
  EXPECT_EQ(router.streamed_route(Method::put, "/files/index"), nullptr) << "match() would pick the static route";
}

TEST(StreamedBody, FinishHooksRunOnceWithTheRecordedOutcome) {
  std::vector<StreamOutcome> seen;
  {
    Response r = streamed();
    r.streamed->on_finish([&](const StreamOutcome& o) { seen.push_back(o); });
    Response copy = r;  // copies share the body
    r.streamed->record(StreamOutcome{200, 42, true});
    EXPECT_TRUE(seen.empty());
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[0].bytes, 42u);
  EXPECT_TRUE(seen[0].complete);
}

TEST(StreamedBody, ThrowingHookDoesNotStopTheOthers) {
  int ran = 0;
  {
    Response r = streamed();
    r.streamed->on_finish([](const StreamOutcome&) { throw std::runtime_error("report failed"); });
    r.streamed->on_finish([&](const StreamOutcome&) { ++ran; });
  }
  EXPECT_EQ(ran, 1);
}

// A pipeline of `middleware` whose handler returns a streamed response.
Response run_streamed(std::unique_ptr<Middleware> middleware, Request& req) {
  std::vector<std::unique_ptr<Middleware>> chain;
  chain.push_back(std::move(middleware));
  Pipeline pipeline(std::move(chain), [](Request&) -> boost::asio::awaitable<Response> { co_return streamed(200); });
  return run_awaitable(pipeline(req));
}

TEST(MetricsMiddleware, CountsAStreamWhenItEnds) {
  prometheus::Registry registry;
  HttpMetrics metrics(registry);
  auto raw = make_raw("GET", "/export");
  Request req(raw);
  {
    Response r = run_streamed(make_metrics_middleware(metrics), req);
    EXPECT_EQ(metrics.in_flight_requests.Value(), 1) << "in flight until the last byte";
    EXPECT_EQ(render_metrics(metrics).find("parley_http_requests_total{"), std::string::npos);
    r.streamed->record(StreamOutcome{200, 10, true});
  }
  EXPECT_EQ(metrics.in_flight_requests.Value(), 0);
  EXPECT_NE(
      render_metrics(metrics).find(R"(parley_http_requests_total{method="GET",route="unmatched",status="200"} 1)"),
      std::string::npos)
      << render_metrics(metrics);
}

TEST(AccessLogMiddleware, LogsAStreamWithItsBytesWhenItEnds) {
  char path[] = "/tmp/parley-access-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  {
    AccessLogSink sink(fd);
    auto raw = make_raw("GET", "/export?x=1");
    Request req(raw);
    req.request_id = "rid-1";
    {
      Response r = run_streamed(make_access_log_middleware(sink, true), req);
      sink.flush();
      std::ifstream before(path);
      std::stringstream text;
      text << before.rdbuf();
      EXPECT_EQ(text.str(), "") << "not logged before the stream ends";
      r.streamed->record(StreamOutcome{200, 123456, true});
    }
    sink.flush();
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(R"("path":"/export","status":200,"bytes":123456)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find(R"("request_id":"rid-1")"), std::string::npos);
  ::close(fd);
  ::unlink(path);
}

}  // namespace
}  // namespace parley::http
