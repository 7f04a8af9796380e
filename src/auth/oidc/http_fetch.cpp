#include "auth/oidc/http_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <stdexcept>

#include "core/error.hpp"

namespace parley::auth::oidc {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct CurlEasyDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

// One part of a parsed URL; nullopt when the part is absent.
std::optional<std::string> url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

// `url` parsed by libcurl with its origin, or nullopt (see parse_origin()).
std::optional<std::pair<CurlUrl, HttpOrigin>> parse_url(std::string_view url) {
  if (url.size() > 8 * 1024 || url.find_first_of(std::string_view("\0\r\n\t ", 5)) != std::string_view::npos) {
    return std::nullopt;
  }
  CurlUrl u(curl_url());
  if (!u) return std::nullopt;
  const std::string text(url);
  // No CURLU_GUESS_SCHEME, no CURLU_DEFAULT_SCHEME: only absolute URLs are accepted.
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return std::nullopt;
  auto scheme = url_part(u.get(), CURLUPART_SCHEME);
  auto host = url_part(u.get(), CURLUPART_HOST);
  auto port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port || host->empty()) return std::nullopt;
  if (url_part(u.get(), CURLUPART_USER) || url_part(u.get(), CURLUPART_PASSWORD) ||
      url_part(u.get(), CURLUPART_OPTIONS)) {
    return std::nullopt;  // user info: "https://allowed.example@evil.example" tricks
  }
  HttpOrigin origin{.scheme = lower(*scheme), .host = lower(*host)};
  if (origin.scheme != "http" && origin.scheme != "https") return std::nullopt;
  unsigned port_number = 0;
  auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), port_number);
  if (ec != std::errc{} || end != port->data() + port->size() || port_number == 0 || port_number > 65535) {
    return std::nullopt;
  }
  origin.port = static_cast<std::uint16_t>(port_number);
  return std::make_pair(std::move(u), std::move(origin));
}

AppError refused(std::string detail) {
  return AppError(502, "upstream_refused", "Bad Gateway", "An upstream service could not be contacted.",
                  "HttpFetcher refused: " + std::move(detail));
}

AppError failed(std::string detail) {
  return AppError(502, "upstream_failed", "Bad Gateway", "An upstream service could not be contacted.",
                  "HttpFetcher failed: " + std::move(detail));
}

struct Sink {
  std::string body;
  std::size_t cap = 0;
  bool over_cap = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > sink->cap) {
    sink->over_cap = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

std::string HttpOrigin::to_string() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::optional<HttpOrigin> parse_origin(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return std::nullopt;
  return std::move(parsed->second);
}

bool is_loopback_host(std::string_view host) noexcept {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  auto encode = [](std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  };
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += encode(name);
    out += '=';
    out += encode(value);
  }
  return out;
}

HttpFetcher::HttpFetcher(const std::vector<std::string>& allowed_origins, HttpFetchOptions options)
    : options_(options), pool_(options.threads == 0 ? 1 : options.threads) {
  if (options.threads == 0 || options.max_response_bytes == 0 || options.connect_timeout.count() <= 0 ||
      options.total_timeout.count() <= 0) {
    throw std::invalid_argument("HttpFetcher: thread count, size cap and timeouts must be positive");
  }
  for (const std::string& url : allowed_origins) {
    auto origin = parse_origin(url);
    if (!origin) throw std::invalid_argument("HttpFetcher: not an absolute http(s) URL: " + url);
    if (origin->scheme == "http" && !is_loopback_host(origin->host)) {
      throw std::invalid_argument("HttpFetcher: plain http is allowed for loopback only: " + url);
    }
    if (std::find(allowed_.begin(), allowed_.end(), *origin) == allowed_.end()) allowed_.push_back(std::move(*origin));
  }
  // Reference-counted by libcurl; paired with curl_global_cleanup() in the destructor.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    pool_.join();
    throw std::runtime_error("curl_global_init failed");
  }
}

