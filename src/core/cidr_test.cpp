#include "core/cidr.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

std::string normalized(std::string_view text) {
  auto r = parse_cidr(text);
  return r.cidr ? r.cidr->to_string() : "error: " + r.error;
}

bool contains(std::string_view block, std::string_view address) {
  auto r = parse_cidr(block);
  auto a = parse_ip_address(address);
  EXPECT_TRUE(r.cidr.has_value()) << block;
  EXPECT_TRUE(a.has_value()) << address;
  return r.cidr && a && r.cidr->contains(*a);
}

TEST(Cidr, NormalisesBlocksAndBareAddresses) {
  EXPECT_EQ(normalized("10.0.0.0/8"), "10.0.0.0/8");
  EXPECT_EQ(normalized("192.0.2.7"), "192.0.2.7/32");
  EXPECT_EQ(normalized("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(normalized("2001:DB8::/32"), "2001:db8::/32");
  EXPECT_EQ(normalized("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1/128");
  EXPECT_EQ(normalized("::/0"), "::/0");
  EXPECT_EQ(normalized("::1"), "::1/128");
  EXPECT_EQ(normalized("10.0.0.0/08"), "10.0.0.0/8");
}

TEST(Cidr, V4MappedBlocksAreIpv4) {
  EXPECT_EQ(normalized("::ffff:10.0.0.0/104"), "10.0.0.0/8");
  EXPECT_EQ(normalized("::ffff:192.0.2.1"), "192.0.2.1/32");
  EXPECT_EQ(normalized("::ffff:0:0/96"), "0.0.0.0/0");
  // Shorter than /96 it covers more than the mapped range: an IPv6 block.
  EXPECT_EQ(normalized("::fffe:0:0/95"), "::fffe:0:0/95");
  EXPECT_EQ(normalized("::ffff:0:0/95"), "error: \"::ffff:0:0/95\" has host bits set; the block is ::fffe:0:0/95.");
}

TEST(Cidr, HostBitsSetIsRefusedNamingTheBlock) {
  EXPECT_EQ(normalized("10.0.0.1/8"), "error: \"10.0.0.1/8\" has host bits set; the block is 10.0.0.0/8.");
  EXPECT_EQ(normalized("2001:db8::1/32"), "error: \"2001:db8::1/32\" has host bits set; the block is 2001:db8::/32.");
  EXPECT_EQ(normalized("192.0.2.128/24"), "error: \"192.0.2.128/24\" has host bits set; the block is 192.0.2.0/24.");
}

TEST(Cidr, RefusesMalformedText) {
  for (const char* bad : {"", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0/8", "10.0.0.0.0", "256.0.0.0", "010.0.0.1",
                          "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "1.2.3.4:80", "fe80::1%eth0",
                          "2001:db8:::1", "2001:db8::g", "example.com", "10.0.0.0/8a"}) {
    auto r = parse_cidr(bad);
    EXPECT_FALSE(r.cidr.has_value()) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  EXPECT_EQ(normalized("10.0.0.0/33"), "error: The prefix length must be a number from 0 to 32 for IPv4.");
  EXPECT_EQ(normalized("::/129"), "error: The prefix length must be a number from 0 to 128 for IPv6.");
  EXPECT_EQ(normalized("nope"), "error: \"nope\" is not a valid IPv4 or IPv6 address or CIDR block.");
}

TEST(Cidr, ContainsWithinItsFamily) {
  EXPECT_TRUE(contains("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.0"));
  EXPECT_TRUE(contains("192.0.2.7/32", "192.0.2.7"));
  EXPECT_FALSE(contains("192.0.2.7/32", "192.0.2.8"));
  EXPECT_TRUE(contains("0.0.0.0/0", "203.0.113.9"));
  EXPECT_FALSE(contains("0.0.0.0/0", "2001:db8::1"));
  EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(contains("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff"));
  EXPECT_FALSE(contains("2001:db8::/65", "2001:db8::8000:0:0:0"));
  EXPECT_TRUE(contains("::/0", "::1"));
  EXPECT_FALSE(contains("::/0", "10.0.0.1"));
  EXPECT_TRUE(contains("::1/128", "::1"));
}

TEST(Cidr, MappedClientsAreIpv4Clients) {
  EXPECT_TRUE(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
  EXPECT_FALSE(contains("::/0", "::ffff:10.1.2.3"));
  EXPECT_EQ(parse_ip_address("::ffff:10.1.2.3")->to_string(), "10.1.2.3");
  EXPECT_EQ(parse_ip_address("::FFFF:a01:203")->to_string(), "10.1.2.3");
}

TEST(IpAddress, ParsesAndPrints) {
  EXPECT_EQ(parse_ip_address("203.0.113.9")->to_string(), "203.0.113.9");
  EXPECT_EQ(parse_ip_address("2001:DB8:0:0:0:0:0:1")->to_string(), "2001:db8::1");
  EXPECT_EQ(parse_ip_address("fe80::1%eth0")->to_string(), "fe80::1");  // zone ids are ignored
  EXPECT_FALSE(parse_ip_address("10.0.0.1%eth0"));
  EXPECT_FALSE(parse_ip_address("fe80::1%"));
  EXPECT_FALSE(parse_ip_address("10.0.0.0/8"));
  EXPECT_FALSE(parse_ip_address("unknown"));
  EXPECT_FALSE(parse_ip_address(""));
}

}  // namespace
}  // namespace parley
