#include "http/metrics.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

#include <chrono>

namespace parley::http {
namespace {

class MetricsMiddleware final : public Middleware {
 public:
  explicit MetricsMiddleware(HttpMetrics& metrics) : metrics_(metrics) {}
  std::string_view name() const noexcept override { return "metrics"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    auto start = std::chrono::steady_clock::now();
    metrics_.in_flight_requests.Increment();
    struct Done {
      HttpMetrics& m;
      bool dismissed = false;
      ~Done() {
        if (!dismissed) m.in_flight_requests.Decrement();
      }
    } done{metrics_};
    Response response = co_await next(req);
    constexpr std::size_t kUnmatched = 0xffff;
    std::size_t key = req.route ? req.route->index : kUnmatched;
    std::string_view route = req.route ? std::string_view(req.route->path) : std::string_view("unmatched");
    if (response.streamed) {
      // A streamed response is in flight until its last byte went out; its latency and final
      // status are known only then. (The route template lives as long as the router.)
      done.dismissed = true;
      response.streamed->on_finish([&metrics = metrics_, start, key, route, trace = req.trace,
                                    method = std::string(req.method_text())](const StreamOutcome& outcome) {
        metrics.in_flight_requests.Decrement();
        if (outcome.status == 0) return;  // dropped before the server saw it
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics.observe(key, method, route, outcome.status, seconds, &trace);
      });
      co_return response;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.observe(key, req.method_text(), route, response.status, seconds, &req.trace);
    co_return response;
  }

 private:
  HttpMetrics& metrics_;
};

}  // namespace

std::unique_ptr<Middleware> make_metrics_middleware(HttpMetrics& metrics) {
  return std::make_unique<MetricsMiddleware>(metrics);
}

}  // namespace parley::http
