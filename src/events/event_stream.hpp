#pragma once
// The event stream: the one way domain events leave a committed transaction (docs/architecture.md,
// "Event stream").
//
// Writers append one row per event inside their transaction (PendingEvents) and call committed()
// after the commit. One loop per process then (1) numbers committed events on PostgreSQL
// (EventLogRepository::sequence_pending; SQLite numbers at insert), and (2) tails the log by
// position and publishes every new event on the EventBus, in position order, exactly once per
// process. Tailing the log rather than handing events over in memory means every process
// publishes every event, whichever process wrote it, and nothing is published that did not commit.
// The loop also wakes every `sweep_interval` without being asked (events of other processes, of a
// writer that died between commit and committed()) and purges events older than `retention`.
//
// Readers resume a user's stream with after().
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include "db/database.hpp"
#include "db/repositories/event_log_repository.hpp"
#include "events/event_bus.hpp"

namespace spdlog {
class logger;
}

namespace parley::events {

struct EventStreamOptions {
  std::chrono::seconds retention{std::chrono::hours(24)};
  // A resume with more events than this to replay gets resync_required instead (0: no limit).
  std::int64_t max_replay = 10000;
  std::chrono::milliseconds sweep_interval{1000};
  std::chrono::minutes purge_interval{10};
  int batch = 1000;  // events numbered or published per statement
  // Passes start at most this often: under load the commits of this interval share one
  // sequencer transaction and one tail read instead of one each.
  std::chrono::milliseconds min_pass_interval{5};
};

// What a user's stream holds after a position.
struct StreamPage {
  std::vector<db::repositories::StoredEvent> events;
  std::int64_t last_event_id = 0;  // where to resume: the last event's position, or the head
  bool resync_required = false;    // events after the position were lost to retention
};

class EventStream {
 public:
  EventStream(db::Database& db, EventBus& bus, boost::asio::any_io_executor executor, spdlog::logger& logger,
              EventStreamOptions options = {});
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  db::repositories::EventLogRepository& log() noexcept { return log_; }

  // Starts the loop from the current head (events committed before start() are not published).
  void start();
  // Stops the loop and returns once it has (no statement of its own in flight): call it before
  // closing the database. Waiting flush() calls return.
  boost::asio::awaitable<void> stop();
  // Called after a transaction that appended events committed: wakes the loop. Cheap, any thread.
  // `numbered`: the transaction numbered its events itself (EventLogRepository::append_many_later),
  // so the next pass announces them to the other processes (on_numbered) once it has published them.
  void committed(bool numbered = false);
  // Returns once every event committed before the call is numbered and published.
  boost::asio::awaitable<void> flush();

  // The events `user_id` may see after `after`, oldest first, at most `limit`. A resume starts
  // with check_resume(); later pages go straight here.
  boost::asio::awaitable<StreamPage> after(std::int64_t user_id, std::int64_t after, int limit);
  // The first page of a resume: like after(), but resync_required also when more than
  // options.max_replay events would have to be replayed.
  boost::asio::awaitable<StreamPage> resume(std::int64_t user_id, std::int64_t after, int limit);
  // The newest position: a stream that starts "now" resumes from here.
  boost::asio::awaitable<std::int64_t> head();
  // Called on the loop's strand after a pass numbered events (PostgreSQL), with the last position
  // it numbered, or published events a transaction of this process numbered, with the last position
  // published: the real-time bus tells the other processes to tail the log now. Set before start().
  void on_numbered(std::function<void(std::int64_t last_position)> callback);

 private:
  struct State;
  boost::asio::awaitable<void> run(State* state);
  boost::asio::awaitable<void> pass(State& state);

  db::Database& db_;
  EventBus& bus_;
  spdlog::logger& logger_;
  EventStreamOptions options_;
  db::repositories::EventLogRepository log_;
  std::unique_ptr<State> state_;
  std::function<void(std::int64_t)> on_numbered_;
};

}  // namespace parley::events
