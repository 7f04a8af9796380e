#include "webhooks/sender.hpp"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <system_error>

#include "core/error.hpp"

namespace parley::webhooks {
namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Longest error text kept in a result: curl's messages are short, but a Location header is not.
constexpr std::size_t kMaxErrorBytes = 1024;
constexpr std::size_t kMaxLocationChars = 200;

struct CurlUrlDeleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct CurlEasyDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct AddrinfoDeleter {
  void operator()(addrinfo* a) const noexcept { freeaddrinfo(a); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using Addrinfo = std::unique_ptr<addrinfo, AddrinfoDeleter>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text fit for a database column and a JSON string.

// How the bytes at the start of `s` (not empty) read as UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF): the length of a well-formed character, or 0 when they are
// not one; `cut` when `s` ends inside a character that is well formed so far.
struct Utf8Step {
  std::size_t length = 0;
  bool cut = false;
};

Utf8Step utf8_step(std::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  if (lead < 0x80) return {1, false};
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return {0, false};
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= s.size()) return {0, true};
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte < (i == 1 ? low : 0x80) || byte > (i == 1 ? high : 0xbf)) return {0, false};
  }
  return {length, false};
}

// `bytes` as valid UTF-8 of at most `max_bytes` bytes: NUL and bytes that are not UTF-8 become
// U+FFFD; a character cut off at the end of `bytes`, or one that would not fit, is dropped.
// PostgreSQL refuses invalid UTF-8 and NUL in text columns, and response bodies and the Location
// header are whatever the target sends.
std::string to_safe_text(std::string_view bytes, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  std::size_t i = 0;
  while (i < bytes.size()) {
    const Utf8Step step = utf8_step(bytes.substr(i));
    if (step.cut) break;
    const bool bad = step.length == 0 || bytes[i] == '\0';
    const std::string_view piece = bad ? kReplacement : bytes.substr(i, step.length);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += bad ? 1 : step.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// URLs.

// One part of a parsed URL; nullopt when the part is absent.
std::optional<std::string> url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

// A webhook URL as libcurl parsed it: the handle that is fetched, and what the checks need.
struct Target {
  CurlUrl url;
  std::string host;                // as libcurl connects to it: lower case, an IPv6 literal without brackets
  std::optional<address> literal;  // when the host is an IP address
  std::uint16_t port = 0;
};

struct ParsedTarget {
  std::optional<Target> target;
  std::string problem;  // why there is no target
};

ParsedTarget problem(std::string text) { return ParsedTarget{std::nullopt, std::move(text)}; }

constexpr std::string_view kUserInfoProblem = "The URL must not contain a user name or password.";
constexpr std::string_view kFragmentProblem = "The URL must not have a fragment (#...).";
constexpr std::string_view kHostProblem = "The URL must have a host.";
constexpr std::string_view kPortProblem = "The port must be between 1 and 65535.";

// Problems visible in the text itself. Checked before libcurl sees the URL because libcurl forgives
// some of them: it reads "https:/x" and "https:///x" as https://x/ and drops an empty "#", so a
// stored URL would not say where deliveries go.
std::optional<std::string> text_problem(std::string_view url) {
  if (url.empty()) return "Enter a URL.";
  if (url.size() > kMaxUrlLength)
    return "The URL must be at most " + std::to_string(kMaxUrlLength) + " characters long.";
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      return "The URL must be printable ASCII without spaces: percent-encode other characters and write "
             "international domain names in punycode (xn--...).";
    }
    if (c == '\\') return "The URL must not contain backslashes.";  // browsers read them as '/', libcurl does not
  }
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return "The URL must start with http:// or https://.";
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return std::string(kHostProblem);
  if (authority.find('@') != std::string_view::npos) return std::string(kUserInfoProblem);
  if (url.find('#') != std::string_view::npos) return std::string(kFragmentProblem);
  return std::nullopt;
}

