// Streamed responses (Response::stream) and streamed request bodies (RouteDoc::streamed_body)
// against a real listener, through the whole middleware pipeline, with routes of this file's own.
#include "harness.hpp"

#include "core/error.hpp"
#include "http/body_stream.hpp"
#include "http/openapi.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <future>
#include <mutex>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using tcp = asio::ip::tcp;

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// The body /stream/chunks?n= sends: n pieces "piece <i>\n".
std::string expected_chunks(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "piece " + std::to_string(i) + "\n";
  return out;
}

// Lets a test hold a producer between two writes and release it later. Holds no timer itself:
// the timer must never outlive the server's io_context.
struct Hold {
  std::atomic<int> entered{0};
  std::mutex mutex;
  std::weak_ptr<asio::steady_timer> timer;
  void release() {
    std::lock_guard lock(mutex);
    if (auto t = timer.lock()) asio::post(t->get_executor(), [t] { t->cancel(); });
  }
};

struct Counters {
  std::atomic<int> producers_started{0};
};

RouteDoc doc(std::string summary) {
  return RouteDoc{.summary = std::move(summary),
                  .tags = {"test"},
                  .responses = {{200, "OK", boost::json::value()}},
                  .consumes = {},
                  .produces = ""};
}

asio::awaitable<void> write_pieces(http::BodyWriter& out, int n) {
  for (int i = 0; i < n; ++i) {
    std::string piece = "piece " + std::to_string(i) + "\n";
    co_await out.write(piece);
  }
}

void add_streaming_routes(http::Router& router, std::shared_ptr<Counters> counters, std::shared_ptr<Hold> hold) {
  router.add(
      Method::get, "/stream/chunks",
      [counters](Request& req) -> asio::awaitable<Response> {
        int n = std::stoi(req.query_param("n").value_or("10"));
        co_return Response::stream("text/plain; charset=utf-8", [counters, n](http::BodyWriter& out) {
          counters->producers_started.fetch_add(1);
          return write_pieces(out, n);
        });
      },
      doc("Streams n chunks"));
  router.add(
      Method::get, "/stream/sized",
      [](Request& req) -> asio::awaitable<Response> {
        int n = std::stoi(req.query_param("n").value_or("10"));
        auto length = static_cast<std::uint64_t>(expected_chunks(n).size());
        co_return Response::stream(
            "text/plain", [n](http::BodyWriter& out) { return write_pieces(out, n); }, length);
      },
      doc("Streams n pieces with a declared length"));
  router.add(
      Method::get, "/stream/short",
      [](Request&) -> asio::awaitable<Response> {
        co_return Response::stream(
            "text/plain", [](http::BodyWriter& out) { return write_pieces(out, 2); }, 1000);
      },
      doc("Declares more than it writes"));
  router.add(
      Method::get, "/stream/fail-early",
      [](Request&) -> asio::awaitable<Response> {
        auto response = Response::stream("text/plain", [](http::BodyWriter&) -> asio::awaitable<void> {
          throw AppError::conflict("The export cannot start now.");
          co_return;
        });
        response.set_header("Content-Disposition", "attachment; filename=\"export.ndjson\"");
        co_return response;
      },
      doc("Fails before the first byte"));
  router.add(
      Method::get, "/stream/fail-late",
      [](Request&) -> asio::awaitable<Response> {
        co_return Response::stream("text/plain", [](http::BodyWriter& out) -> asio::awaitable<void> {
          co_await write_pieces(out, 3);
          throw std::runtime_error("the cursor broke");
        });
      },
      doc("Fails after some bytes"));
  router.add(
      Method::get, "/stream/held",
      [hold](Request&) -> asio::awaitable<Response> {
        co_return Response::stream("text/plain", [hold](http::BodyWriter& out) -> asio::awaitable<void> {
          co_await write_pieces(out, 1);
          auto timer =
              std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, std::chrono::seconds(30));
          {
            std::lock_guard lock(hold->mutex);
            hold->timer = timer;
          }
          hold->entered.fetch_add(1);
          co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
          co_await write_pieces(out, 3);
        });
      },
      doc("Writes a piece, waits for the test, writes the rest"));

  auto body_doc = doc("Reads a streamed body; answers its size and SHA-256");
  body_doc.consumes = {"application/octet-stream"};
  body_doc.request_schema = boost::json::object{{"type", "string"}};
  body_doc.produces = "application/json";
  body_doc.streamed_body = true;
  body_doc.max_body_bytes = 1024 * 1024;
  router.add(
      Method::post, "/stream/body",
      [](Request& req) -> asio::awaitable<Response> {
        http::BodyStream& body = req.body_stream();
        std::string all;
        std::array<char, 1000> buffer;
        std::size_t reads = 0;
        for (;;) {
          std::span<char> into(buffer);
          std::size_t n = co_await body.read_some(into);
          if (n == 0) break;
          ++reads;
          all.append(buffer.data(), n);
        }
        co_return Response::json(boost::json::object{
            {"bytes", all.size()}, {"sha256", sha256_hex(all)}, {"reads", reads}, {"at_end", body.at_end()}});
      },
      body_doc);
  auto partial_doc = body_doc;
  partial_doc.summary = "Reads ten bytes of a streamed body, leaves the rest";
  router.add(
      Method::post, "/stream/body-partial",
      [](Request& req) -> asio::awaitable<Response> {
        std::array<char, 10> buffer;
        std::span<char> into(buffer);
        std::size_t n = co_await req.body_stream().read_some(into);
        co_return Response::json(boost::json::object{{"read", n}});
      },
      partial_doc);
}

