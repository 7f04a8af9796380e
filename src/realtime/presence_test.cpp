#include "realtime/presence.hpp"

#include <gtest/gtest.h>

namespace parley::realtime {
namespace {

using namespace std::chrono_literals;
using Clock = PresenceTracker::Clock;

TEST(PresenceTrackerTest, ASocketMakesItsUserActiveAndClosingItOffline) {
  PresenceTracker presence(60s);
  const auto t0 = Clock::now();
  int socket = 0;
  presence.socket_opened(7, &socket, t0);
  auto opened = presence.sweep(t0);
  ASSERT_EQ(opened.statuses.size(), 1u);
  EXPECT_EQ(opened.statuses[0], UserStatus(7, PresenceStatus::active));
  EXPECT_EQ(opened.local, opened.statuses);
  EXPECT_TRUE(presence.sweep(t0 + 1s).statuses.empty()) << "nothing changed";
  presence.socket_closed(7, &socket);
  auto closed = presence.sweep(t0 + 2s);
  ASSERT_EQ(closed.statuses.size(), 1u);
  EXPECT_EQ(closed.statuses[0], UserStatus(7, PresenceStatus::offline));
}

TEST(PresenceTrackerTest, TheBestSocketWinsAndChangesAreCoalesced) {
  PresenceTracker presence(60s);
  const auto t0 = Clock::now();
  int phone = 0, laptop = 0;
  presence.socket_opened(7, &phone, t0);
  presence.socket_opened(7, &laptop, t0);
  presence.heartbeat(7, &phone, PresenceStatus::idle, t0);
  (void)presence.sweep(t0);
  EXPECT_EQ(presence.status(7, t0), PresenceStatus::active);
  presence.heartbeat(7, &laptop, PresenceStatus::idle, t0 + 1s);
  presence.heartbeat(7, &laptop, PresenceStatus::active, t0 + 2s);
  EXPECT_TRUE(presence.sweep(t0 + 3s).statuses.empty()) << "idle and back between sweeps: nothing to tell";
  presence.heartbeat(7, &laptop, PresenceStatus::idle, t0 + 4s);
  auto idle = presence.sweep(t0 + 5s);
  ASSERT_EQ(idle.statuses.size(), 1u);
  EXPECT_EQ(idle.statuses[0], UserStatus(7, PresenceStatus::idle));
}

TEST(PresenceTrackerTest, ASilentSocketExpiresAfterTheTtlAndAHeartbeatRevivesIt) {
  PresenceTracker presence(10s);
  const auto t0 = Clock::now();
  int socket = 0;
  presence.socket_opened(7, &socket, t0);
  (void)presence.sweep(t0);
  presence.heartbeat(7, &socket, std::nullopt, t0 + 8s);
  EXPECT_TRUE(presence.sweep(t0 + 15s).statuses.empty()) << "heard from 7 s ago";
  auto expired = presence.sweep(t0 + 19s);
  ASSERT_EQ(expired.statuses.size(), 1u);
  EXPECT_EQ(expired.statuses[0], UserStatus(7, PresenceStatus::offline));
  presence.heartbeat(7, &socket, std::nullopt, t0 + 20s);
  auto back = presence.sweep(t0 + 20s);
  ASSERT_EQ(back.statuses.size(), 1u);
  EXPECT_EQ(back.statuses[0], UserStatus(7, PresenceStatus::active));
}

TEST(PresenceTrackerTest, OtherInstancesCountUntilTheirAnnouncementExpires) {
  PresenceTracker presence(10s);
  const auto t0 = Clock::now();
  presence.announced(2, 9, PresenceStatus::idle, t0);
  auto seen = presence.sweep(t0);
  ASSERT_EQ(seen.statuses.size(), 1u);
  EXPECT_EQ(seen.statuses[0], UserStatus(9, PresenceStatus::idle));
  EXPECT_TRUE(seen.local.empty()) << "not this instance's user";
  EXPECT_TRUE(presence.local_statuses(t0).empty());
  presence.announced(2, 9, PresenceStatus::idle, t0 + 8s);  // renewed
  EXPECT_TRUE(presence.sweep(t0 + 15s).statuses.empty());
  auto gone = presence.sweep(t0 + 18s);  // the instance stopped announcing (it died)
  ASSERT_EQ(gone.statuses.size(), 1u);
  EXPECT_EQ(gone.statuses[0], UserStatus(9, PresenceStatus::offline));
}

TEST(PresenceTrackerTest, LocalAndRemoteCombineAndWithdrawalsApplyAtOnce) {
  PresenceTracker presence(10s);
  const auto t0 = Clock::now();
  int socket = 0;
  presence.socket_opened(9, &socket, t0);
  presence.heartbeat(9, &socket, PresenceStatus::idle, t0);
  presence.announced(2, 9, PresenceStatus::active, t0);
  auto both = presence.sweep(t0);
  ASSERT_EQ(both.statuses.size(), 1u);
  EXPECT_EQ(both.statuses[0], UserStatus(9, PresenceStatus::active));
  ASSERT_EQ(both.local.size(), 1u);
  EXPECT_EQ(both.local[0], UserStatus(9, PresenceStatus::idle));
  EXPECT_EQ(presence.local_statuses(t0), std::vector<UserStatus>{UserStatus(9, PresenceStatus::idle)});
  presence.announced(2, 9, PresenceStatus::offline, t0 + 1s);
  auto withdrawn = presence.sweep(t0 + 1s);
  ASSERT_EQ(withdrawn.statuses.size(), 1u);
  EXPECT_EQ(withdrawn.statuses[0], UserStatus(9, PresenceStatus::idle));
  EXPECT_TRUE(withdrawn.local.empty());
}

}  // namespace
}  // namespace parley::realtime
