#include "graphql/loader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

namespace parley::graphql {

boost::asio::awaitable<void> Batcher::Waiter::wait() {
  if (woken_) co_return;
  parked_ = true;
  batcher_.leave();  // parked: may let the batcher flush
  co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
      [this](auto handler) {
        if (woken_) {
          boost::asio::post(batcher_.executor_, [h = std::move(handler)]() mutable { std::move(h)(); });
        } else {
          handler_.emplace(std::move(handler));
        }
      },
      boost::asio::use_awaitable);
}

void Batcher::Waiter::wake() {
  if (woken_) return;
  woken_ = true;
  if (!parked_) return;
  batcher_.enter();  // running again from now on, so no flush starts before it resumes
  if (handler_) {
    auto handler = std::move(*handler_);
    handler_.reset();
    // Resumed through the strand, never inline: the waker's stack must unwind first.
    boost::asio::post(batcher_.executor_, [h = std::move(handler)]() mutable { std::move(h)(); });
  }
}

void Batcher::maybe_flush() {
  if (running_ > 0 || flushing_ || flushes_.empty()) return;
  flushing_ = true;
  ++running_;  // the flush itself is a running task
  boost::asio::co_spawn(executor_, flush_all(), boost::asio::detached);
}

boost::asio::awaitable<void> Batcher::flush_all() {
  ++rounds_;
  // One snapshot per round: keys queued meanwhile (by tasks this round woke) wait for the next
  // moment every task is parked again, so they batch with their siblings.
  auto batch = std::move(flushes_);
  flushes_.clear();
  for (auto& flush : batch) {
    auto task = flush();
    co_await std::move(task);
  }
  flushing_ = false;
  leave();
}

}  // namespace parley::graphql
