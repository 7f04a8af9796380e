#include "realtime/hub.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <map>

namespace parley::realtime {
namespace {

namespace asio = boost::asio;

struct Recorder final : Listener {
  std::vector<std::int64_t> positions;
  std::vector<std::string> frames;
  std::vector<std::string> ephemeral;
  int lost_calls = 0;
  void deliver(std::int64_t position, const Frame& frame) override {
    positions.push_back(position);
    frames.push_back(*frame);
  }
  void deliver_ephemeral(const Frame& frame) override { ephemeral.push_back(*frame); }
  void lost() override { ++lost_calls; }
};

events::Event event(std::int64_t position, std::optional<std::int64_t> conversation, std::optional<std::int64_t> user,
                    std::string type, std::string data = "{}") {
  return events::Event{position, conversation, user, std::move(type), std::make_shared<const std::string>(std::move(data))};
}

class HubTest : public ::testing::Test {
 protected:
  HubTest()
      : logger_(std::make_shared<spdlog::logger>("hub-test", std::make_shared<spdlog::sinks::null_sink_mt>())),
        bus_(*logger_),
        hub_(bus_, [this](std::int64_t user_id) -> asio::awaitable<std::vector<std::int64_t>> {
          ++loads_;
          if (hold_loads_) {
            // The load "takes time": events published meanwhile must be held, then routed.
            for (const auto& batch : during_load_) bus_.publish(batch);
          }
          if (fail_loads_) throw std::runtime_error("database down");
          co_return memberships_[user_id];
        }) {}

  void attach(std::int64_t user_id, Listener& listener) {
    asio::co_spawn(io_, hub_.attach(user_id, &listener), asio::use_future);
    io_.run();
    io_.restart();
  }

  void publish(std::vector<events::Event> events) { bus_.publish(events); }

  asio::io_context io_;
  std::shared_ptr<spdlog::logger> logger_;
  events::EventBus bus_;
  std::map<std::int64_t, std::vector<std::int64_t>> memberships_;
  std::vector<std::vector<events::Event>> during_load_;
  bool hold_loads_ = false;
  bool fail_loads_ = false;
  int loads_ = 0;
  Hub hub_;
};

TEST_F(HubTest, RoutesByConversationMembershipAndAddressee) {
  memberships_ = {{1, {10}}, {2, {10, 20}}, {3, {}}};
  Recorder alice, bob, carol;
  attach(1, alice);
  attach(2, bob);
  attach(3, carol);
  publish({event(5, 10, std::nullopt, "message.created"), event(6, 20, std::nullopt, "message.created"),
           event(7, std::nullopt, 3, "read.updated")});
  EXPECT_EQ(alice.positions, (std::vector<std::int64_t>{5}));
  EXPECT_EQ(bob.positions, (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(carol.positions, (std::vector<std::int64_t>{7}));
  EXPECT_EQ(alice.frames[0], R"({"id":5,"type":"message.created","data":{}})");
}

TEST_F(HubTest, OneFrameIsSharedByEveryListenerOfTheEvent) {
  memberships_ = {{1, {10}}, {2, {10}}};
  struct Pointer final : Listener {
    const std::string* seen = nullptr;
    void deliver(std::int64_t, const Frame& frame) override { seen = frame.get(); }
    void deliver_ephemeral(const Frame&) override {}
    void lost() override {}
  } a, b, c;
  attach(1, a);
  attach(1, b);  // a second socket of the same user: memberships are not loaded twice
  attach(2, c);
  EXPECT_EQ(loads_, 2);
  publish({event(5, 10, std::nullopt, "message.created")});
  ASSERT_NE(a.seen, nullptr);
  EXPECT_EQ(a.seen, b.seen);
  EXPECT_EQ(a.seen, c.seen);
}

TEST_F(HubTest, MembershipFollowsTheEventsInOrder) {
  memberships_ = {{1, {}}};
  Recorder alice;
  attach(1, alice);
  publish({event(5, 10, std::nullopt, "message.created"),
           event(6, 10, std::nullopt, "member.added", R"({"conversation_id":10,"user_id":1})"),
           event(7, 10, std::nullopt, "message.created"),
           event(8, 30, std::nullopt, "conversation.created", R"({"id":30,"member_ids":[4,1]})"),
           event(9, 10, 1, "member.removed", R"({"conversation_id":10,"user_id":1})"),
           event(10, 10, std::nullopt, "message.created"), event(11, 30, std::nullopt, "message.created")});
  // Not a member at 5; added by 6 (and told); removed by 9 (and told, once); gone at 10.
  EXPECT_EQ(alice.positions, (std::vector<std::int64_t>{6, 7, 8, 9, 11}));
  EXPECT_TRUE(hub_.is_member(1, 30));
  EXPECT_FALSE(hub_.is_member(1, 10));
}

TEST_F(HubTest, EventsPublishedWhileMembershipsLoadAreHeldThenRouted) {
  memberships_ = {{1, {10}}};
  hold_loads_ = true;
  during_load_ = {{event(5, 10, std::nullopt, "message.created"), event(6, 20, std::nullopt, "message.created"),
                   event(7, 20, std::nullopt, "member.added", R"({"conversation_id":20,"user_id":1})"),
                   event(8, 20, std::nullopt, "message.created")}};
  Recorder alice;
  attach(1, alice);
  EXPECT_EQ(alice.positions, (std::vector<std::int64_t>{5, 7, 8}));
  EXPECT_TRUE(hub_.is_member(1, 20));
}

TEST_F(HubTest, AFailedLoadDetachesAndTellsTheOthers) {
  fail_loads_ = true;
  Recorder alice;
  auto result = asio::co_spawn(io_, hub_.attach(1, &alice), asio::use_future);
  io_.run();
  EXPECT_THROW(result.get(), std::runtime_error);
  EXPECT_EQ(hub_.stats().users, 0u);
  publish({event(5, std::nullopt, 1, "read.updated")});
  EXPECT_TRUE(alice.positions.empty());
}

TEST_F(HubTest, DetachStopsDeliveryAndForgetsTheUser) {
  memberships_ = {{1, {10}}};
  Recorder alice;
  attach(1, alice);
  hub_.detach(1, &alice);
  hub_.detach(1, &alice);  // idempotent
  publish({event(5, 10, std::nullopt, "message.created")});
  EXPECT_TRUE(alice.positions.empty());
  auto stats = hub_.stats();
  EXPECT_EQ(stats.users, 0u);
  EXPECT_EQ(stats.conversations, 0u);
}

TEST_F(HubTest, EphemeralFramesSkipTheSenderAndReachLocalMembers) {
  memberships_ = {{1, {10}}, {2, {10}}, {3, {20}}};
  Recorder alice, bob, carol;
  attach(1, alice);
  attach(2, bob);
  attach(3, carol);
  hub_.send_to_conversation(10, std::make_shared<const std::string>("typing"), 1);
  EXPECT_TRUE(alice.ephemeral.empty());
  EXPECT_EQ(bob.ephemeral, std::vector<std::string>{"typing"});
  EXPECT_TRUE(carol.ephemeral.empty());
  EXPECT_EQ(hub_.conversations_of(3), std::vector<std::int64_t>{20});
  EXPECT_FALSE(hub_.conversations_of(99)) << "no listener here";
  hub_.send_to_conversation(10, std::make_shared<const std::string>("presence"), 0);
  EXPECT_EQ(alice.ephemeral, std::vector<std::string>{"presence"});
}

}  // namespace
}  // namespace parley::realtime
