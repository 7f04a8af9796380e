#include "http/middlewares.hpp"
#include "http/router.hpp"

#include <string>

namespace parley::http {
namespace {

// Clears the connection's slot when the request is over, however it ends.
struct ActiveSpan {
  trace::Slot* slot;
  ~ActiveSpan() {
    if (slot != nullptr) slot->active = false;
  }
};

class TracingMiddleware final : public Middleware {
 public:
  TracingMiddleware(trace::SpanSink* sink, double sample_ratio) : sink_(sink), sample_ratio_(sample_ratio) {}
  std::string_view name() const noexcept override { return "tracing"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    const auto start = trace::now_unix_nanos();
    auto parent = trace::parse_traceparent(req.header("traceparent"));
    req.trace = trace::SpanContext{parent ? parent->trace_id : trace::random_trace_id(), trace::random_span_id(),
                                   parent ? parent->sampled : trace::sample(sample_ratio_)};
    ActiveSpan active{trace::current_slot()};
    if (active.slot != nullptr) {
      active.slot->span = req.trace;
      // The spec: tracestate means nothing without a valid traceparent.
      auto state = parent ? trace::valid_tracestate(req.header("tracestate")) : std::nullopt;
      active.slot->tracestate = state ? std::move(*state) : std::string();
      active.slot->active = true;
    }
    Response response = co_await next(req);
    if (sink_ != nullptr && req.trace.sampled) {
      finish(req, parent ? std::optional<trace::SpanId>(parent->span_id) : std::nullopt, start, response.status);
    }
    co_return response;
  }

 private:
  void finish(const Request& req, std::optional<trace::SpanId> parent, std::int64_t start, int status) {
    std::string_view route = req.route ? std::string_view(req.route->path) : std::string_view();
    trace::FinishedSpan span{.trace_id = req.trace.trace_id,
                             .span_id = req.trace.span_id,
                             .parent_span_id = parent,
                             .name = std::string(req.method_text()),
                             .kind = trace::SpanKind::server,
                             .start_unix_nano = start,
                             .end_unix_nano = trace::now_unix_nanos(),
                             .error = status >= 500,
                             .status_message = {},
                             .attributes = {}};
    if (!route.empty()) {
      span.name += ' ';
      span.name += route;
      span.attributes.emplace_back("http.route", std::string(route));
    }
    span.attributes.emplace_back("http.request.method", std::string(req.method_text()));
    span.attributes.emplace_back("url.path", std::string(req.path()));
    span.attributes.emplace_back("http.response.status_code", static_cast<std::int64_t>(status));
    span.attributes.emplace_back("client.address", req.client_ip);
    span.attributes.emplace_back("parley.request_id", req.request_id);
    if (req.user_id) span.attributes.emplace_back("enduser.id", std::to_string(*req.user_id));
    sink_->submit(std::move(span));
  }

  trace::SpanSink* sink_;
  double sample_ratio_;
};

}  // namespace

std::unique_ptr<Middleware> make_tracing_middleware(trace::SpanSink* sink, double sample_ratio) {
  return std::make_unique<TracingMiddleware>(sink, sample_ratio);
}

}  // namespace parley::http
