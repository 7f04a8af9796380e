// Job administration (docs/api.md "Administration": /admin/jobs, /admin/jobs/dead,
// /admin/jobs/{id}/retry). Every route is admin_only(); jobs themselves are jobs/jobs.hpp's.
#include "accounts/accounts.hpp"
#include "jobs/broker.hpp"
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

#include <limits>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
namespace repo = db::repositories;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

json::value job_schema() {
  return schema::object({{"id", schema::integer()},
                         {"queue", schema::string()},
                         {"task", schema::string()},
                         {"payload", schema::object({})},
                         {"priority", schema::integer()},
                         {"status", schema::string()},
                         {"attempts", schema::integer()},
                         {"max_attempts", schema::integer()},
                         {"run_at", schema::string("date-time")},
                         {"last_error", schema::nullable(schema::string())},
                         {"worker", schema::nullable(schema::string())},
                         {"created_at", schema::string("date-time")},
                         {"finished_at", schema::nullable(schema::string("date-time"))}});
}

json::object job_json(const repo::JobRow& job) {
  boost::system::error_code ec;
  auto payload = json::parse(job.payload_json, ec);
  return json::object{{"id", job.id},
                      {"queue", job.queue},
                      {"task", job.task},
                      {"payload", ec ? json::value(job.payload_json) : std::move(payload)},
                      {"priority", job.priority},
                      {"status", job.status},
                      {"attempts", job.attempts},
                      {"max_attempts", job.max_attempts},
                      {"run_at", job.run_at},
                      {"last_error", json_or_null(job.last_error)},
                      {"worker", json_or_null(job.locked_by)},
                      {"created_at", job.created_at},
                      {"finished_at", json_or_null(job.finished_at)}};
}

json::value queue_schema() {
  return schema::object({{"queue", schema::string()},
                         {"queued", schema::integer()},
                         {"due", schema::integer()},
                         {"scheduled", schema::integer()},
                         {"retrying", schema::integer()},
                         {"running", schema::integer()},
                         {"dead", schema::integer()},
                         {"oldest_due_at", schema::nullable(schema::string("date-time"))}});
}

}  // namespace

void add_job_routes(http::Router& router, jobs::Jobs& jobs) {
  router.add(
      Method::get, "/api/v1/admin/jobs",
      [&jobs](Request&) -> Awaitable {
        auto counts = co_await jobs.counts();
        json::array queues;
        for (const auto& c : counts) {
          queues.push_back(json::object{{"queue", c.queue},
                                        {"queued", c.queued},
                                        {"due", c.due},
                                        {"scheduled", c.queued - c.due},
                                        {"retrying", c.retrying},
                                        {"running", c.running},
                                        {"dead", c.dead},
                                        {"oldest_due_at", json_or_null(c.oldest_due_at)}});
        }
        json::array tasks;
        for (const auto& name : jobs.registry().names()) tasks.push_back(json::string(name));
        co_return Response::json(
            json::object{{"broker", jobs.broker().name()}, {"queues", std::move(queues)}, {"tasks", std::move(tasks)}});
      },
      RouteDoc{.summary = "Queue depths: jobs queued (due now, or scheduled later), retrying after a failure, "
                          "running and dead, by queue; and the tasks this server knows",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .responses = {{200, "Queues and tasks",
                              schema::object({{"broker", schema::string()},
                                              {"queues", schema::array(queue_schema())},
                                              {"tasks", schema::array(schema::string())}})}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::get, "/api/v1/admin/jobs/dead",
      [&jobs](Request& req) -> Awaitable {
        auto q = req.query();
        auto before = query_int(q, "cursor", {.min = 1}).value_or(std::numeric_limits<std::int64_t>::max());
        auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        auto rows = co_await jobs.list("dead", before, static_cast<int>(limit) + 1);
        const bool more = rows.size() > static_cast<std::size_t>(limit);
        if (more) rows.pop_back();
        json::array results;
        for (const auto& row : rows) results.push_back(job_json(row));
        json::value next = nullptr;
        if (more) {
          next = "/api/v1/admin/jobs/dead?cursor=" + std::to_string(rows.back().id) + "&limit=" + std::to_string(limit);
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "Dead jobs (every attempt failed; `last_error` says why), newest first",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .query = query_doc::page(),
               .responses = {{200, "A page of dead jobs", page_schema(job_schema())}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::post, "/api/v1/admin/jobs/{id:int}/retry",
      [&jobs](Request& req) -> Awaitable {
        const auto meta = accounts::RequestMeta::of(req);
        jobs::Jobs::Actor actor{.user_id = req.principal->user_id,
                                .ip = meta.ip.empty() ? std::nullopt : std::optional<std::string>(meta.ip),
                                .request_id = meta.request_id};
        auto id = req.int_param("id");
        auto job = co_await jobs.retry_dead(id, std::move(actor));
        co_return Response::json(job_json(job));
      },
      RouteDoc{.summary = "Queue a dead job again with its attempts reset (audited as job.retried). 409 when the job "
                          "is not dead",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .responses = {{200, "The job, queued", job_schema()}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});
}

}  // namespace parley
