#include "webhooks/signature.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "auth/tokens.hpp"
#include "core/error.hpp"

namespace parley::webhooks {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecret = "whsec_test";
constexpr std::string_view kBody = R"({"type":"message.created"})";
constexpr std::int64_t kNow = 1'700'000'000;

// The v1 value for `body` at `t` under `secret`, computed the way the contract describes it.
std::string v1(std::string_view secret, std::string_view t, std::string_view body) {
  return auth::hmac_sha256_hex(secret, std::string(t) + "." + std::string(body));
}

TEST(WebhookSignature, KnownAnswer) {
  // Pinned with an independent implementation (Python's hmac module): the header format is a
  // public contract, receivers in other languages compute exactly this.
  EXPECT_EQ(sign(kSecret, kNow, kBody),
            "t=1700000000,v1=8a7141544dbd3493366e6987e64794e9c2e1ef04206b56a46f431e0e7a66e5ea");
}

TEST(WebhookSignature, RoundTrip) {
  const std::string header = sign(kSecret, kNow, kBody);
  EXPECT_TRUE(verify(kSecret, header, kBody, kNow));
  EXPECT_TRUE(verify(kSecret, header, kBody, kNow + 299));
  EXPECT_TRUE(verify(kSecret, sign(kSecret, 0, ""), "", 0));
  EXPECT_TRUE(verify(kSecret, sign(kSecret, kNow, std::string(100'000, 'x')), std::string(100'000, 'x'), kNow));
}

TEST(WebhookSignature, TamperedBodyFails) {
  const std::string header = sign(kSecret, kNow, kBody);
  EXPECT_FALSE(verify(kSecret, header, R"({"type":"message.deleted"})", kNow));
  EXPECT_FALSE(verify(kSecret, header, std::string(kBody) + " ", kNow));
  EXPECT_FALSE(verify(kSecret, header, "", kNow));
}

TEST(WebhookSignature, WrongSecretFails) {
  const std::string header = sign(kSecret, kNow, kBody);
  EXPECT_FALSE(verify("whsec_other", header, kBody, kNow));
  EXPECT_FALSE(verify(std::string(kSecret) + "x", header, kBody, kNow));
}

TEST(WebhookSignature, TamperedTimestampFails) {
  // Moving t to make an old delivery look fresh breaks the MAC, which covers t.
  const std::string header = sign(kSecret, kNow - 3600, kBody);
  std::string moved = header;
  moved.replace(0, moved.find(','), "t=" + std::to_string(kNow));
  EXPECT_FALSE(verify(kSecret, moved, kBody, kNow));
}

TEST(WebhookSignature, StaleAndFutureTimestampsFail) {
  const std::string header = sign(kSecret, kNow, kBody);
  EXPECT_TRUE(verify(kSecret, header, kBody, kNow + 300)) << "the tolerance is inclusive";
  EXPECT_TRUE(verify(kSecret, header, kBody, kNow - 300));
  EXPECT_FALSE(verify(kSecret, header, kBody, kNow + 301)) << "stale";
  EXPECT_FALSE(verify(kSecret, header, kBody, kNow - 301)) << "from the future";
  EXPECT_TRUE(verify(kSecret, header, kBody, kNow + 3600, 2h));
  EXPECT_FALSE(verify(kSecret, header, kBody, kNow + 1, 0s));
  EXPECT_TRUE(verify(kSecret, header, kBody, kNow, 0s));
  EXPECT_FALSE(verify(kSecret, header, kBody, kNow, -1s));
  // Extreme clocks neither overflow nor pass.
  EXPECT_FALSE(verify(kSecret, header, kBody, std::numeric_limits<std::int64_t>::min()));
  EXPECT_FALSE(verify(kSecret, header, kBody, std::numeric_limits<std::int64_t>::max()));
  const std::string far = sign(kSecret, std::numeric_limits<std::int64_t>::max(), kBody);
  EXPECT_TRUE(verify(kSecret, far, kBody, std::numeric_limits<std::int64_t>::max()));
  EXPECT_FALSE(verify(kSecret, far, kBody, std::numeric_limits<std::int64_t>::min()));
}

TEST(WebhookSignature, ElementsInAnyOrder) {
  const std::string mac = v1(kSecret, "1700000000", kBody);
  EXPECT_TRUE(verify(kSecret, "v1=" + mac + ",t=1700000000", kBody, kNow));
  // Unknown schemes are ignored, wherever they are.
  EXPECT_TRUE(verify(kSecret, "v0=abc,t=1700000000,v2=whatever,v1=" + mac, kBody, kNow));
}

TEST(WebhookSignature, MalformedHeadersFail) {
  const std::string mac = v1(kSecret, "1700000000", kBody);
  const std::string good = "t=1700000000,v1=" + mac;
  ASSERT_TRUE(verify(kSecret, good, kBody, kNow));
  const std::string cases[] = {
      "",
      "v1=" + mac,      // missing t
      "t=1700000000",   // missing v1
      "t=1700000000,",  // empty element
      ",t=1700000000,v1=" + mac,
      "t=1700000000,,v1=" + mac,
      "t=,v1=" + mac,     // empty t
      "t=abc,v1=" + mac,  // non-numeric t
      "t=17e8,v1=" + mac,
      "t=-1700000000,v1=" + mac,  // a sign
      "t=+1700000000,v1=" + mac,
      "t=0x65,v1=" + mac,
      "t=99999999999999999999,v1=" + mac,     // over 64 bits
      "t=1700000000,t=1700000000,v1=" + mac,  // duplicate t (even equal)
      "t=1700000000,v1=" + mac + ",t=1700000001",
      "t=1700000000, v1=" + mac,  // extra spaces
      " t=1700000000,v1=" + mac,
      "t=1700000000,v1=" + mac + " ",
      "t = 1700000000,v1=" + mac,
      "t=1700000000 ,v1=" + mac,
      "t=1700000000,v1= " + mac,
      "t=1700000000;v1=" + mac,  // wrong separator
      "t=1700000000,v1",         // no value
      "t=1700000000,v1=",
      "t=1700000000,v1=" + mac.substr(1),  // short MAC
      "t=1700000000,v1=" + mac + "0",      // long MAC
      "t=1700000000,V1=" + mac,            // keys are lower case
      "T=1700000000,v1=" + mac,
      "t=1700000000,v1=" + std::string(64, 'G'),  // not hex
      "t=1700000000,v2=" + mac,                   // only an unknown scheme
      "t=1700000000,v1=" + mac + ",v2=a\tb",      // whitespace in an ignored value
      "t=1700000000,=x,v1=" + mac,                // no key
  };
  for (const std::string& header : cases) EXPECT_FALSE(verify(kSecret, header, kBody, kNow)) << header;
  // Upper-case hex is refused: the contract spells the MAC in lower case, compared byte for byte.
  std::string upper = mac;
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  EXPECT_FALSE(verify(kSecret, "t=1700000000,v1=" + upper, kBody, kNow));
}

TEST(WebhookSignature, LeadingZerosAreSignedAsWritten) {
  // The MAC covers t as written: a receiver never reformats it.
  const std::string mac = v1(kSecret, "01700000000", kBody);
  EXPECT_TRUE(verify(kSecret, "t=01700000000,v1=" + mac, kBody, kNow));
  EXPECT_FALSE(verify(kSecret, "t=01700000000,v1=" + v1(kSecret, "1700000000", kBody), kBody, kNow));
}

TEST(WebhookSignature, AnyOfSeveralV1Matches) {
  // While a secret is rotated the sender signs with both; a receiver holding either accepts.
  const std::string old_mac = v1("whsec_old", "1700000000", kBody);
  const std::string new_mac = v1("whsec_new", "1700000000", kBody);
  const std::string header = "t=1700000000,v1=" + old_mac + ",v1=" + new_mac;
  EXPECT_TRUE(verify("whsec_old", header, kBody, kNow));
  EXPECT_TRUE(verify("whsec_new", header, kBody, kNow));
  EXPECT_FALSE(verify("whsec_third", header, kBody, kNow));
  EXPECT_TRUE(verify("whsec_new", "v1=" + old_mac + ",t=1700000000,v1=" + new_mac, kBody, kNow));
  // One malformed v1 spoils the header even when another one matches.
  EXPECT_FALSE(verify("whsec_new", header + ",v1=xyz", kBody, kNow));
}

TEST(WebhookSignature, EmptySecretOrNegativeTimeIsAProgrammingError) {
  EXPECT_THROW(sign("", kNow, kBody), AppError);
  EXPECT_THROW(sign(kSecret, -1, kBody), AppError);
  EXPECT_THROW(verify("", sign(kSecret, kNow, kBody), kBody, kNow), AppError);
}

}  // namespace
}  // namespace parley::webhooks
