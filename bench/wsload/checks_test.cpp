#include "checks.hpp"

#include <gtest/gtest.h>

namespace wsload {
namespace {

TEST(StreamChecker, IncreasingIdsAreInOrder) {
  StreamChecker c;
  c.on_event(3);
  c.on_event(4);
  c.on_event(10);  // gaps in event ids are allowed: other users' events are not numbered for us
  EXPECT_EQ(c.out_of_order(), 0u);
}

TEST(StreamChecker, RepeatedOrLowerIdIsOutOfOrder) {
  StreamChecker c;
  c.on_event(5);
  c.on_event(5);
  c.on_event(4);
  c.on_event(6);
  EXPECT_EQ(c.out_of_order(), 2u);
}

TEST(StreamChecker, OneStrayHighIdCountsOnceAgainstLaterHigherIds) {
  StreamChecker c;
  c.on_event(1);
  c.on_event(100);
  c.on_event(2);    // below 100: out of order
  c.on_event(101);  // above the highest: fine
  EXPECT_EQ(c.out_of_order(), 1u);
}

TEST(StreamChecker, SecondDeliveryOfAMessageIsADuplicate) {
  StreamChecker c;
  c.on_message(7, 100);
  c.on_message(8, 110);
  c.on_message(7, 120);
  EXPECT_EQ(c.duplicates(), 1u);
  ASSERT_EQ(c.deliveries().size(), 2u);
  EXPECT_EQ(c.deliveries()[0].message_id, 7);
  EXPECT_EQ(c.deliveries()[0].received_ns, 100);
}

std::vector<SentMessage> sent_messages() {
  // ids sorted; conversation 0 for 10 and 12, conversation 1 for 11
  return {{10, 0, 1000, 1500}, {11, 1, 2000, 2500}, {12, 0, 3000, 3500}};
}

TEST(TallySocket, EveryExpectedDeliveryReceived) {
  Tally t;
  tally_socket(sent_messages(), {true, true}, {{12, 3400}, {10, 1600}, {11, 2600}}, t);
  EXPECT_EQ(t.expected, 3u);
  EXPECT_EQ(t.received, 3u);
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.unexpected, 0u);
  ASSERT_EQ(t.after_answer_ns.size(), 3u);
  EXPECT_EQ(t.after_answer_ns[0], 100);   // 1600 - 1500
  EXPECT_EQ(t.after_answer_ns[2], -100);  // 3400 - 3500: the event beat the HTTP answer
  EXPECT_EQ(t.after_start_ns[2], 400);
  EXPECT_EQ(t.last_received_ns, 3400);
}

TEST(TallySocket, MissingDeliveryIsLostOnlyForMembers) {
  Tally t;
  tally_socket(sent_messages(), {true, false}, {{10, 1600}}, t);
  EXPECT_EQ(t.expected, 2u);  // 10 and 12; 11 is in a conversation this user is not in
  EXPECT_EQ(t.received, 1u);
  EXPECT_EQ(t.lost, 1u);
}

TEST(TallySocket, MessagesNotSentByTheRunAreUnexpected) {
  Tally t;
  tally_socket(sent_messages(), {true, true}, {{9, 1}, {10, 1600}, {11, 2600}, {12, 3600}, {13, 5000}}, t);
  EXPECT_EQ(t.received, 3u);
  EXPECT_EQ(t.unexpected, 2u);
  EXPECT_EQ(t.lost, 0u);
}

TEST(TallySocket, DeliveryToANonMemberIsUnexpectedNotReceived) {
  Tally t;
  tally_socket(sent_messages(), {true, false}, {{10, 1600}, {11, 2600}, {12, 3600}}, t);
  EXPECT_EQ(t.expected, 2u);
  EXPECT_EQ(t.received, 2u);
  EXPECT_EQ(t.unexpected, 1u);
}

TEST(TallySocket, AccumulatesOverSockets) {
  Tally t;
  tally_socket(sent_messages(), {true, true}, {{10, 1600}}, t);
  tally_socket(sent_messages(), {true, true}, {{10, 1700}, {11, 2600}, {12, 3600}}, t);
  EXPECT_EQ(t.expected, 6u);
  EXPECT_EQ(t.received, 4u);
  EXPECT_EQ(t.lost, 2u);
}

TEST(Percentiles, NearestRank) {
  std::vector<std::int64_t> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // 1..100, unsorted
  auto s = summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.p50, 50);
  EXPECT_EQ(s.p90, 90);
  EXPECT_EQ(s.p99, 99);
  EXPECT_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

TEST(Percentiles, SmallSamples) {
  std::vector<std::int64_t> one{7};
  auto s = summarize(one);
  EXPECT_EQ(s.p50, 7);
  EXPECT_EQ(s.p99, 7);
  std::vector<std::int64_t> three{30, -10, 20};
  s = summarize(three);
  EXPECT_EQ(s.min, -10);
  EXPECT_EQ(s.p50, 20);  // rank ceil(1.5) = 2
  EXPECT_EQ(s.p99, 30);
  std::vector<std::int64_t> none;
  s = summarize(none);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.max, 0);
}

}  // namespace
}  // namespace wsload
