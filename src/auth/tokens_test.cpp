#include "auth/tokens.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace parley::auth {
namespace {

bool is_base64url(std::string_view text) {
  return text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
         std::string_view::npos;
}

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(std::string_view("")), "");
  EXPECT_EQ(base64url_encode(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url_encode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url_encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url_encode(std::string_view("foob")), "Zm9vYg");
  EXPECT_EQ(base64url_encode(std::string_view("fooba")), "Zm9vYmE");
  EXPECT_EQ(base64url_encode(std::string_view("foobar")), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  const std::vector<std::uint8_t> bytes{0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), std::string("\xfb\xff\xbf"));
}

TEST(Base64Url, RoundTripsEveryLengthAndByteValue) {
  for (std::size_t length = 0; length < 300; ++length) {
    std::string data(length, '\0');
    for (std::size_t i = 0; i < length; ++i) data[i] = static_cast<char>((i * 37 + length) & 0xFF);
    const std::string encoded = base64url_encode(data);
    EXPECT_TRUE(is_base64url(encoded));
    EXPECT_NE(encoded.size() % 4, 1u);
    EXPECT_EQ(base64url_decode(encoded), data) << "length " << length;
  }
}

TEST(Base64Url, DecodeRefusesPaddingAndForeignCharacters) {
  for (const char* bad : {"Zg==", "Zg=", "Zm8=", "Zm9v====", "Zm+v", "Zm/v", " Zm9v", "Zm9v\n", "Zm 9v", "Zm9v!",
                          "Zm9\xc3\xa9", "Zm9v.Zg"}) {
    EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(base64url_decode(std::string_view("Zm\0v", 4)), std::nullopt);
}

TEST(Base64Url, DecodeRefusesImpossibleLengths) {
  EXPECT_EQ(base64url_decode("Z"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
  EXPECT_EQ(base64url_decode(""), std::string());
}

TEST(Base64Url, DecodeRefusesNonCanonicalTrailingBits) {
  // "f" is "Zg"; "Zh".."Zv" carry the same first byte with non-zero unused bits.
  EXPECT_EQ(base64url_decode("Zg"), "f");
  for (const char* bad : {"Zh", "Zi", "Zj", "Zv"}) EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
  // "fo" is "Zm8"; "Zm9" differs only in the two unused bits.
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm-"), std::nullopt);
}

TEST(RandomBytes, FillsAndDiffers) {
  std::vector<std::uint8_t> a(32), b(32);
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
  std::vector<std::uint8_t> empty;
  EXPECT_NO_THROW(random_bytes(empty));
}

TEST(PersonalToken, HasPrefixLengthAndAlphabet) {
  const std::string token = generate_personal_token();
  EXPECT_EQ(token.size(), 47u);
  EXPECT_TRUE(token.starts_with("pat_"));
  EXPECT_TRUE(is_base64url(token.substr(4)));
  const auto secret = base64url_decode(token.substr(4));
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(secret->size(), 32u);  // 256 bits
  EXPECT_TRUE(looks_like_personal_token(token));
}

TEST(PersonalToken, ManyAreDistinctAndUseEveryByteValue) {
  std::set<std::string> seen;
  std::set<unsigned char> byte_values;
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) {
    const std::string token = generate_personal_token();
    seen.insert(token);
    const std::string secret = base64url_decode(token.substr(4)).value();
    for (unsigned char c : secret) byte_values.insert(c);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCount));
  // 64000 random bytes miss a given value with probability (255/256)^64000 ~ 1e-109.
  EXPECT_EQ(byte_values.size(), 256u);
}

TEST(PersonalToken, ShapeCheckRefusesLookalikes) {
  const std::string token = generate_personal_token();
  EXPECT_FALSE(looks_like_personal_token(""));
  EXPECT_FALSE(looks_like_personal_token("pat_"));
  EXPECT_FALSE(looks_like_personal_token(token.substr(0, 46)));
  EXPECT_FALSE(looks_like_personal_token(token + "A"));
  EXPECT_FALSE(looks_like_personal_token("PAT_" + token.substr(4)));
  EXPECT_FALSE(looks_like_personal_token("pat_" + std::string(42, 'A') + "="));
  EXPECT_FALSE(looks_like_personal_token("pat_" + std::string(42, 'A') + "+"));
  EXPECT_FALSE(looks_like_personal_token("eyJhbGciOiJFZERTQSJ9.e30.sig"));
}

TEST(SessionAndCsrf, Are256BitBase64UrlAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {
    for (const std::string& value : {generate_session_id(), generate_csrf_token()}) {
      EXPECT_EQ(value.size(), kSecretChars);
      const auto bytes = base64url_decode(value);
      ASSERT_TRUE(bytes.has_value());
      EXPECT_EQ(bytes->size(), 32u);
      seen.insert(value);
    }
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TokenHash, IsHexSha256AndStable) {
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string token = generate_personal_token();
  EXPECT_EQ(token_hash(token), token_hash(token));
  EXPECT_EQ(token_hash(token).size(), 64u);
  EXPECT_NE(token_hash(token), token_hash(token + "x"));
  EXPECT_EQ(token_hash(token).find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Hmac, MatchesRfc4231Vectors) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1.
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // A key longer than the block size is hashed first (test case 6).
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, RefusesAnEmptyKey) {
  try {
    (void)hmac_sha256_hex("", "message");
    FAIL() << "expected AppError";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 500);
  }
}

TEST(Hex, EncodesLowerCase) {
  const std::vector<std::uint8_t> bytes{0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(to_hex(bytes), "000fa0ff");
  EXPECT_EQ(to_hex({}), "");
}

TEST(ConstantTimeEquals, ComparesBytes) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "Secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secret "));
  EXPECT_FALSE(constant_time_equals("secret", ""));
  EXPECT_FALSE(constant_time_equals("", "x"));
  EXPECT_TRUE(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  const std::string hash = token_hash("x");
  std::string other = hash;
  for (std::size_t i = 0; i < other.size(); ++i) {
    other[i] = other[i] == '0' ? '1' : '0';
    EXPECT_FALSE(constant_time_equals(hash, other)) << i;
    other[i] = hash[i];
  }
  EXPECT_TRUE(constant_time_equals(hash, other));
}

}  // namespace
}  // namespace parley::auth
