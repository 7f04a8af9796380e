#include "core/thread_shards.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace parley::core {
namespace {

struct Tally {
  int value = 0;
};

TEST(ThreadShards, EachThreadHasItsOwnShardAndForEachSeesThemAll) {
  ThreadShards<Tally> shards;
  Tally& mine = shards.local();
  EXPECT_EQ(&shards.local(), &mine);  // cached
  mine.value = 1;
  Tally* theirs = nullptr;
  std::thread([&] {
    theirs = &shards.local();
    theirs->value = 10;
  }).join();
  EXPECT_NE(theirs, &mine);
  int total = 0, count = 0;
  shards.for_each([&](Tally& t) {
    total += t.value;
    ++count;
  });
  EXPECT_EQ(count, 2);
  EXPECT_EQ(total, 11);
}

TEST(ThreadShards, ObjectsOfOneTypeDoNotShareAThreadsShard) {
  auto first = std::make_unique<ThreadShards<Tally>>();
  first->local().value = 5;
  ThreadShards<Tally> second;
  EXPECT_EQ(second.local().value, 0);
  first.reset();
  // A new object, maybe at the old one's address, starts empty too.
  auto third = std::make_unique<ThreadShards<Tally>>();
  EXPECT_EQ(third->local().value, 0);
}

}  // namespace
}  // namespace parley::core
