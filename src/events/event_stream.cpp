#include "events/event_stream.hpp"

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace parley::events {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

// Everything the loop and flush() share. Touched only on `strand`: the loop and every flush run
// as coroutines spawned on it, committed() and stop() post to it. Owned by the EventStream alone:
// coroutine frames and posted handlers hold a plain pointer, so when the io_context destroys a
// frame it never ran to its end (at shutdown) no I/O object dies inside the context's teardown.
// The owner must outlive every run of the context (App destroys it after its threads joined).
struct EventStream::State {
  explicit State(asio::any_io_executor executor)
      : strand(asio::make_strand(std::move(executor))),
        wake(strand, Clock::time_point::max()),
        ended(strand, Clock::time_point::max()) {}

  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer wake;   // the loop sleeps on it; cancelled to wake it
  asio::steady_timer ended;  // cancelled when the loop has returned
  bool wanted = false;       // a pass was asked for since the last one started
  // committed(true) calls so far, and how many of them a finished pass announced: a pass that
  // fails announces nothing, so the next one still does.
  std::uint64_t numbered_commits = 0;
  std::uint64_t announced_commits = 0;
  bool stopped = false;
  bool started = false;
  bool running = false;         // the loop has not returned yet
  std::uint64_t requested = 0;  // flush() calls so far
  std::uint64_t completed = 0;  // flush() calls a finished pass has served
  std::list<asio::steady_timer*> waiters;
  std::int64_t published = 0;  // the last position handed to the bus
  Clock::time_point next_purge = Clock::now();
  Clock::time_point last_pass;

  void wake_waiters() {
    for (auto* w : waiters) w->cancel();
  }
};

EventStream::EventStream(db::Database& db, EventBus& bus, asio::any_io_executor executor, spdlog::logger& logger,
                         EventStreamOptions options)
    : db_(db),
      bus_(bus),
      logger_(logger),
      options_(options),
      log_(db.dialect()),
      state_(std::make_unique<State>(std::move(executor))) {}

EventStream::~EventStream() = default;

void EventStream::start() {
  asio::post(state_->strand, [this, state = state_.get()] {
    if (state->started || state->stopped) return;
    state->started = true;
    state->running = true;
    asio::co_spawn(state->strand, run(state), asio::detached);
  });
}

awaitable<void> EventStream::stop() {
  State* state = state_.get();
  co_await asio::co_spawn(
      state->strand,
      [state]() -> awaitable<void> {
        state->stopped = true;
        state->wake.cancel();
        state->wake_waiters();
        while (state->running) co_await state->ended.async_wait(asio::as_tuple(asio::use_awaitable));
      },
      asio::use_awaitable);
}

void EventStream::committed(bool numbered) {
  asio::post(state_->strand, [state = state_.get(), numbered] {
    state->wanted = true;
    if (numbered) ++state->numbered_commits;
    state->wake.cancel();
  });
}

awaitable<void> EventStream::flush() {
  State* state = state_.get();
  co_await asio::co_spawn(
      state->strand,
      [state]() -> awaitable<void> {
        if (state->stopped || !state->started) co_return;
        const std::uint64_t target = ++state->requested;
        state->wanted = true;
        state->wake.cancel();
        asio::steady_timer waiter(state->strand, Clock::time_point::max());
        auto it = state->waiters.insert(state->waiters.end(), &waiter);
        while (state->completed < target && !state->stopped) {
          co_await waiter.async_wait(asio::as_tuple(asio::use_awaitable));
          waiter.expires_at(Clock::time_point::max());
        }
        state->waiters.erase(it);
      },
      asio::use_awaitable);
}

awaitable<void> EventStream::run(State* state) {
  // Every wait is on `wake`, so stop() cuts it short.
  auto sleep = [state](Clock::duration d) {
    state->wake.expires_after(d);
    return state->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  };
  // Publishing starts at the head: a process publishes what is committed while it runs.
  while (!state->stopped) {
    try {
      state->published = co_await log_.head(db_);
      break;
    } catch (const std::exception& e) {
      logger_.warn("event stream: cannot read the log's head ({}); retrying", e.what());
    }
    co_await sleep(std::chrono::seconds(1));
  }
  while (!state->stopped) {
    if (!state->wanted) {
      co_await sleep(options_.sweep_interval);
      if (state->stopped) break;
    }
    // (committed() cancels `wake`, hence the loop)
    while (!state->stopped && Clock::now() - state->last_pass < options_.min_pass_interval) {
      co_await sleep(options_.min_pass_interval - (Clock::now() - state->last_pass));
    }
    if (state->stopped) break;
    state->last_pass = Clock::now();
    state->wanted = false;
    const std::uint64_t serving = state->requested;
    bool failed = false;
    try {
      co_await pass(*state);
      state->completed = std::max(state->completed, serving);
      state->wake_waiters();
    } catch (const std::exception& e) {
      logger_.warn("event stream: numbering or publishing failed ({}); retrying", e.what());
      failed = true;
    }
    if (failed) {
      state->wanted = true;
      co_await sleep(std::chrono::milliseconds(200));
    }
  }
  state->wake_waiters();
  state->running = false;
  state->ended.cancel();
}

awaitable<void> EventStream::pass(State& state) {
  // Committed before this pass started, so the tail below publishes them.
  const std::uint64_t numbered_commits = state.numbered_commits;
  if (db_.dialect() == db::Dialect::postgres) {
    std::int64_t last_numbered = 0;
    for (;;) {
      auto numbered = co_await log_.sequence_pending(db_, options_.batch);
      if (!numbered.empty()) last_numbered = numbered.back().position;
      if (static_cast<int>(numbered.size()) < options_.batch) break;
    }
    if (last_numbered > 0 && on_numbered_) on_numbered_(last_numbered);
  }
  for (;;) {
    auto rows = co_await log_.tail(db_, state.published, options_.batch);
    if (rows.empty()) break;
    std::vector<Event> events;
    events.reserve(rows.size());
    for (auto& r : rows) {
      events.push_back(Event{r.position, r.audience.conversation_id, r.audience.user_id, std::move(r.type),
                             std::make_shared<const std::string>(std::move(r.payload)), r.created_us});
    }
    state.published = events.back().position;
    bus_.publish(events);
    if (static_cast<int>(rows.size()) < options_.batch) break;
  }
  if (numbered_commits > state.announced_commits) {
    state.announced_commits = numbered_commits;
    if (on_numbered_) on_numbered_(state.published);
  }
  if (Clock::now() >= state.next_purge) {
    state.next_purge = Clock::now() + options_.purge_interval;
    const auto purged = co_await log_.purge_older_than(db_, options_.retention, 10000);
    if (purged > 0) logger_.info("event stream: purged {} events older than {} s", purged, options_.retention.count());
  }
}

awaitable<StreamPage> EventStream::resume(std::int64_t user_id, std::int64_t after, int limit) {
  if (options_.max_replay > 0 && co_await log_.backlog_exceeds(db_, user_id, after, options_.max_replay)) {
    StreamPage page;
    page.resync_required = true;
    page.last_event_id = co_await log_.head(db_);
    co_return page;
  }
  co_return co_await this->after(user_id, after, limit);
}

void EventStream::on_numbered(std::function<void(std::int64_t)> callback) { on_numbered_ = std::move(callback); }

awaitable<std::int64_t> EventStream::head() { co_return co_await log_.head(db_); }

awaitable<StreamPage> EventStream::after(std::int64_t user_id, std::int64_t after, int limit) {
  StreamPage page;
  // The head is read first: every event numbered up to it is visible to the query that follows.
  const std::int64_t head = co_await log_.head(db_);
  const std::int64_t oldest = co_await log_.oldest(db_);
  // Below the oldest retained event (lost to retention), or above the head (never handed out here:
  // another deployment's id, a restored database): the client must refetch.
  if (after < oldest - 1 || after > head) {
    page.resync_required = true;
    page.last_event_id = head;
    co_return page;
  }
  const int capped = std::clamp(limit, 1, 1000);
  page.events = co_await log_.after(db_, user_id, after, capped);
  const bool full = static_cast<int>(page.events.size()) >= capped;
  const std::int64_t last_seen = page.events.empty() ? after : page.events.back().position;
  page.last_event_id = full ? last_seen : std::max(head, last_seen);
  co_return page;
}

}  // namespace parley::events
