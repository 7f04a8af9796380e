#pragma once
// A minimal HTTP(S) client for server-side fetches (OIDC discovery, JWKS, token requests), built to
// be safe against server-side request forgery (SSRF):
//  - it fetches only URLs whose origin (scheme, host, port) is in its allow-list; any other URL is
//    refused before a connection is attempted (the check and the fetch use the same parsed URL,
//    libcurl's own CURLU, so no parser differential can send the request elsewhere);
//  - plain http is accepted only for loopback origins (127.0.0.1, [::1], localhost), for tests;
//  - URLs with user info, and schemes other than http/https, are refused;
//  - redirects are never followed (a 3xx is returned to the caller as it is);
//  - proxies from the environment are ignored; TLS peer and host verification is always on;
//  - responses are capped (max_response_bytes) and every request has a connect and total timeout.
//
//   HttpFetcher fetcher({"https://accounts.example.com"});            // composition root
//   HttpResponse r = co_await fetcher.get("https://accounts.example.com/.well-known/openid-configuration");
//
// libcurl's easy interface blocks, so each request runs on a thread pool owned by the fetcher and
// the awaiting coroutine resumes on its own executor (PasswordHasher's pattern).
// Thread-safety: every member function may be called concurrently. The fetcher must outlive every
// request started on it; its destructor waits for the requests running or queued on its pool.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace parley::auth::oidc {

// The origin of a URL, normalized: lower-case scheme and host, explicit port.
struct HttpOrigin {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 literal keeps its brackets
  std::uint16_t port = 0;

  // "scheme://host:port".
  std::string to_string() const;
  friend bool operator==(const HttpOrigin&, const HttpOrigin&) = default;
};

// The origin of absolute http(s) URL `url`, or nullopt when it is not one (unparseable, another
// scheme, user info present, no host). Pure; thread-safe.
std::optional<HttpOrigin> parse_origin(std::string_view url);

// Whether `host` (lower case, as in HttpOrigin) names the loopback interface.
bool is_loopback_host(std::string_view host) noexcept;

struct HttpFetchOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{10'000};
  std::size_t max_response_bytes = 1024 * 1024;  // a larger body fails the request
  std::size_t threads = 2;                       // size of the blocking pool
};

struct HttpRequest {
  enum class Method { get, post };
  Method method = Method::get;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value (no CR/LF allowed)
  std::string body;                                          // sent for post only
};

struct HttpResponse {
  int status = 0;
  std::string content_type;  // the Content-Type header, or empty
  std::string location;      // the Location header of a 3xx, or empty (never followed)
  std::string body;
};

class HttpFetcher {
 public:
  // `allowed_origins`: absolute URLs (or bare origins) whose origins may be fetched; a path in them
  // is ignored. Throws std::invalid_argument for a URL parse_origin() refuses, for a plain-http
  // origin that is not loopback, and for options with a zero timeout, size cap or thread count.
  // Throws std::runtime_error when libcurl cannot be initialized.
  explicit HttpFetcher(const std::vector<std::string>& allowed_origins, HttpFetchOptions options = {});
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // Whether `url` is an absolute http(s) URL on an allowed origin. Pure; thread-safe.
  bool is_allowed(std::string_view url) const;
  const std::vector<HttpOrigin>& allowed_origins() const noexcept { return allowed_; }
  const HttpFetchOptions& options() const noexcept { return options_; }

  // Performs `request` on the fetcher's pool and resumes on the caller's executor. Any HTTP status
  // is a result, not an error. Throws AppError 502 ("upstream_refused", nothing sent) for a URL
  // is_allowed() refuses or a header with CR/LF, and AppError 502 ("upstream_failed") for a
  // transport failure (DNS, connect, TLS, timeout, response over the size cap); the public message
  // is generic, internal_detail says what happened.
  boost::asio::awaitable<HttpResponse> fetch(HttpRequest request);
  boost::asio::awaitable<HttpResponse> get(std::string url);
  // POST of an application/x-www-form-urlencoded body.
  boost::asio::awaitable<HttpResponse> post_form(std::string url, std::string form_body,
                                                 std::vector<std::pair<std::string, std::string>> headers = {});

  // The same on the calling thread (never call it on an I/O thread).
  HttpResponse fetch_blocking(const HttpRequest& request) const;

 private:
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run_on_pool(F f) {
    using R = std::invoke_result_t<F&>;
    auto on_pool = [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); };
    co_return co_await boost::asio::co_spawn(pool_.get_executor(), std::move(on_pool), boost::asio::use_awaitable);
  }

  std::vector<HttpOrigin> allowed_;
  HttpFetchOptions options_;
  boost::asio::thread_pool pool_;
};

// "application/x-www-form-urlencoded" encoding of name/value pairs ("a=1&b=x%20y").
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace parley::auth::oidc
