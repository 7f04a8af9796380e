#include "core/amqp_url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::amqp {
namespace {

// The message of the std::invalid_argument that parsing `url` throws ("" when it parses).
std::string error_of(std::string_view url) {
  try {
    parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(AmqpUrl, HostOnlyTakesDefaults) {
  const Url url = parse_url("amqp://broker.internal");
  EXPECT_EQ(url.host, "broker.internal");
  EXPECT_EQ(url.port, 5672);
  EXPECT_EQ(url.username, "guest");
  EXPECT_EQ(url.password, "guest");
  EXPECT_EQ(url.vhost, "/");
}

TEST(AmqpUrl, EveryPart) {
  const Url url = parse_url("amqp://jobs:s3cret@10.0.0.7:5673/parley");
  EXPECT_EQ(url.host, "10.0.0.7");
  EXPECT_EQ(url.port, 5673);
  EXPECT_EQ(url.username, "jobs");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.vhost, "parley");
}

TEST(AmqpUrl, PercentDecodesUserPasswordAndVhost) {
  const Url url = parse_url("AMQP://us%40er:p%3Ass%2Fw@localhost/%2f");
  EXPECT_EQ(url.username, "us@er");
  EXPECT_EQ(url.password, "p:ss/w");
  EXPECT_EQ(url.vhost, "/");
  EXPECT_EQ(parse_url("amqp://h/%2Fjobs%20eu").vhost, "/jobs eu");
}

TEST(AmqpUrl, EmptyPathIsTheDefaultVhost) {
  EXPECT_EQ(parse_url("amqp://h/").vhost, "/");
  EXPECT_EQ(parse_url("amqp://h:1234").vhost, "/");
  EXPECT_EQ(parse_url("amqp://h:1234").port, 1234);
}

TEST(AmqpUrl, UserWithoutPasswordHasAnEmptyOne) {
  const Url url = parse_url("amqp://worker@h");
  EXPECT_EQ(url.username, "worker");
  EXPECT_EQ(url.password, "");
}

TEST(AmqpUrl, PasswordMayHoldARawAt) {
  const Url url = parse_url("amqp://u:p@ss@h");
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.host, "h");
}

TEST(AmqpUrl, Ipv6InBrackets) {
  const Url url = parse_url("amqp://u:p@[::1]:5673/v");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 5673);
  EXPECT_EQ(parse_url("amqp://[fe80::1]").port, 5672);
}

TEST(AmqpUrl, RedactedMasksThePasswordAndEncodesTheVhost) {
  EXPECT_EQ(parse_url("amqp://jobs:s3cret@h:1/%2f").redacted(), "amqp://jobs:****@h:1/%2f");
  EXPECT_EQ(parse_url("amqp://[::1]").redacted(), "amqp://guest:****@[::1]:5672/%2f");
}

TEST(AmqpUrl, RefusesWhatItCannotUse) {
  EXPECT_NE(error_of("broker:5672").find("no scheme"), std::string::npos);
  EXPECT_NE(error_of("amqps://h").find("TLS"), std::string::npos);
  EXPECT_NE(error_of("http://h").find("unsupported scheme 'http://'"), std::string::npos);
  EXPECT_NE(error_of("amqp://h?heartbeat=10").find("query parameters"), std::string::npos);
  EXPECT_NE(error_of("amqp://").find("no host"), std::string::npos);
  EXPECT_NE(error_of("amqp://u:p@").find("no host"), std::string::npos);
  EXPECT_NE(error_of("amqp://h:0").find("port"), std::string::npos);
  EXPECT_NE(error_of("amqp://h:65536").find("port"), std::string::npos);
  EXPECT_NE(error_of("amqp://h:").find("port"), std::string::npos);
  EXPECT_NE(error_of("amqp://h:12x").find("port"), std::string::npos);
  EXPECT_NE(error_of("amqp://h/a/b").find("%2f"), std::string::npos);
  EXPECT_NE(error_of("amqp://[::1").find("']'"), std::string::npos);
  EXPECT_NE(error_of("amqp://[nothost]").find("IPv6"), std::string::npos);
  EXPECT_NE(error_of("amqp://bad host").find("host"), std::string::npos);
  EXPECT_NE(error_of("amqp://:p@h").find("user name is empty"), std::string::npos);
  EXPECT_NE(error_of("amqp://h/%zz").find("vhost has an invalid percent-encoding"), std::string::npos);
  // Every message names the expected form.
  EXPECT_NE(error_of("amqp://h:0").find(kUrlForm), std::string::npos);
}

TEST(AmqpUrl, ErrorsNeverShowThePassword) {
  for (const char* url : {"amqp://u:hunter2%zz@h", "amqp://u:hunter2@h:99999", "amqp://u:hunter2@bad host",
                          "amqps://u:hunter2@h", "amqp://u:hunter2@h?x=1", "amqp://u:hunter2@h/a/b"}) {
    const std::string error = error_of(url);
    EXPECT_FALSE(error.empty()) << url;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace parley::amqp
