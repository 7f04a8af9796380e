#include "core/trace.hpp"
#include "core/trace_executor.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace parley::trace {
namespace {

namespace asio = boost::asio;

TEST(TraceparentTest, ParsesTheSpecExample) {
  auto context = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(context->span_id_hex(), "b7ad6b7169203331");
  EXPECT_TRUE(context->sampled);
  EXPECT_EQ(format_traceparent(*context), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto unsampled = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled);
}

TEST(TraceparentTest, RefusesWhatTheSpecRefuses) {
  for (const char* bad : {
           "",
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",         // no flags
           "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",      // uppercase
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",      // zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",      // zero span id
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",      // forbidden version
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  // 00 has no suffix
           "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
           "00-0af7651916cd43dd8448eb211c8031zz-b7ad6b7169203331-01",
       }) {
    EXPECT_FALSE(parse_traceparent(bad)) << bad;
  }
  // A later version is read as far as version 00 goes; what follows a '-' is ignored.
  EXPECT_TRUE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-comes"));
  EXPECT_FALSE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"));
}

TEST(TracestateTest, KeepsValidListsAndDropsInvalidOnes) {
  EXPECT_EQ(valid_tracestate("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(valid_tracestate("tenant@vendor=x,,"), "tenant@vendor=x");
  EXPECT_FALSE(valid_tracestate("Upper=1"));
  EXPECT_FALSE(valid_tracestate("novalue"));
  EXPECT_FALSE(valid_tracestate("a=b,c=d=e"));
  EXPECT_FALSE(valid_tracestate(std::string(600, 'a')));
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_FALSE(valid_tracestate(many)) << "at most 32 members";
}

TEST(TraceIdsTest, AreRandomAndNeverZero) {
  SpanContext a{random_trace_id(), random_span_id(), true};
  SpanContext b{random_trace_id(), random_span_id(), true};
  EXPECT_TRUE(a.valid());
  EXPECT_NE(a.trace_id_hex(), b.trace_id_hex());
  EXPECT_EQ(a.trace_id_hex().size(), 32u);
  EXPECT_TRUE(sample(1.0));
  EXPECT_FALSE(sample(0.0));
}

// Two coroutines interleaved on one thread each see their own slot after every suspension.
asio::awaitable<void> observe(std::shared_ptr<Slot> mine, int rounds, int& mismatches) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 0; i < rounds; ++i) {
    if (current() != &mine->span) ++mismatches;
    timer.expires_after(std::chrono::microseconds(50));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (current() != &mine->span) ++mismatches;
}

TEST(SlotExecutorTest, EachCoroutineSeesItsOwnSpanAcrossSuspensions) {
  asio::io_context io;
  auto first = std::make_shared<Slot>(Slot{SpanContext{random_trace_id(), random_span_id(), true}, "", true});
  auto second = std::make_shared<Slot>(Slot{SpanContext{random_trace_id(), random_span_id(), false}, "", true});
  int mismatches = 0;
  asio::co_spawn(SlotExecutor(io.get_executor(), first), observe(first, 20, mismatches), asio::detached);
  asio::co_spawn(SlotExecutor(io.get_executor(), second), observe(second, 20, mismatches), asio::detached);
  io.run();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(current(), nullptr) << "nothing stays current outside the handlers";
}

TEST(SlotExecutorTest, AnInactiveSlotIsNoSpan) {
  Slot idle;
  ScopedSlot scope(&idle);
  EXPECT_EQ(current_slot(), &idle);
  EXPECT_EQ(current(), nullptr);
}

}  // namespace
}  // namespace parley::trace