HttpFetcher::~HttpFetcher() {
  pool_.join();  // requests still queued or running reference this object
  curl_global_cleanup();
}

bool HttpFetcher::is_allowed(std::string_view url) const {
  auto origin = parse_origin(url);
  return origin && std::find(allowed_.begin(), allowed_.end(), *origin) != allowed_.end();
}

HttpResponse HttpFetcher::fetch_blocking(const HttpRequest& request) const {
  auto parsed = parse_url(request.url);
  if (!parsed) throw refused("not an absolute http(s) URL without user info");
  const HttpOrigin& origin = parsed->second;
  if (std::find(allowed_.begin(), allowed_.end(), origin) == allowed_.end()) {
    throw refused("origin " + origin.to_string() + " is not allowed");
  }
  for (const auto& [name, value] : request.headers) {
    if (has_crlf(name) || has_crlf(value) || name.empty()) throw refused("header with CR/LF or no name");
  }

  CurlEasy easy(curl_easy_init());
  if (!easy) throw failed("curl_easy_init");
  CURL* c = easy.get();
  Sink sink{.cap = options_.max_response_bytes};
  CurlSlist headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) throw failed("curl_slist_append");
    (void)headers.release();
    headers.reset(next);
  }
  // The URL handle that passed the allow-list check is the one fetched.
  bool ok =
      curl_easy_setopt(c, CURLOPT_CURLU, parsed->first.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, origin.scheme.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROXY, "") == CURLE_OK &&  // ignore http_proxy & co.
      curl_easy_setopt(c, CURLOPT_NOPROXY, "*") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count())) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count())) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes)) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &write_body) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_USERAGENT, "parley-oidc/1") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
  if (ok && request.method == HttpRequest::Method::post) {
    ok = curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str()) == CURLE_OK;
  }
  if (!ok) throw failed("curl_easy_setopt");

  const CURLcode rc = curl_easy_perform(c);
  if (sink.over_cap || rc == CURLE_FILESIZE_EXCEEDED) {
    throw failed("response from " + origin.to_string() + " exceeds " + std::to_string(options_.max_response_bytes) +
                 " bytes");
  }
  if (rc != CURLE_OK) throw failed(origin.to_string() + ": " + curl_easy_strerror(rc));

  HttpResponse response;
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  char* content_type = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK && content_type != nullptr) {
    response.content_type = content_type;
  }
  char* location = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
    response.location = location;
  }
  response.body = std::move(sink.body);
  return response;
}

// The jobs are named locals, not temporaries inside the co_await expression: GCC 12 destroys a
// lambda temporary that holds a moved-in coroutine parameter twice when the coroutine suspends in
// that full-expression (see password_hasher.cpp).

boost::asio::awaitable<HttpResponse> HttpFetcher::fetch(HttpRequest request) {
  // Refuse before queuing anything: a refused URL never reaches the pool or a socket.
  if (!is_allowed(request.url)) {
    auto origin = parse_origin(request.url);
    throw refused(origin ? "origin " + origin->to_string() + " is not allowed" : "not an absolute http(s) URL");
  }
  auto job = [this, request = std::move(request)]() { return fetch_blocking(request); };
  co_return co_await run_on_pool(std::move(job));
}

boost::asio::awaitable<HttpResponse> HttpFetcher::get(std::string url) {
  HttpRequest request{
      .method = HttpRequest::Method::get, .url = std::move(url), .headers = {{"Accept", "application/json"}}};
  co_return co_await fetch(std::move(request));
}

boost::asio::awaitable<HttpResponse> HttpFetcher::post_form(std::string url, std::string form_body,
                                                            std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request{.method = HttpRequest::Method::post,
                      .url = std::move(url),
                      .headers = std::move(headers),
                      .body = std::move(form_body)};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  co_return co_await fetch(std::move(request));
}

}  // namespace parley::auth::oidc
