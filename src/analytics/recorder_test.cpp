#include "analytics/recorder.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace parley::analytics {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::system_clock;

Clock::time_point at_ms(std::int64_t ms) { return Clock::time_point{milliseconds{1'796'000'000'000 + ms}}; }

// Identical events of one second become one row that counts them, at the earliest one's time;
// anything that differs (second, kind, user, status, route) makes a row of its own.
TEST(RecorderRows, IdenticalEventsOfOneSecondShareARowThatCountsThem) {
  const std::vector<Recorder::Event> events{
      {at_ms(300), Kind::message_sent, 7, 0, ""},
      {at_ms(100), Kind::message_sent, 7, 0, ""},   // the earliest of the group
      {at_ms(200), Kind::message_sent, 8, 0, ""},   // another user
      {at_ms(900), Kind::message_sent, 7, 0, ""},
      {at_ms(1000), Kind::message_sent, 7, 0, ""},  // the next second
      {at_ms(400), Kind::active, 7, 0, ""},          // another kind
      {at_ms(500), Kind::error, std::nullopt, 500, "/a"},
      {at_ms(600), Kind::error, std::nullopt, 500, "/b"},  // another route
      {at_ms(700), Kind::error, std::nullopt, 502, "/a"},  // another status
      {at_ms(800), Kind::error, std::nullopt, 500, "/a"},
  };
  const auto rows = Recorder::rows_for(events);
  ASSERT_EQ(rows.size(), 7u);
  int total = 0;
  for (const auto& row : rows) total += row.occurrences;
  EXPECT_EQ(total, 10) << "every event is counted once";

  auto find = [&](std::string_view name, std::optional<std::int64_t> user, std::string_view route,
                  std::optional<int> status, std::string_view at) -> const auto& {
    for (const auto& row : rows) {
      if (row.name == name && row.user_id == user && row.route == route && row.status_code == status && row.at == at) {
        return row;
      }
    }
    ADD_FAILURE() << "no row " << name << " at " << at;
    return rows.front();
  };
  EXPECT_EQ(find("message_sent", 7, "", std::nullopt, format_rfc3339(at_ms(100))).occurrences, 3);
  EXPECT_EQ(find("message_sent", 8, "", std::nullopt, format_rfc3339(at_ms(200))).occurrences, 1);
  EXPECT_EQ(find("message_sent", 7, "", std::nullopt, format_rfc3339(at_ms(1000))).occurrences, 1);
  EXPECT_EQ(find("active", 7, "", std::nullopt, format_rfc3339(at_ms(400))).occurrences, 1);
  EXPECT_EQ(find("error", std::nullopt, "/a", 500, format_rfc3339(at_ms(500))).occurrences, 2);
  EXPECT_EQ(find("error", std::nullopt, "/b", 500, format_rfc3339(at_ms(600))).occurrences, 1);
  EXPECT_EQ(find("error", std::nullopt, "/a", 502, format_rfc3339(at_ms(700))).occurrences, 1);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LE(rows[i - 1].at.substr(0, 19), rows[i].at.substr(0, 19)) << "ordered by second";
  }
  EXPECT_TRUE(Recorder::rows_for({}).empty());
}

}  // namespace
}  // namespace parley::analytics
