#include "events/event_bus.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <future>
#include <thread>

namespace parley::events {
namespace {

spdlog::logger& quiet_logger() {
  static auto logger = std::make_shared<spdlog::logger>("events-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return *logger;
}

Event event(std::int64_t user, std::int64_t position) {
  return Event{position, std::nullopt, user, "message.created",
               std::make_shared<const std::string>(R"({"id":7,"body":"a\"b"})")};
}

TEST(Event, FrameIsTheApiShape) {
  auto frame = boost::json::parse(event(3, 12).frame());
  EXPECT_EQ(frame, boost::json::parse(R"({"id":12,"type":"message.created","data":{"id":7,"body":"a\"b"}})"));
}

TEST(EventBus, DeliversToEverySubscriberUntilUnsubscribed) {
  EventBus bus(quiet_logger());
  int first = 0, second = 0;
  auto a = bus.subscribe([&](std::span<const Event> events) { first += static_cast<int>(events.size()); });
  {
    auto b = bus.subscribe([&](std::span<const Event> events) { second += static_cast<int>(events.size()); });
    std::vector<Event> two{event(1, 1), event(2, 1)};
    bus.publish(two);
  }
  std::vector<Event> one{event(1, 2)};
  bus.publish(one);
  EXPECT_EQ(first, 3);
  EXPECT_EQ(second, 2);
  bus.publish({});  // nothing to deliver is not a delivery
  EXPECT_EQ(first, 3);
}

TEST(EventBus, AThrowingSubscriberDoesNotStopTheOthers) {
  EventBus bus(quiet_logger());
  int delivered = 0;
  auto bad = bus.subscribe([](std::span<const Event>) { throw std::runtime_error("boom"); });
  auto good = bus.subscribe([&](std::span<const Event>) { ++delivered; });
  std::vector<Event> one{event(1, 1)};
  bus.publish(one);
  EXPECT_EQ(delivered, 1);
}

TEST(EventBus, HandlersMayUnsubscribeThemselves) {
  EventBus bus(quiet_logger());
  int calls = 0;
  EventBus::Subscription self;
  self = bus.subscribe([&](std::span<const Event>) {
    ++calls;
    self.reset();
  });
  std::vector<Event> one{event(1, 1)};
  bus.publish(one);
  bus.publish(one);
  EXPECT_EQ(calls, 1);
}

TEST(EventBus, PublishesFromManyThreads) {
  EventBus bus(quiet_logger());
  std::atomic<int> seen{0};
  auto sub = bus.subscribe([&](std::span<const Event> events) { seen += static_cast<int>(events.size()); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&bus] {
      std::vector<Event> one{event(1, 1)};
      for (int i = 0; i < 1000; ++i) bus.publish(one);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.load(), 4000);
}

}  // namespace
}  // namespace parley::events

namespace parley::events {
namespace {

TEST(EventBus, UnsubscribingWaitsForADeliveryInProgress) {
  auto logger = std::make_shared<spdlog::logger>("bus-wait", std::make_shared<spdlog::sinks::null_sink_mt>());
  EventBus bus(*logger);
  std::promise<void> entered;
  std::promise<void> release;
  std::atomic<bool> finished{false};
  auto subscription = std::make_unique<EventBus::Subscription>(bus.subscribe([&](std::span<const Event>) {
    entered.set_value();
    release.get_future().wait();
    finished = true;
  }));
  std::vector<Event> events{Event{1, 10, std::nullopt, "message.created", nullptr}};
  std::thread publisher([&] { bus.publish(events); });
  entered.get_future().wait();  // the handler runs on the publisher's thread
  std::atomic<bool> finished_when_unsubscribed{false};
  std::thread unsubscriber([&] {
    subscription.reset();
    finished_when_unsubscribed = finished.load();
  });
  release.set_value();
  unsubscriber.join();
  EXPECT_TRUE(finished_when_unsubscribed.load()) << "unsubscribe returned while the handler still ran";
  publisher.join();
}

}  // namespace
}  // namespace parley::events
