// TLS on the real listener (HTTPS and wss with a certificate generated at test time), and the real
// `parley` binary as a child process: serve + SIGTERM exits 0, and the check/routes/openapi commands.
#include "child_process.hpp"
#include "harness.hpp"
#include "test_routes.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <random>
#include <regex>

extern char** environ;

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A fresh directory under the system temp dir, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("parley-it-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------- a throwaway certificate

struct CertFiles {
  fs::path cert;
  fs::path key;
};

// A self-signed P-256 certificate for localhost / 127.0.0.1, valid for a day, written as PEM.
CertFiles write_self_signed_cert(const fs::path& dir) {
  auto fail = [](const char* what) { throw std::runtime_error(std::string("certificate generation: ") + what); };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) fail("EVP_EC_gen");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), 2);
  std::random_device rd;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(rd() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) fail("extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("X509_sign");

  CertFiles files{dir / "cert.pem", dir / "key.pem"};
  auto write = [&](const fs::path& path, auto&& writer) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) fail("fopen");
    bool ok = writer(f) == 1;
    std::fclose(f);
    if (!ok) fail("PEM write");
  };
  write(files.cert, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  write(files.key, [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  fs::permissions(files.key, fs::perms::owner_read | fs::perms::owner_write);
  return files;
}

// Runs a client coroutine to completion within `timeout`; rethrows its failure.
template <typename T>
T run_client(asio::io_context& io, asio::awaitable<T> task, std::chrono::seconds timeout = std::chrono::seconds(10)) {
  std::exception_ptr error;
  std::optional<T> result;
  bool done = false;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    done = true;
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.run_for(timeout);
  if (!done) {
    io.stop();
    throw std::runtime_error("TLS client timed out");
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// A client context that trusts exactly the generated certificate and checks the host name.
ssl::context client_context(const CertFiles& files) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.load_verify_file(files.cert.string());
  return ctx;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

asio::awaitable<void> tls_connect(TlsStream& stream, std::uint16_t port) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  co_await beast::get_lowest_layer(stream).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                                         asio::use_awaitable);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), "localhost")) throw std::runtime_error("SNI");
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
}

asio::awaitable<HttpResult> tls_get(TlsStream& stream, beast::flat_buffer& buffer, std::string target) {
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
  request.set(bhttp::field::host, "localhost");
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  co_await bhttp::async_write(stream, request, asio::use_awaitable);
  bhttp::response<bhttp::string_body> response;
  co_await bhttp::async_read(stream, buffer, response, asio::use_awaitable);
  co_return to_http_result(response);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = write_self_signed_cert(dir_.path());
    gate_ = std::make_shared<Gate>();
    server_ = std::make_unique<TestServer>(
        test_config({{"PARLEY_TLS_CERT", files_.cert.string()}, {"PARLEY_TLS_KEY", files_.key.string()}}),
        [gate = gate_](http::Router& r) { add_test_routes(r, gate); });
  }

  ScratchDir dir_;
  CertFiles files_;
  std::shared_ptr<Gate> gate_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(TlsTest, HttpsServesHealthzWithHstsOnAKeptAliveConnection) {
  asio::io_context io;
  auto ctx = client_context(files_);
  auto port = server_->port();
  auto results = run_client(io, [&]() -> asio::awaitable<std::vector<HttpResult>> {
    TlsStream stream(co_await asio::this_coro::executor, ctx);
    co_await tls_connect(stream, port);
    beast::flat_buffer buffer;
    std::vector<HttpResult> out;
    out.push_back(co_await tls_get(stream, buffer, "/healthz"));
    out.push_back(co_await tls_get(stream, buffer, "/test/items/42"));  // same connection
    co_return out;
  }());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, 200);
  EXPECT_EQ(results[0].header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
  EXPECT_EQ(results[0].header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(results[1].status, 200);
  EXPECT_EQ(results[1].json().at("id"), 42);
  EXPECT_FALSE(results[1].header("Strict-Transport-Security").empty());
}

TEST_F(TlsTest, ClientThatDoesNotTrustTheCertificateFailsTheHandshake) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);  // no trust anchors: the self-signed certificate is refused
  auto port = server_->port();
  EXPECT_THROW(run_client(io, [&]() -> asio::awaitable<bool> {
                 TlsStream stream(co_await asio::this_coro::executor, ctx);
                 co_await tls_connect(stream, port);
                 co_return true;
               }()),
               boost::system::system_error);
  // The server goes on serving trusting clients.
  asio::io_context io2;
  auto good = client_context(files_);
  auto r = run_client(io2, [&]() -> asio::awaitable<HttpResult> {
    TlsStream stream(co_await asio::this_coro::executor, good);
    co_await tls_connect(stream, port);
    beast::flat_buffer buffer;
    co_return co_await tls_get(stream, buffer, "/healthz");
  }());
  EXPECT_EQ(r.status, 200);
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortIsNotServed) {
  RawConnection plain(server_->port());
  plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THROW(plain.read_response(std::chrono::seconds(5)), std::runtime_error);
}

