#pragma once
// A request as middleware and handlers see it: a view over the parsed message plus the
// per-request context the pipeline fills in (request id, matched route, path parameters,
// client address, authenticated user). Not thread-safe; lives for one request on one thread.
#include "core/percent_decode.hpp"
#include "core/trace.hpp"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

struct RawRequest;
struct Route;
class BodyStream;
class WsEndpoint;

enum class Method { get, head, post, put, patch, del, options, other };

// Who is calling, as the authentication middleware established it.
struct Principal {
  enum class Via { access_token, personal_token, session };
  std::int64_t user_id = 0;
  std::string role;                 // owner | admin | member | guest
  Via via = Via::access_token;
  std::vector<std::string> scopes;  // personal tokens only: read, write, admin
  std::int64_t session_id = 0;      // sessions only
  std::string csrf_token_hash;      // sessions only
  bool is_admin() const noexcept { return role == "owner" || role == "admin"; }
};

std::string_view method_name(Method m) noexcept;
Method parse_method(std::string_view name) noexcept;

class Request {
 public:
  explicit Request(const RawRequest& raw);

  Method method() const noexcept { return method_; }
  std::string_view method_text() const noexcept;
  std::string_view target() const noexcept { return target_; }
  std::string_view path() const noexcept { return path_; }    // raw (still percent-encoded)
  std::string_view query() const noexcept { return query_; }  // without '?'
  // First value of a header, ASCII case-insensitive; empty when absent.
  std::string_view header(std::string_view name) const;
  // Every line of a header joined with ", " in the order received, the one value RFC 9110 (5.3)
  // says they make (X-Forwarded-For lines added by successive proxies); empty when absent.
  std::string header_list(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The whole body; empty for a route that streams its body (read body_stream() instead).
  const std::string& body() const noexcept;
  bool keep_alive() const noexcept;

  // The body as a stream. For a route declared with RouteDoc::streamed_body the server attaches
  // the connection's stream (nothing of the body was read when the handler starts); otherwise it
  // is a stream over body(). Valid as long as the request.
  BodyStream& body_stream();
  // Whether the server attached a streamed body (the body is still on the connection).
  bool has_streamed_body() const noexcept { return attached_stream_ != nullptr; }
  // Called by the server: `stream` must outlive the request.
  void attach_body_stream(BodyStream* stream) noexcept { attached_stream_ = stream; }

  // First value of a query parameter, percent-decoded ('+' is a space); nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;

  // --- context, filled by the server, the router and middleware ---
  std::string request_id;
  trace::SpanContext trace;  // this request's server span (the tracing middleware)
  std::string peer_ip;    // the TCP peer
  std::string client_ip;  // peer, or the X-Forwarded-For hop when the peer is a trusted proxy
  bool secure = false;    // arrived over TLS
  const Route* route = nullptr;  // set by the router's match; null for 404/405
  std::string allow;             // for 405: the methods the path supports
  std::vector<std::pair<std::string_view, std::string>> path_params;
  std::optional<std::int64_t> user_id;  // mirrors principal->user_id, for logs
  std::optional<Principal> principal;
  std::shared_ptr<WsEndpoint> upgrade;  // set by a WebSocket route: the server upgrades after the chain

  // A path parameter by name (declared in the route template); empty when absent.
  std::string_view param(std::string_view name) const;
  // A `{name:int}` parameter; the router only matches digits that fit, so this cannot fail for them.
  std::int64_t int_param(std::string_view name) const;

 private:
  const RawRequest* raw_;
  BodyStream* attached_stream_ = nullptr;
  std::shared_ptr<BodyStream> buffered_stream_;  // made on demand over body()
  Method method_;
  std::string_view target_;
  std::string_view path_;
  std::string_view query_;
};

using parley::percent_decode;  // core/percent_decode.hpp

}  // namespace parley::http
