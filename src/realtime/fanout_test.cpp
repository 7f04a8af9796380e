#include "realtime/fanout.hpp"

#include <gtest/gtest.h>

namespace parley::realtime {
namespace {

TEST(FanoutMessageTest, EveryKindSurvivesTheRoundTrip) {
  FanoutMessage log{.kind = FanoutMessage::Kind::log, .from = 18446744073709551615ull, .position = 42};
  auto decoded_log = decode(encode(log));
  ASSERT_TRUE(decoded_log);
  EXPECT_EQ(decoded_log->kind, FanoutMessage::Kind::log);
  EXPECT_EQ(decoded_log->from, log.from);
  EXPECT_EQ(decoded_log->position, 42);

  FanoutMessage typing{.kind = FanoutMessage::Kind::typing, .from = 3, .conversation_id = 7, .user_id = 9};
  auto decoded_typing = decode(encode(typing));
  ASSERT_TRUE(decoded_typing);
  EXPECT_EQ(decoded_typing->kind, FanoutMessage::Kind::typing);
  EXPECT_EQ(decoded_typing->conversation_id, 7);
  EXPECT_EQ(decoded_typing->user_id, 9);

  FanoutMessage presence{.kind = FanoutMessage::Kind::presence, .from = 3};
  presence.statuses = {{1, PresenceStatus::active}, {2, PresenceStatus::idle}, {3, PresenceStatus::offline}};
  auto decoded_presence = decode(encode(presence));
  ASSERT_TRUE(decoded_presence);
  EXPECT_EQ(decoded_presence->statuses, presence.statuses);
}

TEST(FanoutMessageTest, AFullPresenceMessageFitsInANotify) {
  FanoutMessage presence{.kind = FanoutMessage::Kind::presence, .from = 18446744073709551615ull};
  for (std::size_t i = 0; i < kMaxStatusesPerMessage; ++i) {
    presence.statuses.emplace_back(9007199254740991 - static_cast<std::int64_t>(i), PresenceStatus::offline);
  }
  EXPECT_LT(encode(presence).size(), 8000u);
}

TEST(FanoutMessageTest, MalformedMessagesAreSkipped) {
  for (std::string_view text : {"", "null", "[]", R"({"kind":"log","position":1})", R"({"from":1,"kind":"log"})",
                                R"({"from":"x","kind":"log","position":1})", R"({"from":"1","kind":"shout"})",
                                R"({"from":"1","kind":"typing","conversation_id":1})",
                                R"({"from":"1","kind":"presence","statuses":[[1,"away"]]})",
                                R"({"from":"1","kind":"presence","statuses":[["1","idle"]]})"}) {
    EXPECT_FALSE(decode(text)) << text;
  }
}

}  // namespace
}  // namespace parley::realtime
