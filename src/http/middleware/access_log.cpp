#include "core/logging.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <chrono>

namespace parley::http {
namespace {

class AccessLogMiddleware final : public Middleware {
 public:
  AccessLogMiddleware(spdlog::logger& logger, bool json) : logger_(logger), json_(json) {}
  std::string_view name() const noexcept override { return "access_log"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    auto start = std::chrono::steady_clock::now();
    Response response = co_await next(req);
    if (!logger_.should_log(spdlog::level::info)) co_return response;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::string_view route = req.route ? std::string_view(req.route->path) : std::string_view("unmatched");
    std::string user = req.user_id ? std::to_string(*req.user_id) : std::string();
    if (json_) {
      std::string line;
      line.reserve(256);
      line += R"({"msg":"request","method":")";
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
      logger_.info(line);
    } else {
      // The path may carry anything a client sent; escape it so a line stays one line.
      std::string path;
      append_json_escaped(path, req.path());
      logger_.info("{} {} [{}] {} {}B {:.3f}ms rid={} user={} ip={}", req.method_text(), path, route,
                   response.status, response.body.size(), ms, req.request_id, user.empty() ? "-" : user,
                   req.client_ip);
    }
    co_return response;
  }

 private:
  spdlog::logger& logger_;
  bool json_;
};

}  // namespace

std::unique_ptr<Middleware> make_access_log_middleware(spdlog::logger& logger, bool json) {
  return std::make_unique<AccessLogMiddleware>(logger, json);
}

}  // namespace parley::http
