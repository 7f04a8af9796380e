#pragma once
// The standard middleware set. Each factory documents what its layer does; the order they run in
// is decided in one place, app/pipeline.cpp.
#include "core/trace.hpp"
#include "http/middleware.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}

namespace parley::http {

class HttpMetrics;
class AccessLogSink;

// Counts requests and observes latency by route template and status; tracks in-flight requests.
std::unique_ptr<Middleware> make_metrics_middleware(HttpMetrics& metrics);
// W3C trace context: continues the trace of a valid incoming traceparent (keeping its sampled flag
// and a valid tracestate) or starts one (sampled at `sample_ratio`); sets req.trace and makes the
// request's span current in the connection's trace slot (so logs, statements and enqueued jobs
// carry it); hands the finished server span to `sink` when sampled (null: no export).
std::unique_ptr<Middleware> make_tracing_middleware(trace::SpanSink* sink, double sample_ratio);
// Accepts a sane incoming X-Request-Id (1-128 of [A-Za-z0-9._:-]) or makes one; echoes it back.
std::unique_ptr<Middleware> make_request_id_middleware();
// Sets req.client_ip: the peer, or the nearest untrusted X-Forwarded-For hop when the peer is one
// of the trusted proxies (CIDRs): the walk goes right to left over every X-Forwarded-For line and
// stops at the first hop that is not a trusted proxy. Throws std::invalid_argument for a malformed CIDR.
std::unique_ptr<Middleware> make_client_ip_middleware(const std::vector<std::string>& trusted_proxies);
// One structured line per request: method, route template, path, status, bytes, duration,
// request id, trace and span ids, user id, client IP.
std::unique_ptr<Middleware> make_access_log_middleware(AccessLogSink& sink, bool json);
// nosniff, CSP, Referrer-Policy, X-Frame-Options, Cache-Control: no-store (unless the handler set
// one), and HSTS when the request arrived over TLS.
std::unique_ptr<Middleware> make_security_headers_middleware();
// Turns AppError (and any other exception, as a 500 that hides its text) into RFC 9457 problem+json.
std::unique_ptr<Middleware> make_error_middleware(spdlog::logger& logger);
// Answers CORS preflights for the configured origins and decorates their actual responses.
std::unique_ptr<Middleware> make_cors_middleware(std::vector<std::string> origins);
// True when the Accept header `accept` allows the media type `type`: the most specific range
// covering it decides, so "application/json;q=0, */*" refuses JSON (RFC 9110 12.5.1).
bool accept_allows(std::string_view accept, std::string_view type);

// 415 for a body the route does not accept, 406 when Accept excludes what the route produces.
std::unique_ptr<Middleware> make_content_type_middleware();
// 400 for a Host header outside the configured allowed hosts (empty list = any host); the probes
// and the metrics scrape (/healthz, /readyz, /metrics) are answered whatever the Host.
std::unique_ptr<Middleware> make_allowed_hosts_middleware(std::vector<std::string> hosts);

}  // namespace parley::http