// `url` parsed and checked (check_url() tells the rules).
ParsedTarget parse_target(std::string_view url) {
  if (auto text = text_problem(url)) return problem(std::move(*text));
  CurlUrl u(curl_url());
  if (!u) throw std::bad_alloc();
  const std::string text(url);
  // No CURLU_GUESS_SCHEME, no CURLU_DEFAULT_SCHEME: only absolute URLs.
  const CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc == CURLUE_BAD_PORT_NUMBER) return problem(std::string(kPortProblem));
  if (rc != CURLUE_OK) return problem("This is not a valid URL.");
  auto host = url_part(u.get(), CURLUPART_HOST);
  auto port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!host || host->empty() || *host == "[]") return problem(std::string(kHostProblem));
  if (url_part(u.get(), CURLUPART_USER) || url_part(u.get(), CURLUPART_PASSWORD) ||
      url_part(u.get(), CURLUPART_OPTIONS)) {
    return problem(std::string(kUserInfoProblem));
  }
  if (url_part(u.get(), CURLUPART_ZONEID)) return problem("The URL must not have an IPv6 zone id.");
  if (url_part(u.get(), CURLUPART_FRAGMENT)) return problem(std::string(kFragmentProblem));
  unsigned port_number = 0;
  const char* port_end = port ? port->data() + port->size() : nullptr;
  if (!port || std::from_chars(port->data(), port_end, port_number).ptr != port_end || port_number == 0 ||
      port_number > 65535) {
    return problem(std::string(kPortProblem));
  }
  Target target{.url = std::move(u),
                .host = lower(*host),
                .literal = std::nullopt,
                .port = static_cast<std::uint16_t>(port_number)};
  if (target.host.starts_with('[') && target.host.ends_with(']')) {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  boost::system::error_code ec;
  const address literal = boost::asio::ip::make_address(target.host, ec);
  if (!ec) target.literal = literal;
  return ParsedTarget{std::move(target), {}};
}

// ---------------------------------------------------------------------------------------------
// Addresses.

struct V4Block {
  std::uint32_t network;
  int prefix;
};

constexpr std::uint32_t v4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// The IPv4 blocks of is_forbidden_address() (sender.hpp lists the reasons).
constexpr V4Block kForbiddenV4[] = {
    {v4(0, 0, 0, 0), 8},      {v4(10, 0, 0, 0), 8},     {v4(100, 64, 0, 0), 10}, {v4(127, 0, 0, 0), 8},
    {v4(169, 254, 0, 0), 16}, {v4(172, 16, 0, 0), 12},  {v4(192, 0, 0, 0), 24},  {v4(192, 0, 2, 0), 24},
    {v4(192, 88, 99, 0), 24}, {v4(192, 168, 0, 0), 16}, {v4(198, 18, 0, 0), 15}, {v4(198, 51, 100, 0), 24},
    {v4(203, 0, 113, 0), 24}, {v4(224, 0, 0, 0), 4},    {v4(240, 0, 0, 0), 4},
};

bool is_forbidden_v4(std::uint32_t a) noexcept {
  return std::any_of(std::begin(kForbiddenV4), std::end(kForbiddenV4),
                     [a](const V4Block& b) { return (a >> (32 - b.prefix)) == (b.network >> (32 - b.prefix)); });
}

// The IPv4 address in bytes [at, at + 4) of an IPv6 address.
std::uint32_t embedded_v4(const address_v6::bytes_type& b, std::size_t at) noexcept {
  return v4(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

// Whether the first `prefix` bits of `a` are those of `network`.
bool in_v6_block(const address_v6::bytes_type& a, const address_v6::bytes_type& network, int prefix) noexcept {
  const auto whole = static_cast<std::size_t>(prefix / 8);
  if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(whole), network.begin())) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (network[whole] & mask);
}

struct V6Block {
  address_v6::bytes_type network;
  int prefix;
};

V6Block v6_block(const char* network, int prefix) {
  return {boost::asio::ip::make_address_v6(network).to_bytes(), prefix};
}

bool is_forbidden_v6(const address_v6& address) {
  static const V6Block kNat64 = v6_block("64:ff9b::", 96);
  static const V6Block k6to4 = v6_block("2002::", 16);
  static const V6Block kForbiddenGlobal[] = {
      v6_block("2001::", 23),      // IETF special purpose: Teredo, benchmarking, ORCHID, ...
      v6_block("2001:db8::", 32),  // documentation
      v6_block("3fff::", 20),      // documentation (RFC 9637)
  };
  const address_v6::bytes_type b = address.to_bytes();
  // Translated IPv4 destinations are as safe as the IPv4 address they reach.
  if (address.is_v4_mapped()) return is_forbidden_v4(embedded_v4(b, 12));
  if (in_v6_block(b, kNat64.network, kNat64.prefix)) return is_forbidden_v4(embedded_v4(b, 12));
  // Nothing outside global unicast is a public host: loopback, unspecified, unique local,
  // link-local, site-local, multicast, discard, IPv4-compatible and unassigned space.
  if ((b[0] & 0xe0) != 0x20) return true;
  if (in_v6_block(b, k6to4.network, k6to4.prefix)) return is_forbidden_v4(embedded_v4(b, 2));
  return std::any_of(std::begin(kForbiddenGlobal), std::end(kForbiddenGlobal),
                     [&b](const V6Block& block) { return in_v6_block(b, block.network, block.prefix); });
}

