#include "webhooks/secret_box.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace parley::webhooks {
namespace {

TEST(SecretBox, SealsAndOpens) {
  SecretBox box("a server secret of reasonable length 1234567890");
  auto sealed = box.seal("whsec_abc");
  EXPECT_TRUE(sealed.starts_with("v1."));
  EXPECT_EQ(sealed.find("whsec_abc"), std::string::npos);
  EXPECT_EQ(box.open(sealed), "whsec_abc");
  EXPECT_NE(box.seal("whsec_abc"), sealed) << "a new nonce each time";
  EXPECT_EQ(box.open(box.seal("")), "");
}

TEST(SecretBox, RefusesAnotherKeyAndTampering) {
  SecretBox box("one secret");
  SecretBox other("another secret");
  auto sealed = box.seal("whsec_abc");
  EXPECT_THROW(other.open(sealed), AppError);
  auto tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_THROW(box.open(tampered), AppError);
  EXPECT_THROW(box.open("v1.short"), AppError);
  EXPECT_THROW(box.open("plain text"), AppError);
}

TEST(SecretBox, FallbacksOpenWhatOldKeysSealedAndResealUnderTheNewOne) {
  SecretBox old_box("the old secret");
  const auto sealed_before = old_box.seal("whsec_old");
  SecretBox rotated("the new secret", {"the old secret"});
  EXPECT_EQ(rotated.open(sealed_before), "whsec_old");
  auto resealed = rotated.reseal(sealed_before);
  ASSERT_TRUE(resealed);
  EXPECT_EQ(SecretBox("the new secret").open(*resealed), "whsec_old") << "no fallback needed any more";
  EXPECT_FALSE(rotated.reseal(*resealed)) << "already under the current key";
  EXPECT_THROW(SecretBox("the new secret").open(sealed_before), AppError);
  EXPECT_THROW(rotated.reseal(SecretBox("a third secret").seal("x")), AppError);
}

}  // namespace
}  // namespace parley::webhooks