class Streaming : public ::testing::Test {
 protected:
  void start(std::map<std::string, std::string> env = {}, const LogCapture* logs = nullptr) {
    if (server_) server_->stop();
    server_ = std::make_unique<TestServer>(
        test_config(env), [c = counters_, h = hold_](http::Router& r) { add_streaming_routes(r, c, h); }, logs);
  }
  void SetUp() override { start(); }
  void TearDown() override {
    hold_->release();
    if (server_) server_->stop();
  }
  std::uint16_t port() const { return server_->port(); }

  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  std::shared_ptr<Hold> hold_ = std::make_shared<Hold>();
  std::unique_ptr<TestServer> server_;
};

// A socket for byte-level reads: everything until the peer closes.
class Wire {
 public:
  explicit Wire(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
  // All bytes until the server closes the connection (or `timeout`: then what came so far).
  std::string read_until_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::string all;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<char, 8192> scratch{};
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code result = asio::error::would_block;
      std::size_t got = 0;
      socket_.async_read_some(asio::buffer(scratch), [&](boost::system::error_code ec, std::size_t n) {
        result = ec;
        got = n;
      });
      io_.restart();
      io_.run_for(deadline - std::chrono::steady_clock::now());
      if (result == asio::error::would_block) {
        socket_.cancel();
        io_.restart();
        io_.run();
        break;
      }
      all.append(scratch.data(), got);
      if (result) {
        closed_ = true;
        break;
      }
    }
    return all;
  }
  bool closed() const { return closed_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  bool closed_ = false;
};

// --------------------------------------------------------------------------- streamed responses

TEST_F(Streaming, ManyChunksThenKeepAliveReuse) {
  RawConnection c(port());
  c.send("GET /stream/chunks?n=3000 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.header("Content-Length"), "");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, expected_chunks(3000));
  // The middleware decorated the streamed response like any other.
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("X-Request-Id").size(), 32u);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  // The same connection serves the next requests, streamed or not.
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /stream/chunks?n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_EQ(c.read_response().body, expected_chunks(2));
  EXPECT_EQ(counters_->producers_started.load(), 2);
}

