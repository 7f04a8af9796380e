#include "http/io_pool.hpp"

namespace parley::http {

IoPool::IoPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by one thread, so Asio can skip its internal locking.
    contexts_.push_back(std::make_unique<Context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() {
  stop();
  join();
  // Destroying a context destroys the handlers it abandoned (suspended coroutines, pending waits),
  // and those can hold executors or I/O objects of the other contexts: a request's coroutine runs
  // on one context and awaits a database connection on another. So every context drops its
  // handlers while all of them are still alive; a second round drops what the first one's
  // destructors posted to contexts already shut down. Only then are the contexts destroyed.
  for (int round = 0; round < 2; ++round) {
    for (auto& context : contexts_) context->shut_down_services();
  }
}

boost::asio::io_context& IoPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoPool::start() {
  for (auto& context : contexts_) {
    threads_.emplace_back([ctx = context.get()] { ctx->run(); });
  }
}

void IoPool::stop() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
}

void IoPool::join() {
  for (auto& thread : threads_) {
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }
}

}  // namespace parley::http
