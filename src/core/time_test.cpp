#include "core/time.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

std::string normalized(std::string_view text) {
  auto t = parse_rfc3339(text);
  return t ? format_rfc3339(*t) : "invalid";
}

TEST(Rfc3339, ReadsDateTimesWithOffsetsAndFractions) {
  EXPECT_EQ(normalized("2026-11-23T23:51:00Z"), "2026-11-23T23:51:00.000Z");
  EXPECT_EQ(normalized("2026-11-23T23:51:00.123Z"), "2026-11-23T23:51:00.123Z");
  EXPECT_EQ(normalized("2026-11-23t23:51:00.1234567z"), "2026-11-23T23:51:00.123Z");
  EXPECT_EQ(normalized("2026-11-23 23:51:00.5+01:30"), "2026-11-23T22:21:00.500Z");
  EXPECT_EQ(normalized("2026-11-23T23:51:00-02:00"), "2026-11-24T01:51:00.000Z");
  EXPECT_EQ(normalized("2024-02-29"), "2024-02-29T00:00:00.000Z");
}

TEST(Rfc3339, RejectsEverythingElse) {
  for (const char* bad : {"", "2026", "2026-11-23T", "2026-02-30", "2025-02-29", "2026-13-01", "2026-11-23T24:00:00Z",
                          "2026-11-23T23:60:00Z", "2026-11-23T23:59:60Z", "2026-11-23T23:51:00", "2026-11-23T23:51Z",
                          "2026-11-23T23:51:00.Z", "2026-11-23T23:51:00+0100", "2026-11-23T23:51:00Zjunk", "1969-12-31",
                          "+2026-11-23", "2026-11-23T23:51:00+24:00", "２０２６-11-23"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace parley
