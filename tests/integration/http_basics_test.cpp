#include "harness.hpp"

#include <gtest/gtest.h>

namespace parley::testing {
namespace {

TEST(HttpBasics, HealthzAnswersJson) {
  TestServer server;
  auto r = http_request(server.port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.json().at("status"), "ok");
}

}  // namespace
}  // namespace parley::testing