// Equal addresses, ignoring an IPv6 scope id (getaddrinfo and libcurl may differ on it).
bool same_address(const address& a, const address& b) {
  if (a.is_v4() != b.is_v4()) return false;
  return a.is_v4() ? a.to_v4() == b.to_v4() : a.to_v6().to_bytes() == b.to_v6().to_bytes();
}

// The address of an IPv4 or IPv6 socket address; nullopt for other families.
std::optional<address> to_address(const sockaddr* socket_address, std::size_t length) {
  if (socket_address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, socket_address, sizeof in);
    address_v4::bytes_type bytes{};
    std::memcpy(bytes.data(), &in.sin_addr, bytes.size());
    return address(address_v4(bytes));
  }
  if (socket_address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, socket_address, sizeof in6);
    address_v6::bytes_type bytes{};
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    return address(address_v6(bytes, in6.sin6_scope_id));
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Resolution.

struct Resolution {
  std::vector<address> addresses;  // distinct
  std::string error;               // when addresses is empty
};

void add_distinct(std::vector<address>& to, const address& a) {
  if (std::none_of(to.begin(), to.end(), [&a](const address& b) { return same_address(a, b); })) to.push_back(a);
}

// The system resolver, with the hints libcurl itself would use.
Resolution system_resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return {{}, rc == EAI_SYSTEM ? std::generic_category().message(errno) : gai_strerror(rc)};
  const Addrinfo owner(list);
  Resolution resolution;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (auto a = to_address(ai->ai_addr, ai->ai_addrlen)) add_distinct(resolution.addresses, *a);
  }
  if (resolution.addresses.empty()) resolution.error = "no IPv4 or IPv6 address";
  return resolution;
}

Resolution resolve(const Target& target, const SenderOptions& options) {
  if (target.literal) return {{*target.literal}, {}};
  if (!options.resolve) return system_resolve(target.host);
  Resolution resolution;
  try {
    for (const address& a : options.resolve(target.host)) add_distinct(resolution.addresses, a);
  } catch (const std::exception& e) {
    return {{}, e.what()};
  }
  if (resolution.addresses.empty()) resolution.error = "no address";
  return resolution;
}

// The "host:port:addr,addr" entry that makes libcurl use exactly the checked addresses.
std::string pin_entry(const Target& target, const std::vector<address>& addresses) {
  std::string entry = target.host + ":" + std::to_string(target.port) + ":";
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) entry += ',';
    const address& a = addresses[i];
    entry += a.is_v4() ? a.to_string() : "[" + address_v6(a.to_v6().to_bytes()).to_string() + "]";
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// The transfer.

// libcurl's socket callback: the last word on where a connection goes. It refuses any address the
// sender did not check (should libcurl ever resolve the host itself) and, under the default
// policy, any forbidden one.
struct SocketGuard {
  const std::vector<address>* checked = nullptr;
  bool allow_private = false;
  std::string refused;  // why the first refused connection was refused
};

curl_socket_t guarded_socket(SocketGuard* guard, curlsocktype purpose, curl_sockaddr* target) {
  const auto peer = to_address(&target->addr, target->addrlen);
  const bool checked = peer && std::any_of(guard->checked->begin(), guard->checked->end(),
                                           [&peer](const address& a) { return same_address(a, *peer); });
  const char* why = nullptr;
  if (purpose != CURLSOCKTYPE_IPCXN || !checked) {
    why = "an address that was not checked";
  } else if (!guard->allow_private && is_forbidden_address(*peer)) {
    why = "a private, loopback or otherwise internal address";
  }
  if (why != nullptr) {
    if (guard->refused.empty()) {
      guard->refused =
          "a connection to " + (peer ? peer->to_string() : std::string("another address family")) + ", " + why;
    }
    return CURL_SOCKET_BAD;
  }
  return ::socket(target->family, target->socktype | SOCK_CLOEXEC, target->protocol);
}

// Exceptions must not cross libcurl's C frames: out of memory refuses the connection.
curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* target) noexcept {
  try {
    return guarded_socket(static_cast<SocketGuard*>(user), purpose, target);
  } catch (...) {
    return CURL_SOCKET_BAD;
  }
}

