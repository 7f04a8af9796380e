#include "tracing/otlp_exporter.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace parley::tracing {
namespace {

std::string text(const boost::json::value& v) { return std::string(v.as_string()); }

TEST(OtlpJsonTest, WritesTheExportRequestShape) {
  auto parent = trace::random_span_id();
  trace::FinishedSpan span{.trace_id = trace::random_trace_id(),
                           .span_id = trace::random_span_id(),
                           .parent_span_id = parent,
                           .name = "GET /api/v1/me \"quoted\"",
                           .kind = trace::SpanKind::server,
                           .start_unix_nano = 1700000000000000000,
                           .end_unix_nano = 1700000000001000000,
                           .error = true,
                           .status_message = "boom",
                           .attributes = {{"http.response.status_code", std::int64_t{500}},
                                          {"url.path", std::string("/api/v1/me")},
                                          {"ok", false}}};
  auto doc = boost::json::parse(otlp_json({{"service.name", "parley"}}, {span})).as_object();
  const auto& rs = doc.at("resourceSpans").as_array().at(0).as_object();
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"), "parley");
  const auto& out = rs.at("scopeSpans").at(0).at("spans").at(0).as_object();
  trace::SpanContext context{span.trace_id, span.span_id, true};
  EXPECT_EQ(text(out.at("traceId")), context.trace_id_hex());
  EXPECT_EQ(text(out.at("spanId")), context.span_id_hex());
  EXPECT_EQ(text(out.at("parentSpanId")), trace::SpanContext({span.trace_id, parent, true}).span_id_hex());
  EXPECT_EQ(out.at("name"), "GET /api/v1/me \"quoted\"");
  EXPECT_EQ(out.at("kind"), 2);
  EXPECT_EQ(out.at("startTimeUnixNano"), "1700000000000000000");
  EXPECT_EQ(out.at("attributes").at(0).at("value").at("intValue"), "500");
  EXPECT_EQ(out.at("attributes").at(2).at("value").at("boolValue"), false);
  EXPECT_EQ(out.at("status").at("code"), 2);
}

}  // namespace
}  // namespace parley::tracing
