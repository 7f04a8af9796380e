// Operations and documentation routes. Every route of Parley is declared in plain code in the
// route files of this folder, each with the metadata its OpenAPI entry needs.
#include "app/api_document.hpp"
#include "app/app.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
namespace schema = http::schema;

void add_operations_routes(http::Router& router, HealthChecks& health, http::HttpMetrics& metrics,
                           OperationalMetrics& operational) {
  router.add(
      Method::get, "/healthz",
      [](Request&) -> boost::asio::awaitable<Response> {
        static const std::string body = R"({"status":"ok"})";
        co_return Response{200, std::string(http::kJsonType), {}, body};
      },
      RouteDoc{.summary = "Liveness: the process is up and serving",
               .tags = {"operations"},
               .responses = {{200, "Alive", schema::object({{"status", schema::string()}})}},
               .consumes = {},
               .rate_limit_exempt = true});

  // status: "ready", "not_ready" or "draining"; checks: one entry per dependency (database, redis,
  // broker, ...), its status "ok", "degraded" or "failing", with the error when it is not ok.
  const json::value check_schema = schema::with_optional(
      schema::object({{"status", schema::string()}, {"duration_ms", schema::integer()}, {"error", schema::string()}}),
      {"error"});
  const json::value readiness_schema = schema::object(
      {{"status", schema::string()}, {"checks", json::object{{"type", "object"}, {"additionalProperties", check_schema}}}});
  router.add(
      Method::get, "/readyz",
      [&health](Request&) -> boost::asio::awaitable<Response> {
        auto report = co_await health.run(std::chrono::seconds(2));
        const char* status = report.ready ? "ready" : report.draining ? "draining" : "not_ready";
        json::object body{{"status", status}, {"checks", std::move(report.checks)}};
        Response response = Response::json(body, report.ready ? 200 : 503);
        if (!report.ready) response.set_header("Retry-After", "5");
        co_return response;
      },
      RouteDoc{.summary = "Readiness: every dependency (database, cache, broker) is reachable and the process is "
                          "not draining (503 with status \"draining\" from SIGTERM on)",
               .tags = {"operations"},
               .responses = {{200, "Ready", readiness_schema},
                             {503, "A dependency is down (status \"not_ready\"), or the process is draining",
                              readiness_schema}},
               .consumes = {},
               .rate_limit_exempt = true});

  router.add(
      Method::get, "/metrics",
      [&metrics, &health, &operational](Request& req) -> boost::asio::awaitable<Response> {
        // parley_ready is what /readyz answers now: the same checks, at each scrape.
        auto report = co_await health.run(std::chrono::seconds(2));
        operational.update(report.ready);
        Response response = http::accepts_openmetrics(req.header("Accept"))
                                ? Response::text(http::render_openmetrics(metrics), std::string(http::kOpenMetricsType))
                                : Response::text(http::render_metrics(metrics), "text/plain; version=0.0.4; charset=utf-8");
        response.set_header("Vary", "Accept");
        co_return response;
      },
      RouteDoc{.summary = "Prometheus metrics in the text exposition format, or OpenMetrics with exemplars (trace "
                          "ids on the latency buckets) for Accept: application/openmetrics-text (with parley_ready "
                          "from the readiness checks, and the process' and database pools' gauges)",
               .tags = {"operations"},
               .responses = {{200, "Metrics", schema::string()}},
               .consumes = {},
               .produces = "text/plain",
               .also_produces = {"application/openmetrics-text"},
               .rate_limit_exempt = true});

  router.add(
      Method::get, "/api/schema.json",
      [&router](Request&) -> boost::asio::awaitable<Response> {
        co_return Response::json(api_document(router));
      },
      RouteDoc{.summary = "This API's OpenAPI 3.1 document",
               .tags = {"documentation"},
               .responses = {{200, "OpenAPI document", schema::object({})}},
               .consumes = {}});
}

}  // namespace parley
