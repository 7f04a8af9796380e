// Tracing end to end (docs/operations.md, "Tracing") on SQLite and PostgreSQL: an incoming W3C
// traceparent is continued by the request's span, its database statements and the access log;
// spans reach a real OTLP/HTTP receiver on loopback; a webhook delivery joins the trace of the
// request that wrote its event and sends its span's traceparent to the receiver.
#include "http_receiver.hpp"
#include "messaging_fixture.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* kParentSpan = "b7ad6b7169203331";

class TracingTest : public MessagingTest {
 protected:
  void SetUp() override {
    start({{"PARLEY_OTLP_TRACES_URL", collector_.url("/v1/traces")},
           {"PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "1"},
           {"PARLEY_LOG_FORMAT", "json"},
           {"PARLEY_LOG_LEVEL", "info"}},  // the access log is written at info
          &logs_);
  }

  // Every span the collector received so far.
  std::vector<json::object> spans() {
    std::vector<json::object> out;
    for (const auto& request : collector_.received()) {
      EXPECT_EQ(request.target, "/v1/traces");
      EXPECT_EQ(request.content_type, "application/json");
      auto doc = json::parse(request.body);
      for (const auto& resource : doc.at("resourceSpans").as_array()) {
        for (const auto& scope : resource.at("scopeSpans").as_array())
          for (const auto& span : scope.at("spans").as_array()) out.push_back(span.as_object());
      }
    }
    return out;
  }
  std::vector<json::object> spans_of(const std::string& trace_id) {
    std::vector<json::object> out;
    for (auto& span : spans())
      if (span.at("traceId").as_string() == trace_id) out.push_back(std::move(span));
    return out;
  }
  static std::string text(const json::value& v) { return std::string(v.as_string()); }

  LogCapture logs_;  // declared before the collector and server: outlives both
  Receiver collector_;
};

TEST_P(TracingTest, AnIncomingTraceparentIsContinuedByTheRequestItsStatementsAndTheAccessLog) {
  auto ann = user("ann");
  auto room = group(ann, {});
  auto r = http_request(port(), "POST", messages_path(room),
                        {{"Authorization", "Bearer " + ann.access},
                         {"Content-Type", "application/json"},
                         {"traceparent", std::string("00-") + kTraceId + "-" + kParentSpan + "-01"},
                         {"tracestate", "vendor=abc"}},
                        R"({"body":"traced"})");
  ASSERT_EQ(r.status, 201) << r.body;

  // The exporter sends within its interval (1 s); wait for the server span and its statements.
  ASSERT_TRUE(eventually([&] { return spans_of(kTraceId).size() >= 3; }, 10s));
  auto mine = spans_of(kTraceId);
  const json::object* server = nullptr;
  for (const auto& span : mine)
    if (span.at("kind").as_int64() == 2) server = &span;
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(text(server->at("name")), "POST /api/v1/conversations/{id:int}/messages");
  EXPECT_EQ(text(server->at("parentSpanId")), kParentSpan) << "a child of the caller's span";
  const std::string server_span = text(server->at("spanId"));
  std::map<std::string, json::value> attributes;
  for (const auto& a : server->at("attributes").as_array()) attributes[text(a.at("key"))] = a.at("value");
  EXPECT_EQ(attributes["http.response.status_code"].at("intValue"), "201");
  EXPECT_EQ(text(attributes["http.route"].at("stringValue")), "/api/v1/conversations/{id:int}/messages");

  std::set<std::string> statements;
  for (const auto& span : mine) {
    if (span.at("kind").as_int64() != 3) continue;
    EXPECT_EQ(text(span.at("parentSpanId")), server_span) << "statements are children of the request";
    statements.insert(text(span.at("name")));
  }
  // On PostgreSQL the send is written by a batch (of one here: messaging/send_batcher.hpp), in the
  // trace of its first traced send.
  const char* insert = GetParam() == std::string("postgres") ? "messages.insert_many" : "messages.insert";
  EXPECT_TRUE(statements.contains(insert)) << statements.size() << " statement span(s)";

  // The access log line carries the trace id and the server span's id.
  server_->stop();
  const std::string log = logs_.contents();
  EXPECT_NE(log.find(std::string(R"("trace_id":")") + kTraceId + R"(","span_id":")" + server_span + '"'),
            std::string::npos)
      << log.substr(0, 2000);
}

TEST_P(TracingTest, AnUnsampledOrInvalidTraceparentIsNotExportedOrIsReplaced) {
  auto ann = user("ann");
  const std::string unsampled = "1bf7651916cd43dd8448eb211c80319c";
  auto r = http_request(port(), "GET", "/api/v1/users/me",
                        {{"Authorization", "Bearer " + ann.access},
                         {"traceparent", "00-" + unsampled + "-" + kParentSpan + "-00"}});
  ASSERT_EQ(r.status, 200);
  auto bad = http_request(port(), "GET", "/api/v1/users/me",
                          {{"Authorization", "Bearer " + ann.access},
                           {"traceparent", "00-" + std::string(32, '0') + "-" + kParentSpan + "-01"}});
  ASSERT_EQ(bad.status, 200);
  // The second request starts a trace of its own (sampled at the default ratio 1): its server span
  // has no parent. Wait for it; by then the first request's spans would have been sent too.
  ASSERT_TRUE(eventually(
      [&] {
        int roots = 0;
        for (const auto& span : spans())
          if (span.at("kind").as_int64() == 2 && !span.contains("parentSpanId") &&
              text(span.at("name")) == "GET /api/v1/users/me")
            ++roots;
        return roots >= 1;
      },
      10s));
  EXPECT_TRUE(spans_of(unsampled).empty()) << "the caller decided not to sample";
  for (const auto& span : spans()) EXPECT_NE(text(span.at("traceId")), std::string(32, '0'));
}

TEST_P(TracingTest, AWebhookDeliveryJoinsTheTraceOfTheRequestThatWroteItsEvent) {
  Receiver receiver;
  auto ann = user("ann");
  auto room = group(ann, {});
  auto hook = call(ann, "POST", "/api/v1/webhooks",
                   json::object{{"url", receiver.url()}, {"events", json::array{"message.created"}}});
  ASSERT_EQ(hook.status, 201) << hook.body;
  auto sent = http_request(port(), "POST", messages_path(room),
                           {{"Authorization", "Bearer " + ann.access},
                            {"Content-Type", "application/json"},
                            {"traceparent", std::string("00-") + kTraceId + "-" + kParentSpan + "-01"}},
                           R"({"body":"hello"})");
  ASSERT_EQ(sent.status, 201) << sent.body;
  ASSERT_TRUE(eventually([&] { return receiver.requests() >= 1; }, 10s));
  const std::string header = receiver.received().at(0).traceparent;
  auto context = trace::parse_traceparent(header);
  ASSERT_TRUE(context) << "traceparent: " << header;
  // The event carried the request's trace across the log: the receiver is told that trace, with
  // the delivery job's span as the parent, and that span is exported under it.
  EXPECT_EQ(context->trace_id_hex(), kTraceId);
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& span : spans_of(kTraceId))
          if (text(span.at("name")) == "job webhooks.deliver" && text(span.at("spanId")) == context->span_id_hex())
            return true;
        return false;
      },
      10s));
}

TEST_P(TracingTest, StatementLatencyAndSpanExportAreMetrics) {
  auto ann = user("ann");
  ASSERT_TRUE(eventually([&] { return !spans().empty(); }, 10s));
  auto metrics = http_request(port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(parley_db_statement_duration_seconds_bucket{statement="users.create")"), std::string::npos)
      << metrics.substr(0, 3000);
  EXPECT_NE(metrics.find("parley_trace_spans_exported_total"), std::string::npos);
  EXPECT_NE(metrics.find(R"(parley_trace_spans_dropped_total{reason="buffer_full"} 0)"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, TracingTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