TEST_F(Streaming, HeadDoesNotRunTheProducer) {
  RawConnection c(port());
  c.send("HEAD /stream/chunks?n=5 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = c.read_response(std::chrono::seconds(5), true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(counters_->producers_started.load(), 0);
  c.send("HEAD /stream/sized?n=4 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto sized = c.read_response(std::chrono::seconds(5), true);
  EXPECT_EQ(sized.header("Content-Length"), std::to_string(expected_chunks(4).size()));
  // No stray body bytes: the next response parses.
  c.send("GET /stream/chunks?n=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().body, expected_chunks(1));
  EXPECT_EQ(counters_->producers_started.load(), 1);
}

TEST_F(Streaming, DeclaredLengthIsSentAsContentLength) {
  RawConnection c(port());
  c.send("GET /stream/sized?n=500 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Length"), std::to_string(expected_chunks(500).size()));
  EXPECT_EQ(r.header("Transfer-Encoding"), "");
  EXPECT_EQ(r.body, expected_chunks(500));
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(Streaming, FailureBeforeTheFirstByteIsAProblemResponse) {
  RawConnection c(port());
  c.send("GET /stream/fail-early HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.json().at("code"), "conflict");
  EXPECT_EQ(r.json().at("request_id").as_string(), r.header("X-Request-Id"));
  EXPECT_EQ(r.header("Content-Disposition"), "") << "describes the body that was not sent";
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200) << "the connection stays usable";
}

TEST_F(Streaming, FailureAfterTheFirstByteTruncatesAndClosesTheConnection) {
  for (const char* path : {"/stream/fail-late", "/stream/short"}) {
    Wire wire(port());
    wire.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string all = wire.read_until_closed();
    EXPECT_TRUE(wire.closed()) << path;
    EXPECT_NE(all.find("HTTP/1.1 200 OK"), std::string::npos) << path;
    EXPECT_NE(all.find("piece 1\n"), std::string::npos) << path;
    EXPECT_EQ(all.find("\r\n0\r\n\r\n"), std::string::npos) << path << ": never the last chunk of a complete body";
  }
  EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200);
}

TEST_F(Streaming, Http10ClientsGetABodyDelimitedByClose) {
  Wire wire(port());
  wire.send("GET /stream/chunks?n=3 HTTP/1.0\r\nHost: x\r\n\r\n");
  std::string all = wire.read_until_closed();
  EXPECT_TRUE(wire.closed());
  auto split = all.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  std::string head = all.substr(0, split);
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
  EXPECT_EQ(all.substr(split + 4), expected_chunks(3));
}

TEST_F(Streaming, AccessLogAndMetricsReportTheFinishedStream) {
  LogCapture logs;
  start({{"PARLEY_LOG_LEVEL", "info"}, {"PARLEY_LOG_FORMAT", "json"}}, &logs);
  EXPECT_EQ(http_request(port(), "GET", "/stream/chunks?n=100").body, expected_chunks(100));
  RawConnection head(port());
  head.send("HEAD /stream/chunks?n=100 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(head.read_response(std::chrono::seconds(5), true).status, 200);
  // A stream is counted once its last byte went out, which may be just after the client has it.
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = http_request(port(), "GET", "/metrics").body;
    return metrics.find(R"(parley_http_requests_total{method="GET",route="/stream/chunks",status="200"} 1)") !=
               std::string::npos &&
           metrics.find(R"(parley_http_requests_total{method="HEAD",route="/stream/chunks",status="200"} 1)") !=
               std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("parley_http_requests_in_flight 1\n"), std::string::npos) << "only the /metrics request";
  server_->stop();
  server_.reset();  // flushes the access log
  std::string text = logs.contents();
  auto bytes = std::to_string(expected_chunks(100).size());
  EXPECT_NE(text.find(R"("route":"/stream/chunks","path":"/stream/chunks","status":200,"bytes":)" + bytes),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("method":"HEAD","route":"/stream/chunks","path":"/stream/chunks","status":200,"bytes":0)"),
            std::string::npos)
      << text;
}

TEST_F(Streaming, ShutdownLetsAnInFlightStreamFinish) {
  Wire wire(port());
  wire.send("GET /stream/held HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return hold_->entered.load() == 1; }));
  auto stopped = std::async(std::launch::async, [&] { server_->stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  hold_->release();
  std::string all = wire.read_until_closed();
  EXPECT_TRUE(wire.closed());
  EXPECT_NE(all.find("piece 0\n"), std::string::npos);
  EXPECT_NE(all.find("piece 2\n"), std::string::npos);
  EXPECT_NE(all.find("\r\n0\r\n\r\n"), std::string::npos) << "the stream completed";
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST_F(Streaming, ShutdownClosesAStreamStillRunningAtTheDeadline) {
  start({{"PARLEY_SHUTDOWN_GRACE", "200ms"}});
  Wire wire(port());
  wire.send("GET /stream/held HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return hold_->entered.load() == 1; }));
  auto stopped = std::async(std::launch::async, [&] { server_->stop(); });
  std::string all = wire.read_until_closed();
  EXPECT_TRUE(wire.closed()) << "closed at the deadline";
  EXPECT_NE(all.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_EQ(all.find("\r\n0\r\n\r\n"), std::string::npos) << "truncated, not completed";
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

// ---------------------------------------------------------------------- streamed request bodies

std::string chunked(std::string_view body, std::size_t piece) {
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += piece) {
    auto part = body.substr(at, piece);
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size;
    out += part;
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + 7) % 251);
  return out;
}

TEST_F(Streaming, StreamedBodyArrivesWholeChunkedOrNot) {
  std::string body = pattern(300'000);
  RawConnection c(port());
  c.send("POST /stream/body HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body);
  auto r = c.read_response();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("bytes"), body.size());
  EXPECT_EQ(r.json().at("sha256").as_string(), sha256_hex(body));
  EXPECT_GE(r.json().at("reads").as_int64(), 300) << "read in pieces of at most the handler's buffer";
  EXPECT_EQ(r.json().at("at_end"), true);
  // Keep-alive: the body was consumed, the next request on the connection is served.
  c.send(
      "POST /stream/body HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      chunked(body, 7777));
  auto again = c.read_response();
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("sha256").as_string(), sha256_hex(body));
  EXPECT_EQ(again.header("Connection"), "");
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(Streaming, StreamedBodyLimitIsTheRoutes) {
  // Announced too large: refused before a byte of the body is read (none is sent here).
  RawConnection announced(port());
  announced.send(
      "POST /stream/body HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: 1048577\r\n\r\n");
  auto r = announced.read_response();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(announced.closed_by_peer(std::chrono::seconds(5)));
  // Exactly the limit is fine (more than the server-wide 1 MiB default would allow is not needed).
  std::string at_limit = pattern(1024 * 1024);
  auto ok = http_request(port(), "POST", "/stream/body", {{"Content-Type", "application/octet-stream"}}, at_limit);
  EXPECT_EQ(ok.status, 200);
  // Chunked and growing past the limit: 413 once it does.
  RawConnection growing(port());
  growing.send(
      "POST /stream/body HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      chunked(pattern(1024 * 1024 + 1), 65536));
  auto too_big = growing.read_response();
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.header("Connection"), "close");
}

TEST_F(Streaming, ContinueIsSentOnlyWhenTheHandlerReads) {
  std::string body = pattern(5000);
  RawConnection c(port());
  c.send(
      "POST /stream/body HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 100);
  c.send(body);
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("bytes"), body.size());

  // Refused by the content-type check before the handler: no 100 Continue, and the connection
  // closes (the body was never read).
  RawConnection refused(port());
  refused.send(
      "POST /stream/body HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\n"
      "Content-Length: 5000\r\n\r\n");
  auto answer = refused.read_response();
  EXPECT_EQ(answer.status, 415);
  EXPECT_EQ(answer.header("Connection"), "close");
  EXPECT_TRUE(refused.closed_by_peer(std::chrono::seconds(5)));
}

TEST_F(Streaming, UnreadBodyClosesTheConnectionInsteadOfBeingParsed) {
  // The rest of the body looks like a request: it must never be answered as one.
  std::string body = "0123456789GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  Wire wire(port());
  wire.send(
      "POST /stream/body-partial HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string all = wire.read_until_closed();
  EXPECT_TRUE(wire.closed());
  EXPECT_NE(all.find("{\"read\":10}"), std::string::npos) << all;
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
  EXPECT_EQ(all.find("{\"status\":\"ok\"}"), std::string::npos) << "the leftover was parsed as a request";
}

TEST_F(Streaming, TheRoutesAreDocumented) { EXPECT_TRUE(http::undocumented_routes(server_->app().router()).empty()); }

}  // namespace
}  // namespace parley::testing
