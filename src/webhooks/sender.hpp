#pragma once
// Outgoing webhook deliveries: the check of a target URL when it is saved, and the HTTP POST of a
// delivery, built to be safe against server-side request forgery (SSRF). Webhook URLs are chosen
// by users, so without care a delivery could reach the server's own network: the cloud metadata
// service (169.254.169.254), databases on private addresses, admin ports on loopback.
//
//   Sender sender(SenderOptions{}, TargetPolicy{.allow_private = config.webhook_allow_private_targets});
//   DeliveryResult r = co_await sender.post(Delivery{.url = url, .body = json, .headers = {...}});
//
// How a delivery stays on the public internet:
//  - the URL is parsed once, by libcurl (CURLU), and that same parsed handle is what is fetched, so
//    no parser differential can send the request somewhere the check did not look at;
//  - the host is resolved by the sender itself, and the delivery is refused when ANY of its
//    addresses is forbidden (is_forbidden_address) unless the policy allows private targets;
//  - the connection is pinned to the checked addresses (CURLOPT_RESOLVE), and libcurl's socket
//    callback refuses every address that was not checked, so a DNS answer that changes between the
//    check and the connection (DNS rebinding) cannot redirect it;
//  - redirects are never followed (a 3xx is a failed delivery), proxies from the environment are
//    ignored, only http and https are spoken, TLS peer and host verification is always on, the
//    response is read up to 1 MiB (1 KiB kept) and not decompressed, and every request has a
//    connect and a total timeout.
//
// libcurl's easy interface blocks, so each delivery runs on a thread pool owned by the sender and
// the awaiting coroutine resumes on its own executor (HttpFetcher's pattern).
// Thread-safety: every member function may be called concurrently. The sender must outlive every
// delivery started on it; its destructor waits for the deliveries running or queued on its pool.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::webhooks {

// Longest webhook URL accepted (the webhooks table's CHECK says the same).
inline constexpr std::size_t kMaxUrlLength = 2000;
// How much of a response body is read before the transfer is cut off (the status still counts:
// it came before the body), and how much is kept.
inline constexpr std::size_t kMaxResponseBytes = 1024 * 1024;
inline constexpr std::size_t kResponseExcerptBytes = 1024;

struct TargetPolicy {
  // Lets deliveries reach loopback, private and other internal addresses: for tests and
  // single-host setups only (PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS=1).
  bool allow_private = false;
};

// Validates a webhook URL when it is saved: it must start with "http://" or "https://" (lower case,
// as the database's CHECK expects), have a host, no user info, no fragment, no IPv6 zone id, a
// port in 1-65535 if one is given, be at most kMaxUrlLength characters, and be printable ASCII
// without spaces or backslashes (international domain names go in punycode, other characters
// percent-encoded). Returns the problem as a sentence for a 400 field error, or nullopt when the
// URL is acceptable. Pure, does no DNS: whether the host is a permitted target is decided for each
// delivery, on the addresses it resolves to at that time.
std::optional<std::string> check_url(std::string_view url);

// True for addresses a webhook may not reach unless the policy allows private targets:
//  IPv4: 0.0.0.0/8 ("this network"), 10/8, 172.16/12, 192.168/16 (private), 100.64/10 (CGNAT),
//        127/8 (loopback), 169.254/16 (link-local, including the cloud metadata service
//        169.254.169.254), 192.0.0.0/24 (IETF protocol assignments), 192.88.99.0/24 (6to4 relays),
//        198.18/15 (benchmarking), 224/4 (multicast), 240/4 (reserved, including the broadcast
//        address 255.255.255.255), and the documentation ranges 192.0.2.0/24, 198.51.100.0/24,
//        203.0.113.0/24;
//  IPv6: everything outside the global unicast range 2000::/3 - so ::1, ::, the IPv4-compatible
//        ::/96, 64:ff9b:1::/48 (local-use NAT64), 100::/64 (discard), fc00::/7 (unique local),
//        fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8 (multicast) - with two
//        exceptions judged by the IPv4 address they carry: IPv4-mapped ::ffff:a.b.c.d and NAT64
//        64:ff9b::a.b.c.d (/96); inside 2000::/3: 2001::/23 (IETF special purpose, including
//        Teredo 2001::/32), the documentation ranges 2001:db8::/32 and 3fff::/20, and 6to4
//        2002::/16 when the IPv4 address it carries is forbidden.
// Pure; a few integer comparisons.
bool is_forbidden_address(const boost::asio::ip::address& address);

struct Delivery {
  std::string url;
  std::string body;  // sent as application/json, as it is
  // Extra request headers (name, value), e.g. Parley-Signature. A name must be an HTTP token, a
  // value must not contain CR, LF or NUL; Host, Content-Type, Content-Length, Transfer-Encoding,
  // Connection, Expect, TE, Upgrade, Trailer and Keep-Alive are the sender's own and refused.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct DeliveryResult {
  // The target's HTTP status (100-599), or 0 when no complete answer came (refused target, DNS
  // failure, connection or TLS failure, timeout, an invalid status line).
  int status = 0;
  // Why the delivery failed, when status is 0 or not 2xx; empty for a 2xx. Valid UTF-8, at most
  // about 1 KiB: fit for a text column and for the webhook's owner to read.
  std::string error;
  // The first kResponseExcerptBytes of the response body, as valid UTF-8 without NUL (invalid
  // bytes become U+FFFD, a character cut at the end is dropped).
  std::string response_excerpt;
  // From the call to the result, DNS resolution included.
  std::chrono::milliseconds duration{0};

  bool succeeded() const noexcept { return status >= 200 && status < 300; }
};

struct SenderOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{10'000};  // DNS resolution included
  std::size_t threads = 4;                          // size of the blocking pool
  std::string user_agent = "Parley-Webhooks/1";
  // Resolves a host name to its addresses; empty (the default) uses the system resolver
  // (getaddrinfo). A test seam to simulate DNS answers: whatever it returns is still checked
  // against the policy and pinned; an empty list or an exception means "could not resolve".
  std::function<std::vector<boost::asio::ip::address>(const std::string& host)> resolve;
};

class Sender {
 public:
  // Throws std::invalid_argument for a zero thread count or a timeout that is not positive, and
  // std::runtime_error when libcurl cannot be initialized.
  Sender(SenderOptions options, TargetPolicy policy);
  ~Sender();  // waits for the deliveries running or queued on its pool
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // POSTs `delivery` on the sender's pool (Content-Type: application/json plus its headers) and
  // resumes on the caller's executor. Never throws for anything the URL or the target does: a
  // refused target (bad URL or header, a forbidden address after DNS resolution), a DNS failure,
  // a timeout, a TLS error or a non-2xx answer all come back in the result. Throws only when the
  // process itself fails (libcurl cannot make a handle, out of memory).
  boost::asio::awaitable<DeliveryResult> post(Delivery delivery);

  // The same on the calling thread (never call it on an I/O thread: it blocks for up to
  // total_timeout, plus the system resolver's own timeouts).
  DeliveryResult post_blocking(const Delivery& delivery) const;

  const SenderOptions& options() const noexcept { return options_; }
  const TargetPolicy& policy() const noexcept { return policy_; }

 private:
  SenderOptions options_;
  TargetPolicy policy_;
  boost::asio::thread_pool pool_;
};

}  // namespace parley::webhooks