struct ResponseSink {
  std::string head;  // the first kResponseExcerptBytes bytes
  std::size_t total = 0;
  bool over_cap = false;
};

std::size_t read_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* sink = static_cast<ResponseSink*>(user);
  const std::size_t n = size * count;
  // Never reallocates: the excerpt's room is reserved before the transfer (no exception can reach
  // libcurl's C frames from here).
  sink->head.append(data, std::min(n, kResponseExcerptBytes - sink->head.size()));
  if (sink->total + n > kMaxResponseBytes) {
    sink->over_cap = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->total += n;
  return n;
}

// An HTTP token (RFC 9110 section 5.6.2): what a header name may be.
bool is_token(std::string_view name) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

// Headers that frame the message or that the sender sets: a second copy would make the request
// ambiguous (request smuggling material) or contradict the body.
bool is_reserved_header(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "host",   "content-type", "content-length", "transfer-encoding", "connection",
      "expect", "te",           "upgrade",        "trailer",           "keep-alive"};
  const std::string key = lower(name);
  return std::find(std::begin(kReserved), std::end(kReserved), key) != std::end(kReserved);
}

std::optional<std::string> header_problem(std::string_view name, std::string_view value) {
  if (!is_token(name)) return "the header name \"" + std::string(name) + "\" is not an HTTP token";
  if (is_reserved_header(name)) return "the header " + std::string(name) + " is set by the sender";
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "the value of header " + std::string(name) + " contains CR, LF or NUL";
  }
  return std::nullopt;
}

void append_line(CurlSlist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) throw std::bad_alloc();
  (void)list.release();  // `next` is the same list, one item longer
  list.reset(next);
}

CurlSlist request_headers(const Delivery& delivery) {
  CurlSlist headers;
  append_line(headers, "Content-Type: application/json");
  // No "Expect: 100-continue" (libcurl's default for larger bodies): a receiver that does not
  // implement it would make every delivery wait a second for nothing.
  append_line(headers, "Expect:");
  for (const auto& [name, value] : delivery.headers) {
    // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
    append_line(headers, value.empty() ? name + ";" : name + ": " + value);
  }
  return headers;
}

DeliveryResult failure(std::string error) {
  DeliveryResult result;
  result.error = std::move(error);
  return result;
}

// Words for a transfer that ended without an HTTP answer.
std::string transfer_error(CURLcode rc, const char* detail) {
  const std::string why = detail[0] != '\0' ? std::string(detail) : std::string(curl_easy_strerror(rc));
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out: " + why;
    case CURLE_COULDNT_CONNECT:
      return "could not connect: " + why;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return "TLS failed: " + why;
    case CURLE_GOT_NOTHING:
      return "the target closed the connection without answering";
    default:
      return "the request failed: " + why;
  }
}

// What the target's answer means for the delivery.
void judge_answer(CURL* c, long code, DeliveryResult& result) {
  if (code < 100 || code > 599) {
    result.error = "the target answered with an invalid HTTP status (" + std::to_string(code) + ")";
    return;  // status stays 0: no usable answer
  }
  result.status = static_cast<int>(code);
  if (code >= 300 && code < 400) {
    char* location = nullptr;
    std::string to;
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
      to = " to " + std::string(location).substr(0, kMaxLocationChars);
    }
    result.error = "redirects are not followed (HTTP " + std::to_string(code) + to + ")";
  } else if (!result.succeeded()) {
    result.error = "HTTP " + std::to_string(code);
  }
}

long as_curl_ms(milliseconds ms) { return static_cast<long>(std::max<milliseconds::rep>(ms.count(), 1)); }

