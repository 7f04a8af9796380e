#include "app/app.hpp"
#include "accounts/authentication_middleware.hpp"
#include "accounts/csrf_middleware.hpp"
#include "accounts/ip_rules_middleware.hpp"
#include "analytics/middleware.hpp"
#include "http/middlewares.hpp"
#include "ratelimit/middleware.hpp"

namespace parley {

std::unique_ptr<http::Pipeline> build_pipeline(const Config& config, spdlog::logger& logger,
                                               http::AccessLogSink& access_log, http::HttpMetrics& metrics,
                                               accounts::Accounts& accounts, const accounts::IpRules& ip_rules,
                                               ratelimit::RateLimiter* limiter,
                                               std::unique_ptr<http::Middleware> abuse_detector,
                                               analytics::Recorder* analytics, trace::SpanSink* spans,
                                               const http::Router& router) {
  std::vector<std::unique_ptr<http::Middleware>> chain;
  // Outermost: sees every request and the final status, including errors and early answers.
  chain.push_back(http::make_metrics_middleware(metrics));
  // Also sees the final status, and the caller once the chain inside has authenticated it. Absent
  // in the roles without the API (`parley worker`, `scheduler`): their probes are not usage.
  if (analytics != nullptr) chain.push_back(analytics::make_analytics_middleware(*analytics));
  // Starts or continues the request's trace before anything inside logs, queries or enqueues;
  // its span covers everything below, and the metrics layer above reads its id for exemplars.
  chain.push_back(http::make_tracing_middleware(spans, config.trace_sample_ratio));
  // Before anything that logs or answers, so every response and log line carries the id.
  chain.push_back(http::make_request_id_middleware());
  // Resolves the client address once, for the log and for later IP rules and rate limits.
  chain.push_back(http::make_client_ip_middleware(config.trusted_proxies));
  // Logs after the error layer has produced the final status.
  // The access log is written at info level: PARLEY_LOG_LEVEL=warn (or above) silences it too.
  bool info_enabled = config.log_level == "trace" || config.log_level == "debug" || config.log_level == "info";
  if (config.access_log && info_enabled) chain.push_back(http::make_access_log_middleware(access_log, config.effective_log_format() == "json"));
  // Outside the error layer so problem responses get the headers too.
  chain.push_back(http::make_security_headers_middleware());
  // Outside the error layer: it sees the final status (401/403/429 from whatever refused).
  if (abuse_detector) chain.push_back(std::move(abuse_detector));
  // Everything inside may throw AppError; this turns it into problem+json.
  chain.push_back(http::make_error_middleware(logger));
  // The first refusal: a refused network gets its 403 as problem+json (so inside the error layer)
  // and nothing else (no host check, CORS, content negotiation or credential lookup). It needs the
  // client IP resolved above; /healthz and /readyz stay open to probes.
  chain.push_back(accounts::make_ip_rules_middleware(ip_rules));
  // Host check before any work: a wrong Host is a misrouted or forged request.
  chain.push_back(http::make_allowed_hosts_middleware(config.allowed_hosts));
  // Preflights are answered before content checks (they carry no body and no Accept contract).
  chain.push_back(http::make_cors_middleware(config.cors_origins));
  // 415/406 need the matched route's declared media types.
  chain.push_back(http::make_content_type_middleware());
  // After the cheap refusals: resolving a credential costs a database read (and a signature check).
  chain.push_back(accounts::make_authentication_middleware(accounts));
  // Right after authentication: it needs to know a request rides on the session cookie, and a
  // forged request must be refused before any route or rate-limit bucket spends work on it.
  chain.push_back(accounts::make_csrf_middleware(config.cors_origins));
  // Once the caller is known (a user's bucket, else the IP's) and before any route work, so a
  // refused request has no effect. Absent with PARLEY_RATE_LIMITS=off: no cost at all.
  if (limiter != nullptr) chain.push_back(ratelimit::make_rate_limit_middleware(*limiter, router));
  return std::make_unique<http::Pipeline>(std::move(chain),
                                          [&router](http::Request& req) { return router.dispatch(req); });
}

}  // namespace parley
