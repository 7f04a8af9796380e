#include "uploads/mime_sniffer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace parley::uploads {
namespace {

// A 1x1 RGBA PNG.
const std::string kPng(
    "\x89\x50\x4E\x47\x0D\x0A\x1A\x0A\x00\x00\x00\x0D\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    "\x00\x1F\x15\xC4\x89\x00\x00\x00\x0A\x49\x44\x41\x54\x78\x9C\x63\x00\x01\x00\x00\x05\x00\x01\x0D\x0A\x2D\xB4\x00"
    "\x00\x00\x00\x49\x45\x4E\x44\xAE\x42\x60\x82",
    67);

class MimeSnifferTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { sniffer_ = new MimeSniffer(); }
  static void TearDownTestSuite() { delete sniffer_; }
  static MimeSniffer* sniffer_;
};
MimeSniffer* MimeSnifferTest::sniffer_ = nullptr;

TEST_F(MimeSnifferTest, NamesTypesFromContent) {
  EXPECT_EQ(sniffer_->sniff(kPng), "image/png");
  EXPECT_EQ(sniffer_->sniff("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,"
                            "\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;"),
            "image/gif");
  EXPECT_EQ(sniffer_->sniff("<!DOCTYPE html>\n<html><head><title>x</title></head><body>hi</body></html>\n"),
            "text/html");
  EXPECT_EQ(sniffer_->sniff("just some words, nothing more\n"), "text/plain");
  EXPECT_EQ(sniffer_->sniff("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), "application/pdf");
  EXPECT_EQ(
      sniffer_->sniff("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\">"
                      "<script>alert(1)</script></svg>\n"),
      "image/svg+xml");
}

TEST_F(MimeSnifferTest, FallsBackToOctetStream) {
  EXPECT_EQ(sniffer_->sniff(""), "application/octet-stream");
  std::string noise(4096, '\0');
  std::mt19937 rng(1);
  for (auto& c : noise) c = static_cast<char>(rng());
  noise[0] = '\x01';
  noise[1] = '\x02';
  EXPECT_EQ(sniffer_->sniff(noise), "application/octet-stream");
}

TEST_F(MimeSnifferTest, IsSafeToCallFromManyThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) wrong += sniffer_->sniff(kPng) != "image/png";
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(InlineImages, OnlySafeRasterFormats) {
  for (auto type : {"image/png", "image/jpeg", "image/gif", "image/webp"}) EXPECT_TRUE(is_inline_image(type)) << type;
  for (auto type : {"image/svg+xml", "text/html", "application/pdf", "text/plain", "image/x-icon", ""})
    EXPECT_FALSE(is_inline_image(type)) << type;
}

}  // namespace
}  // namespace parley::uploads
