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
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::string_view route = req.route ? std::string_view(req.route->path) : std::string_view("unmatched");
    std::string user = req.user_id ? std::to_string(*req.user_id) : std::string();
    if (json_) {
      std::string line;
      line.reserve(320);
      line += R"({"ts":")";
      line += timestamp();
      line += R"(","level":"info","logger":"access","msg":"request","method":")";
      append_json_escaped(line, req.method_text());
      line += R"(","route":")";
      append_json_escaped(line, route);
      line += R"(","path":")";
      append_json_escaped(line, req.path());
      line += fmt::format(R"(","status":{},"bytes":{},"duration_ms":{:.3f},"request_id":")", response.status,
                          response.body.size(), ms);
      append_json_escaped(line, req.request_id);
      line += R"(","user_id":)";
      line += user.empty() ? "null" : user;
      line += R"(,"client_ip":")";
      append_json_escaped(line, req.client_ip);
      line += "\"}";
      sink_.write_line(line);
    } else {
      // The path may carry anything a client sent; escape it so a line stays one line.
      std::string path;
      append_json_escaped(path, req.path());
      sink_.write_line(fmt::format("{} info  access: {} {} [{}] {} {}B {:.3f}ms rid={} user={} ip={}", timestamp(),
                                   req.method_text(), path, route, response.status, response.body.size(), ms,
                                   req.request_id, user.empty() ? "-" : user, req.client_ip));
    }
    co_return response;
  }

 private:
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