// The POST itself, to `target` pinned to `addresses` (all checked), ending by `deadline`.
DeliveryResult transfer(const Delivery& delivery, const Target& target, const std::vector<address>& addresses,
                        const SenderOptions& options, const TargetPolicy& policy, Clock::time_point deadline) {
  const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (remaining.count() <= 0) return failure("timed out resolving " + target.host);

  CurlEasy easy(curl_easy_init());
  if (!easy) throw AppError::internal("webhook sender: curl_easy_init failed");
  CURL* c = easy.get();
  CurlSlist headers = request_headers(delivery);
  CurlSlist pins;
  // A literal address is never resolved by libcurl, and the socket guard checks it all the same.
  if (!target.literal) append_line(pins, pin_entry(target, addresses));
  SocketGuard guard{.checked = &addresses, .allow_private = policy.allow_private, .refused = {}};
  ResponseSink sink;
  sink.head.reserve(kResponseExcerptBytes);
  char detail[CURL_ERROR_SIZE] = {};

  // The URL handle that passed the checks is the one fetched.
  const bool ok =
      curl_easy_setopt(c, CURLOPT_CURLU, target.url.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROXY, "") == CURLE_OK &&  // ignore http_proxy & co.
      curl_easy_setopt(c, CURLOPT_NOPROXY, "*") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&  // pool threads must not get SIGALRM
      curl_easy_setopt(c, CURLOPT_RESOLVE, pins.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &open_socket) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &guard) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, as_curl_ms(std::min(options.connect_timeout, remaining))) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, as_curl_ms(remaining)) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &read_body) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(delivery.body.size())) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, delivery.body.data()) == CURLE_OK;
  if (!ok) throw AppError::internal("webhook sender: curl_easy_setopt failed (libcurl older than 7.85?)");

  const CURLcode rc = curl_easy_perform(c);
  DeliveryResult result;
  result.response_excerpt = to_safe_text(sink.head, kResponseExcerptBytes);
  // A body over the cap is the target's answer all the same: the status line came before it.
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.over_cap)) {
    result.error = guard.refused.empty() ? transfer_error(rc, detail) : "refused: " + guard.refused;
    return result;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  judge_answer(c, code, result);
  return result;
}

// The whole delivery: checks, resolution, the POST.
DeliveryResult deliver(const Delivery& delivery, const SenderOptions& options, const TargetPolicy& policy,
                       Clock::time_point deadline) {
  ParsedTarget parsed = parse_target(delivery.url);
  if (!parsed.target) return failure("refused: " + parsed.problem);
  const Target& target = *parsed.target;
  for (const auto& [name, value] : delivery.headers) {
    if (auto p = header_problem(name, value)) return failure("refused: " + *p);
  }
  const Resolution resolution = resolve(target, options);
  if (resolution.addresses.empty()) return failure("could not resolve " + target.host + ": " + resolution.error);
  if (!policy.allow_private) {
    for (const address& a : resolution.addresses) {
      if (!is_forbidden_address(a)) continue;
      const std::string subject = target.literal ? a.to_string() : target.host + " resolves to " + a.to_string();
      return failure("refused: " + subject + ", a private, loopback or otherwise internal address");
    }
  }
  return transfer(delivery, target, resolution.addresses, options, policy, deadline);
}

SenderOptions validated(SenderOptions options) {
  if (options.threads == 0 || options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    throw std::invalid_argument("webhooks::Sender: thread count and timeouts must be positive");
  }
  return options;
}

}  // namespace

std::optional<std::string> check_url(std::string_view url) {
  ParsedTarget parsed = parse_target(url);
  if (parsed.target) return std::nullopt;
  return std::move(parsed.problem);
}

bool is_forbidden_address(const address& address) {
  return address.is_v4() ? is_forbidden_v4(address.to_v4().to_uint()) : is_forbidden_v6(address.to_v6());
}

Sender::Sender(SenderOptions options, TargetPolicy policy)
    : options_(validated(std::move(options))), policy_(policy), pool_(options_.threads) {
  // Reference-counted by libcurl; paired with curl_global_cleanup() in the destructor.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    pool_.join();
    throw std::runtime_error("curl_global_init failed");
  }
}

Sender::~Sender() {
  pool_.join();  // deliveries still queued or running reference this object
  curl_global_cleanup();
}

DeliveryResult Sender::post_blocking(const Delivery& delivery) const {
  const auto started = Clock::now();
  DeliveryResult result = deliver(delivery, options_, policy_, started + options_.total_timeout);
  result.error = to_safe_text(result.error, kMaxErrorBytes);
  result.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  return result;
}

boost::asio::awaitable<DeliveryResult> Sender::post(Delivery delivery) {
  // The job and the executor are named locals, not temporaries inside the co_await expression:
  // GCC 12 destroys a lambda temporary that holds a moved-in coroutine parameter twice when the
  // coroutine suspends in that full-expression (see password_hasher.cpp).
  auto job = [this, delivery = std::move(delivery)]() -> boost::asio::awaitable<DeliveryResult> {
    co_return post_blocking(delivery);
  };
  auto pool = pool_.get_executor();
  co_return co_await boost::asio::co_spawn(pool, std::move(job), boost::asio::use_awaitable);
}

}  // namespace parley::webhooks
