#include "core/redis_url.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace parley {
namespace {

// The public message of the AppError that parsing `url` throws ("" when it parses).
std::string error_of(std::string_view url) {
  try {
    parse_redis_url(url);
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "invalid_redis_url");
    return e.public_message();
  }
  return "";
}

TEST(RedisUrl, HostOnlyTakesDefaults) {
  const RedisUrl url = parse_redis_url("redis://cache.internal");
  EXPECT_EQ(url.host, "cache.internal");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.username, "");
  EXPECT_EQ(url.password, "");
  EXPECT_EQ(url.database, 0);
}

TEST(RedisUrl, EveryPart) {
  const RedisUrl url = parse_redis_url("redis://app:s3cret@10.0.0.7:6380/2");
  EXPECT_EQ(url.host, "10.0.0.7");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.username, "app");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.database, 2);
}

TEST(RedisUrl, PasswordWithoutUserAndEmptyPath) {
  const RedisUrl url = parse_redis_url("REDIS://:pw@localhost/");
  EXPECT_EQ(url.username, "");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.database, 0);
}

TEST(RedisUrl, PercentDecodesUserAndPassword) {
  const RedisUrl url = parse_redis_url("redis://us%65r:p%40ss%3Aw%2Fo%25rd@h:1");
  EXPECT_EQ(url.username, "user");
  EXPECT_EQ(url.password, "p@ss:w/o%rd");
}

TEST(RedisUrl, RawAtSignInPasswordSplitsAtTheLastOne) {
  EXPECT_EQ(parse_redis_url("redis://:a@b@host").password, "a@b");
}

TEST(RedisUrl, BracketedIpv6) {
  const RedisUrl url = parse_redis_url("redis://[::1]:7000/3");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 7000);
  EXPECT_EQ(url.database, 3);
  EXPECT_EQ(parse_redis_url("redis://[fe80::2]").port, 6379);
}

TEST(RedisUrl, RedactedMasksThePassword) {
  EXPECT_EQ(parse_redis_url("redis://app:hunter2@h:6380/2").redacted(), "redis://app:********@h:6380/2");
  EXPECT_EQ(parse_redis_url("redis://h").redacted(), "redis://h:6379");
  EXPECT_EQ(parse_redis_url("redis://[::1]").redacted(), "redis://[::1]:6379");
}

TEST(RedisUrl, RejectsTlsWithAClearMessage) {
  EXPECT_NE(error_of("rediss://h:6380").find("rediss:// (Redis over TLS) is not supported"), std::string::npos);
}

TEST(RedisUrl, PreciseErrors) {
  EXPECT_EQ(error_of("cache:6379"), "no scheme");
  EXPECT_EQ(error_of("http://h"), "unsupported scheme 'http://'");
  EXPECT_EQ(error_of("redis://"), "the host is missing");
  EXPECT_EQ(error_of("redis://:pw@/0"), "the host is missing");
  EXPECT_EQ(error_of("redis://h:"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("redis://h:0"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("redis://h:65536"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("redis://h:-1"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("redis://h:63a"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("redis://h/x"), "the database must be a non-negative number, such as /0");
  EXPECT_EQ(error_of("redis://h/-1"), "the database must be a non-negative number, such as /0");
  EXPECT_EQ(error_of("redis://h/99999999999"), "the database must be a non-negative number, such as /0");
  EXPECT_EQ(error_of("redis://h/0/1"), "the database must be a non-negative number, such as /0");
  EXPECT_EQ(error_of("redis://h?db=1"), "query parameters and fragments are not supported");
  EXPECT_EQ(error_of("redis://user@h"), "the user info needs a password: write user:password@ or :password@");
  EXPECT_EQ(error_of("redis://user:@h"), "the password is empty; leave out the user info for no AUTH");
  EXPECT_EQ(error_of("redis://ho st"), "'ho st' is not a valid host name");
  EXPECT_EQ(error_of("redis://[::1"), "the IPv6 address has no closing ']'");
  EXPECT_EQ(error_of("redis://[zz]"), "'zz' is not an IPv6 address");
  EXPECT_EQ(error_of("redis://[::1]x"), "unexpected text after the IPv6 address");
  EXPECT_EQ(error_of("redis://:p%4@h"),
            "the password has an invalid percent-encoding ('%' must be followed by two hex digits)");
  EXPECT_EQ(error_of("redis://u%zz:p@h"),
            "the user name has an invalid percent-encoding ('%' must be followed by two hex digits)");
}

TEST(RedisUrl, ErrorsNeverShowThePassword) {
  const std::string message = error_of("redis://app:hunter2@h:99999");
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace parley
