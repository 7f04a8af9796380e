#include "amqp/consumer_state.hpp"

namespace parley::amqp::detail {

void ConsumerState::next(Waiter waiter) {
  std::unique_lock lock(mutex_);
  if (!buffered_.empty()) {
    Delivery delivery = std::move(buffered_.front());
    buffered_.pop_front();
    lock.unlock();
    waiter->succeed(std::move(delivery));
    return;
  }
  if (ended_) {
    const std::exception_ptr error = error_;
    lock.unlock();
    if (error) {
      waiter->fail(error);
    } else {
      waiter->succeed(std::nullopt);
    }
    return;
  }
  waiters_.push_back(std::move(waiter));
}

void ConsumerState::push(Delivery delivery) {
  std::unique_lock lock(mutex_);
  if (ended_) return;
  if (waiters_.empty()) {
    buffered_.push_back(std::move(delivery));
    return;
  }
  Waiter waiter = std::move(waiters_.front());
  waiters_.pop_front();
  lock.unlock();
  waiter->succeed(std::move(delivery));
}

void ConsumerState::end(std::exception_ptr error) {
  std::deque<Waiter> waiters;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    error_ = error;
    buffered_.clear();
    waiters.swap(waiters_);
  }
  for (auto& waiter : waiters) {
    if (error) {
      waiter->fail(error);
    } else {
      waiter->succeed(std::nullopt);
    }
  }
}

bool ConsumerState::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

std::exception_ptr ConsumerState::end_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void ConsumerState::set_tag(std::string tag) {
  std::lock_guard lock(mutex_);
  tag_ = std::move(tag);
}

std::string ConsumerState::tag() const {
  std::lock_guard lock(mutex_);
  return tag_;
}

}  // namespace parley::amqp::detail
