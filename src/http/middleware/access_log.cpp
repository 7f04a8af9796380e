#include "core/logging.hpp"
#include "http/access_log_sink.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace parley::http {
namespace {

class AccessLogMiddleware final : public Middleware {
 public:
  AccessLogMiddleware(AccessLogSink& sink, bool json) : sink_(sink), json_(json) {}
  std::string_view name() const noexcept override { return "access_log"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    auto start = std::chrono::steady_clock::now();
    Response response = co_await next(req);
    Entry entry{.method = req.method_text(),
                .route = req.route ? std::string_view(req.route->path) : std::string_view("unmatched"),
                .path = req.path(),
                .request_id = req.request_id,
                .trace = req.trace,
                .user = req.user_id ? std::to_string(*req.user_id) : std::string(),
                .client_ip = req.client_ip};
    if (response.streamed) {
      // Logged once the stream is over, with the bytes that went out and the status the client got
      // (the request's text is copied: the line is written after the handler returned).
      // Captures the sink, not the middleware: the sink is what must outlive the response.
      response.streamed->on_finish([&sink = sink_, json = json_, start, method = std::string(entry.method),
                                    route = entry.route,
                                    path = std::string(entry.path), request_id = std::string(entry.request_id),
                                    trace = entry.trace, user = std::move(entry.user),
                                    client_ip = std::string(entry.client_ip)](const StreamOutcome& outcome) {
        write(sink, json,
              Entry{.method = method, .route = route, .path = path, .request_id = request_id, .trace = trace,
                    .user = user,
                    .client_ip = client_ip},
              outcome.status, outcome.bytes, start);
      });
      co_return response;
    }
    write(sink_, json_, entry, response.status, response.body.size(), start);
    co_return response;
  }

 private:
  struct Entry {
    std::string_view method;
    std::string_view route;
    std::string_view path;
    std::string_view request_id;
    trace::SpanContext trace;
    std::string user;
    std::string_view client_ip;
  };

  static void write(AccessLogSink& sink, bool json, const Entry& e, int status, std::uint64_t bytes,
                    std::chrono::steady_clock::time_point start) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (json) {
      std::string line;
      line.reserve(320);
      line += R"({"ts":")";
      line += timestamp();
      line += R"(","level":"info","logger":"access","msg":"request","method":")";
      append_json_escaped(line, e.method);
      line += R"(","route":")";
      append_json_escaped(line, e.route);
      line += R"(","path":")";
      append_json_escaped(line, e.path);
      line += fmt::format(R"(","status":{},"bytes":{},"duration_ms":{:.3f},"request_id":")", status, bytes, ms);
      append_json_escaped(line, e.request_id);
      line += R"(","trace_id":")";
      trace::append_hex(line, e.trace.trace_id.data(), e.trace.trace_id.size());
      line += R"(","span_id":")";
      trace::append_hex(line, e.trace.span_id.data(), e.trace.span_id.size());
      line += R"(","user_id":)";
      line += e.user.empty() ? "null" : e.user;
      line += R"(,"client_ip":")";
      append_json_escaped(line, e.client_ip);
      line += "\"}";
      sink.write_line(line);
    } else {
      // The path may carry anything a client sent; escape it so a line stays one line.
      std::string path;
      append_json_escaped(path, e.path);
      sink.write_line(fmt::format("{} info  access: {} {} [{}] {} {}B {:.3f}ms rid={} user={} ip={} trace_id={} span_id={}",
                                   timestamp(), e.method, path, e.route, status, bytes, ms, e.request_id,
                                   e.user.empty() ? "-" : e.user, e.client_ip, e.trace.trace_id_hex(),
                                   e.trace.span_id_hex()));
    }
  }

  // RFC 3339 UTC with milliseconds, like the rest of the logs.
  // The seconds part is formatted once per second per thread.
  static std::string timestamp() {
    thread_local std::time_t cached_second = -1;
    thread_local char seconds[32] = {};
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t second = static_cast<std::time_t>(ms / 1000);
    if (second != cached_second) {
      std::tm tm{};
      gmtime_r(&second, &tm);
      std::strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm);
      cached_second = second;
    }
    return fmt::format("{}.{:03d}Z", seconds, static_cast<int>(ms % 1000));
  }

  AccessLogSink& sink_;
  bool json_;
};

}  // namespace

std::unique_ptr<Middleware> make_access_log_middleware(AccessLogSink& sink, bool json) {
  return std::make_unique<AccessLogMiddleware>(sink, json);
}

}  // namespace parley::http