TEST_F(TlsTest, SecureWebSocketEchoes) {
  asio::io_context io;
  auto ctx = client_context(files_);
  auto port = server_->port();
  auto echoed = run_client(io, [&]() -> asio::awaitable<std::vector<std::string>> {
    websocket::stream<TlsStream> ws(co_await asio::this_coro::executor, ctx);
    co_await tls_connect(ws.next_layer(), port);
    beast::get_lowest_layer(ws).expires_never();  // the websocket stream keeps its own timeouts
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    co_await ws.async_handshake("localhost", "/test/ws", asio::use_awaitable);
    std::vector<std::string> out;
    for (const std::string& message : {std::string("hello over wss"), std::string(60000, 'x')}) {
      co_await ws.async_write(asio::buffer(message), asio::use_awaitable);
      beast::flat_buffer buffer;
      co_await ws.async_read(buffer, asio::use_awaitable);
      out.push_back(beast::buffers_to_string(buffer.data()));
    }
    co_await ws.async_close(websocket::close_code::normal, asio::use_awaitable);
    co_return out;
  }());
  ASSERT_EQ(echoed.size(), 2u);
  EXPECT_EQ(echoed[0], "hello over wss");
  EXPECT_EQ(echoed[1], std::string(60000, 'x'));
}

TEST_F(TlsTest, GracefulShutdownClosesAnOpenSecureWebSocketWith1001) {
  // Regression: draining an upgraded TLS session used its moved-from stream and crashed.
  asio::io_context io;
  auto ctx = client_context(files_);
  auto port = server_->port();
  std::future<void> stopped;
  auto code = run_client(io, [&]() -> asio::awaitable<int> {
    websocket::stream<TlsStream> ws(co_await asio::this_coro::executor, ctx);
    co_await tls_connect(ws.next_layer(), port);
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    co_await ws.async_handshake("localhost", "/test/ws", asio::use_awaitable);
    co_await ws.async_write(asio::buffer(std::string("before shutdown")), asio::use_awaitable);
    beast::flat_buffer buffer;
    co_await ws.async_read(buffer, asio::use_awaitable);
    stopped = std::async(std::launch::async, [this] { server_->stop(); });
    buffer.clear();
    auto [ec, n] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
    if (ec != websocket::error::closed) throw boost::system::system_error(ec, "expected a close frame");
    co_return static_cast<int>(ws.reason().code);
  }());
  EXPECT_EQ(code, 1001);
  ASSERT_TRUE(stopped.valid());
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

// ---------------------------------------------------------------- the real binary

class BinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = parley_binary();
    ASSERT_TRUE(fs::exists(binary_)) << "parley binary not found at " << binary_
                                     << " (set PARLEY_BINARY or build the parley target)";
  }

  // Environment for a child: a scratch SQLite database, quiet unless told otherwise.
  std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
    std::map<std::string, std::string> e{{"PARLEY_DATABASE_URL", "sqlite:" + (dir_.path() / "t.db").string()},
                                         {"PARLEY_LOG_FORMAT", "text"}};
    for (auto& [k, v] : extra) e[k] = v;
    return e;
  }

  // Runs `parley <args...>` to completion (with a deadline) and returns the child for its output.
  std::unique_ptr<Child> run(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    args.insert(args.begin(), binary_.string());
    auto child = std::make_unique<Child>(args, environment, dir_.path());
    EXPECT_TRUE(child->wait_for_exit(std::chrono::seconds(30))) << "parley " << args[1] << " did not exit";
    return child;
  }

  fs::path binary_;
  ScratchDir dir_;
};

TEST_F(BinaryTest, ServeAnswersAndExitsZeroOnSigterm) {
  Child child({binary_.string(), "serve"},
              env({{"PARLEY_LISTEN", "127.0.0.1:0"}, {"PARLEY_LOG_LEVEL", "info"}, {"PARLEY_THREADS", "2"}}),
              dir_.path());
  static const std::regex kServing(R"(serving on http://127\.0\.0\.1:(\d+))");
  auto match = child.wait_for_stderr(kServing, std::chrono::seconds(30));
  ASSERT_TRUE(match.has_value()) << "no 'serving on' line; exited=" << child.exited() << "\nstderr:\n" << child.err();
  auto port = static_cast<std::uint16_t>(std::stoi((*match)[1].str()));
  ASSERT_GT(port, 0);

  auto health = http_request(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_FALSE(health.header("X-Request-Id").empty());

  // A keep-alive connection open at the signal must not hold the shutdown up.
  RawConnection idle(port);
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(idle.read_response().status, 200);

  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  ASSERT_TRUE(child.wait_for_exit(std::chrono::seconds(20))) << "still running after SIGTERM\nstderr:\n" << child.err();
  EXPECT_TRUE(WIFEXITED(child.raw_status())) << "killed by signal " << WTERMSIG(child.raw_status());
  EXPECT_EQ(child.exit_code(), 0) << child.err();
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::seconds(5)));
  // The listener is gone.
  EXPECT_THROW(RawConnection late(port), std::exception);
}

