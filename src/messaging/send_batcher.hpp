#pragma once
// Group commit of sends on PostgreSQL. Concurrent sends, validated and rendered by their own
// requests, are checked and written together: one transaction in two round trips for up to
// kMaxBatch sends. The first carries the BEGIN, one statement that checks every send (the sender
// is an unbanned member of the conversation, which is not archived) and inserts those that pass,
// and the senders' read; the second one multi-row statement per other table written (mentions,
// read markers, events) and the COMMIT. PostgreSQL's cost per statement, per round trip and per
// commit is shared instead of paid by each send. A send the check refuses is handed back (see
// below) and, sent alone, fails with the error it would have got anyway (404, 409 archived,
// 401); the others go on.
//
// No timer: a send that finds no batch being written starts one on the next turn of the event loop
// with whatever is queued by then (an idle server writes each send alone, as fast as before); sends
// arriving meanwhile go together in the next batch.
//
// Two batches overlap: the next batch's first round trip (BEGIN, the checked INSERT) runs while
// the previous one's COMMIT (with its held-back writes) is in flight, so the pipeline does not
// idle through each commit's round trip and WAL flush. Never more than two: a third waits for the oldest to
// finish. Their order is kept where it matters: a batch's INSERT starts only after the previous
// batch's COMMIT went out, so message ids follow batch order, and a batch's event INSERT waits in
// PostgreSQL for the previous batch's lock on event_sequence, so batches commit in that order too.
// Neither waits for the other in a cycle: the earlier batch never needs a lock the later one holds
// (the later one holds only its own new rows and key-share locks before its last round trip).
//
// A send the check refused, a send whose client_msg_id is already known, or any send of a batch
// that failed before its COMMIT could have taken effect, is handed back (nullopt): the caller
// sends it alone, which answers the retry with the original or reports that send's own error. When a COMMIT's outcome
// is unknown (the connection was lost), every send of the batch fails with that error, as a send
// alone would: none of them is written twice.
//
// Tracing: a batch's statements are recorded in the trace of its first traced send (a send alone,
// the usual case on an idle server, keeps every statement in its own trace); each send's
// message.created event carries its own request's traceparent.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/one_shot.hpp"
#include "core/trace.hpp"
#include "db/repositories/message_repository.hpp"
#include "messaging/context.hpp"

namespace parley::messaging {

// One send, validated and its body rendered: what remains is checking and writing it.
struct BatchedSend {
  db::repositories::NewMessage message;  // top level (no parent_id), no attachments
  std::vector<std::int64_t> mentions;    // resolved, ascending
  std::optional<trace::SpanContext> span;  // the request's, if traced: its event's traceparent
};

class SendBatcher {
 public:
  static constexpr std::size_t kMaxBatch = 128;
  static constexpr std::size_t kMaxBatches = 2;  // at once, counting the one being started

  explicit SendBatcher(MessagingContext& ctx);
  ~SendBatcher();
  SendBatcher(const SendBatcher&) = delete;
  SendBatcher& operator=(const SendBatcher&) = delete;

  // Checks and writes `send` with the sends queued alongside it and returns the message's JSON
  // (the answer and the data of its message.created event, published after the commit); nullopt
  // when the caller must send it alone (see above).
  boost::asio::awaitable<std::optional<std::string>> write(BatchedSend send);

 private:
  struct Waiter;
  struct Queued {
    BatchedSend send;
    std::shared_ptr<Waiter> waiter;
    boost::asio::any_io_executor executor;  // the requester's: its waiter is completed there
  };
  // The next batch, oldest first. Empty when nothing waits; then, if `may_stop`, the writer stops
  // (the next send starts another).
  std::vector<Queued> take(bool may_stop);
  // Writes batches until the queue is empty and the last batch is done. Never throws.
  boost::asio::awaitable<void> run();
  // Writes one batch and completes its waiters; completes `sent` once its COMMIT has gone out (or
  // it failed before). Never throws.
  boost::asio::awaitable<void> write_batch(std::vector<Queued> batch, std::shared_ptr<core::OneShot> sent);

  MessagingContext& ctx_;
  std::mutex mutex_;  // guards queue_ and running_; never held across a suspension
  std::vector<Queued> queue_;
  bool running_ = false;
};

}  // namespace parley::messaging
