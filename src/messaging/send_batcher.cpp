#include "messaging/send_batcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <tuple>
#include <utility>

#include "core/error.hpp"
#include "core/one_shot.hpp"
#include "core/trace_executor.hpp"
#include "db/errors.hpp"
#include "db/repositories/member_repository.hpp"
#include "db/repositories/mention_repository.hpp"
#include "events/pending_events.hpp"
#include "messaging/cache_keys.hpp"
#include "messaging/views.hpp"

namespace parley::messaging {
namespace {

using boost::asio::awaitable;

// A batch's statements take arrays whose lengths vary from batch to batch, so PostgreSQL would plan
// some of them again for every batch (a custom plan: ~200 µs for the read markers' UPDATE) where
// the generic plan, an index probe per element, is the right one for any length. Held back with
// the first round trip; ends with the transaction.
constexpr db::Query kGenericPlans{"batch.generic_plans", "SET LOCAL plan_cache_mode = force_generic_plan"};

// Whether a failed batch certainly wrote nothing, so that each of its sends may be sent alone.
// Before its COMMIT went out nothing of it can have committed; a COMMIT that PostgreSQL refused
// (a held-back write broke a constraint, a deadlock) rolled everything back. A connection lost at
// COMMIT, or a failure of unknown cause, may have committed.
bool certainly_rolled_back(bool commit_sent, const std::exception_ptr& error) {
  if (!commit_sent) return true;
  try {
    std::rethrow_exception(error);
  } catch (const AppError& e) {
    return (e.status() >= 400 && e.status() < 500) || e.code() == db::kSerializationFailureCode;
  } catch (...) {
    return false;
  }
}

// One marker per (conversation, user), the highest message: the statement updates each row once.
std::vector<db::repositories::ReadMarker> highest_per_member(std::vector<db::repositories::ReadMarker> markers) {
  auto key = [](const db::repositories::ReadMarker& m) { return std::tie(m.conversation_id, m.user_id); };
  std::sort(markers.begin(), markers.end(), [&](const auto& a, const auto& b) {
    return key(a) < key(b) || (key(a) == key(b) && a.message_id > b.message_id);
  });
  markers.erase(std::unique(markers.begin(), markers.end(), [&](const auto& a, const auto& b) { return key(a) == key(b); }),
                markers.end());
  return markers;
}

// `executor` without the trace slot a request's executor makes current for every handler
// (trace::SlotExecutor over its io_context, http/session.cpp): the batches are no request's, and
// run() chooses the trace of each.
boost::asio::any_io_executor untraced(const boost::asio::any_io_executor& executor) {
  using Traced = trace::SlotExecutor<boost::asio::io_context::executor_type>;
  if (const auto* traced = executor.target<Traced>()) return traced->inner();
  return executor;
}

}  // namespace

struct SendBatcher::Waiter {
  explicit Waiter(const boost::asio::any_io_executor& executor)
      : done(executor, std::chrono::steady_clock::time_point::max()) {}
  core::OneShot done;
  std::optional<std::string> json;  // set before `done` completes; nullopt: send alone
};

SendBatcher::SendBatcher(MessagingContext& ctx) : ctx_(ctx) {}
SendBatcher::~SendBatcher() = default;

awaitable<std::optional<std::string>> SendBatcher::write(BatchedSend send) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Queued{std::move(send), waiter, executor});
    start = !running_;
    running_ = true;
  }
  if (start) boost::asio::co_spawn(untraced(executor), run(), boost::asio::detached);
  co_await waiter->done.wait();  // rethrows the batch's error when its outcome is unknown
  co_return std::move(waiter->json);
}

std::vector<SendBatcher::Queued> SendBatcher::take(bool may_stop) {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) {
    if (may_stop) running_ = false;
    return {};
  }
  const std::size_t n = std::min(queue_.size(), kMaxBatch);
  std::vector<Queued> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
  queue_.erase(queue_.begin(), queue_.begin() + n);
  return batch;
}