TEST_F(BinaryTest, ServeAlsoStopsOnSigint) {
  Child child({binary_.string(), "serve"}, env({{"PARLEY_LISTEN", "127.0.0.1:0"}, {"PARLEY_LOG_LEVEL", "info"}}),
              dir_.path());
  static const std::regex kServing(R"(serving on http://127\.0\.0\.1:(\d+))");
  auto match = child.wait_for_stderr(kServing, std::chrono::seconds(30));
  ASSERT_TRUE(match.has_value()) << child.err();
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  ASSERT_TRUE(child.wait_for_exit(std::chrono::seconds(20))) << child.err();
  EXPECT_EQ(child.exit_code(), 0) << child.err();
}

TEST_F(BinaryTest, ServeWithAnInvalidListenAddressExitsNonZeroNamingTheVariable) {
  auto child = run({"serve"}, env({{"PARLEY_LISTEN", "bad"}}));
  EXPECT_NE(child->exit_code(), 0);
  EXPECT_NE(child->err().find("PARLEY_LISTEN"), std::string::npos) << child->err();
}

TEST_F(BinaryTest, CheckWithAnInvalidVariableExitsNonZeroAndNamesIt) {
  auto child = run({"check"}, env({{"PARLEY_LISTEN", "bad"}}));
  EXPECT_NE(child->exit_code(), 0);
  auto all = child->out() + child->err();
  EXPECT_NE(all.find("PARLEY_LISTEN"), std::string::npos) << all;
  EXPECT_NE(all.find("problem"), std::string::npos) << all;
}

TEST_F(BinaryTest, CheckWithValidDefaultsExitsZeroAndMasksTheSecret) {
  auto child = run({"check"}, env({{"PARLEY_SECRET_KEY", "s3cr3t-value-that-must-never-be-printed"}}));
  EXPECT_EQ(child->exit_code(), 0) << child->out() << child->err();
  EXPECT_NE(child->out().find("PARLEY_SECRET_KEY"), std::string::npos) << child->out();
  EXPECT_EQ(child->out().find("s3cr3t-value"), std::string::npos) << child->out();
  EXPECT_NE(child->out().find("No problems found"), std::string::npos) << child->out();
}

TEST_F(BinaryTest, CheckDeployWithDefaultsListsTheProductionProblems) {
  auto child = run({"check", "--deploy"}, env());
  EXPECT_NE(child->exit_code(), 0);
  const auto& out = child->out();
  EXPECT_NE(out.find("problem(s)"), std::string::npos) << out;
  for (const char* variable : {"PARLEY_ENV", "PARLEY_SECRET_KEY", "PARLEY_ALLOWED_HOSTS", "PARLEY_DATABASE_URL"}) {
    EXPECT_NE(out.find(std::string("- ") + variable), std::string::npos) << variable << " missing in:\n" << out;
  }
}

TEST_F(BinaryTest, RoutesListsTheTable) {
  auto child = run({"routes"}, env());
  EXPECT_EQ(child->exit_code(), 0) << child->err();
  static const std::regex kHealthz(R"((^|\n)GET +/healthz )");
  EXPECT_TRUE(std::regex_search(child->out(), kHealthz)) << child->out();
  EXPECT_NE(child->out().find("/api/schema.json"), std::string::npos) << child->out();
}

TEST_F(BinaryTest, OpenapiPrintsAValidDocument) {
  auto child = run({"openapi"}, env());
  EXPECT_EQ(child->exit_code(), 0) << child->err();
  boost::system::error_code ec;
  auto doc = boost::json::parse(child->out(), ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << child->out();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_TRUE(doc.at("paths").as_object().contains("/healthz"));
}

TEST_F(BinaryTest, VersionAndUnknownCommands) {
  auto version = run({"version"}, env());
  EXPECT_EQ(version->exit_code(), 0);
  EXPECT_NE(version->out().find("parley 0.1.0"), std::string::npos) << version->out();
  auto unknown = run({"no-such-command"}, env());
  EXPECT_NE(unknown->exit_code(), 0);
}

}  // namespace
}  // namespace parley::testing
