#include "realtime/client_frame.hpp"

#include <gtest/gtest.h>

namespace parley::realtime {
namespace {

RefusedFrame refused(std::string_view text, bool binary = false) {
  auto frame = parse_client_frame(text, binary);
  EXPECT_TRUE(std::holds_alternative<RefusedFrame>(frame)) << text;
  return std::holds_alternative<RefusedFrame>(frame) ? std::get<RefusedFrame>(frame) : RefusedFrame{};
}

TEST(ClientFrameTest, ParsesTheThreeFrames) {
  auto typing = parse_client_frame(R"({"type":"typing","conversation_id":42})", false);
  ASSERT_TRUE(std::holds_alternative<TypingFrame>(typing));
  EXPECT_EQ(std::get<TypingFrame>(typing).conversation_id, 42);
  auto idle = parse_client_frame(R"({"type":"presence","status":"idle"})", false);
  ASSERT_TRUE(std::holds_alternative<PresenceFrame>(idle));
  EXPECT_EQ(std::get<PresenceFrame>(idle).status, PresenceStatus::idle);
  auto active = parse_client_frame(R"({"status":"active","type":"presence"})", false);
  ASSERT_TRUE(std::holds_alternative<PresenceFrame>(active));
  EXPECT_EQ(std::get<PresenceFrame>(active).status, PresenceStatus::active);
  EXPECT_TRUE(std::holds_alternative<PingFrame>(parse_client_frame(R"({"type":"ping"})", false)));
}

TEST(ClientFrameTest, BinaryAndNonJsonHaveTheirOwnCloseCodes) {
  EXPECT_EQ(refused(R"({"type":"ping"})", true).close_code, 1003);
  EXPECT_EQ(refused("not json").close_code, 1007);
  EXPECT_EQ(refused("[1,2]").close_code, 1007);
  EXPECT_EQ(refused(R"({"type":"ping")").close_code, 1007);
  EXPECT_EQ(refused("").close_code, 1007);
}

TEST(ClientFrameTest, WrongShapesAreRefusedWithAReason) {
  for (std::string_view text : {R"({})", R"({"type":1})", R"({"type":"shout"})",
                                R"({"type":"typing"})", R"({"type":"typing","conversation_id":"7"})",
                                R"({"type":"typing","conversation_id":0})", R"({"type":"typing","conversation_id":-3})",
                                R"({"type":"typing","conversation_id":1.5})",
                                R"({"type":"typing","conversation_id":9007199254740992})",
                                R"({"type":"typing","conversation_id":1,"extra":true})",
                                R"({"type":"presence","status":"away"})", R"({"type":"presence"})",
                                R"({"type":"ping","id":1})"}) {
    auto frame = refused(text);
    EXPECT_EQ(frame.close_code, 1008) << text;
    EXPECT_FALSE(frame.reason.empty()) << text;
    EXPECT_LE(frame.reason.size(), 123u) << text;
  }
}

TEST(ClientFrameTest, PresenceNames) {
  EXPECT_EQ(presence_name(PresenceStatus::active), "active");
  EXPECT_EQ(presence_name(PresenceStatus::idle), "idle");
  EXPECT_EQ(presence_name(PresenceStatus::offline), "offline");
}

}  // namespace
}  // namespace parley::realtime