awaitable<void> SendBatcher::run() {
  // co_spawn may run this at once, inside the first send's write(): yield first, so that sends
  // queued in the same turn of the event loop join the first batch.
  const auto executor = co_await boost::asio::this_coro::executor;
  co_await boost::asio::post(executor, boost::asio::use_awaitable);
  constexpr auto kNoDeadline = std::chrono::steady_clock::time_point::max();
  std::deque<std::shared_ptr<core::OneShot>> committing;  // the batches whose COMMIT went out, oldest first
  for (;;) {
    std::vector<Queued> batch = take(/*may_stop=*/committing.empty());
    if (batch.empty()) {
      if (committing.empty()) co_return;
      co_await committing.front()->wait();  // sends may arrive meanwhile: look again before stopping
      committing.pop_front();
      continue;
    }
    // Inside the first traced send's span, through an executor of its own (see the header).
    auto slot = std::make_shared<trace::Slot>();
    auto traced = std::find_if(batch.begin(), batch.end(), [](const Queued& q) { return q.send.span.has_value(); });
    if (traced != batch.end()) {
      slot->span = *traced->send.span;
      slot->active = true;
    }
    auto sent = std::make_shared<core::OneShot>(executor, kNoDeadline);
    auto done = std::make_shared<core::OneShot>(executor, kNoDeadline);
    boost::asio::co_spawn(trace::SlotExecutor(executor, std::move(slot)), write_batch(std::move(batch), sent),
                          [done](const std::exception_ptr&) { done->complete(); });
    co_await sent->wait();  // the next batch's INSERT comes after this batch's COMMIT went out
    committing.push_back(std::move(done));
    while (committing.size() >= kMaxBatches) {  // the next batch would be one too many
      co_await committing.front()->wait();
      committing.pop_front();
    }
  }
}

awaitable<void> SendBatcher::write_batch(std::vector<Queued> batch, std::shared_ptr<core::OneShot> sent) {
  const std::size_t n = batch.size();
  // By position in the batch; sized once (the events point into `answers`).
  std::vector<std::optional<std::string>> answers(n);
  std::exception_ptr error;
  bool commit_sent = false;
  try {
    events::PendingEvents events(ctx_.events);
    auto tx = co_await ctx_.db.begin();
    co_await tx->execute_later(kGenericPlans, {});
    // Every send checked and inserted, and every sender read, in one round trip that carries the
    // BEGIN. A send the insert skipped (refused by its check, or a known client_msg_id) is handed
    // back: sent alone, it gets its own error or the original.
    std::vector<db::repositories::NewMessage> rows;
    std::vector<std::int64_t> sender_ids;
    rows.reserve(n);
    sender_ids.reserve(n);
    for (auto& q : batch) {
      sender_ids.push_back(q.send.message.sender_id);
      rows.push_back(std::move(q.send.message));
    }
    auto first = db::read_all(*tx, ctx_.messages.insert_many(rows), ctx_.users.read_many(sender_ids));
    auto [stored, senders] = co_await std::move(first);
    auto sender_of = [&senders](std::int64_t id) -> const db::repositories::User* {
      auto it = std::lower_bound(senders.begin(), senders.end(), id,
                                 [](const auto& u, std::int64_t v) { return u.id < v; });
      return it != senders.end() && it->id == id ? &*it : nullptr;
    };

    std::vector<db::repositories::MentionRow> mentions;
    std::vector<db::repositories::ReadMarker> markers;
    std::vector<db::repositories::NewEvent> created;
    markers.reserve(stored.size());
    created.reserve(stored.size());
    for (auto& [i, message] : stored) {
      const db::repositories::User* sender = sender_of(message.sender_id);
      // Read after the insert, whose foreign key check holds the sender's row until the COMMIT.
      if (sender == nullptr) throw AppError::internal("send batch: an inserted message's sender was not read");
      BatchedSend& send = batch.at(i).send;  // `i` is the slot the statement echoes
      MessageView view;
      view.message = std::move(message);
      view.sender = *sender;
      view.mentions = std::move(send.mentions);
      for (auto user_id : view.mentions) mentions.push_back({view.message.id, user_id});
      markers.push_back({view.message.conversation_id, view.message.sender_id, view.message.id});
      answers.at(i) = message_json_text(view);
      created.push_back({.audience = {.conversation_id = view.message.conversation_id, .user_id = std::nullopt},
                         .type = "message.created",
                         .payload_json = *answers[i],
                         .traceparent = send.span ? std::optional<std::string>(trace::format_traceparent(*send.span))
                                                  : std::nullopt});
    }
    // Held back: they go out with the COMMIT, in one round trip.
    co_await ctx_.mentions.add_many(*tx, mentions);
    const auto highest = highest_per_member(std::move(markers));
    co_await ctx_.members.advance_read_markers(*tx, highest);
    co_await events.record_all(*tx, created);
    commit_sent = true;
    auto commit = tx->commit();
    // The next batch may start now: its own last statements come a round trip later, after this
    // COMMIT is on its way.
    sent->complete();
    co_await std::move(commit);
    co_await publish_committed(ctx_, events);
  } catch (...) {
    error = std::current_exception();
  }
  sent->complete();  // failed before its COMMIT (or already completed)
  if (error && certainly_rolled_back(commit_sent, error)) {
    for (auto& answer : answers) answer.reset();  // each is sent alone, checked again
    error = nullptr;
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto waiter = batch[i].waiter;
    waiter->json = std::move(answers[i]);
    // Completed on the requester's thread: a OneShot belongs to one.
    boost::asio::post(batch[i].executor, [waiter, error] { waiter->done.complete(error); });
  }
}

}  // namespace parley::messaging
