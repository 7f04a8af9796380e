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
      ~Done() { m.in_flight_requests.Decrement(); }
    } done{metrics_};
    Response response = co_await next(req);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    constexpr std::size_t kUnmatched = 0xffff;
    metrics_.observe(req.route ? req.route->index : kUnmatched, req.method_text(),
                     req.route ? std::string_view(req.route->path) : std::string_view("unmatched"), response.status,
                     seconds);
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
