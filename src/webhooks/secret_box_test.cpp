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

}  // namespace
}  // namespace parley::webhooks
