#include "realtime/realtime.hpp"

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>
#include <span>
#include <unordered_map>

#include "auth/tokens.hpp"
#include "realtime/socket.hpp"

namespace parley::realtime {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t random_instance_id() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

Frame typing_frame(std::int64_t conversation_id, std::int64_t user_id) {
  return std::make_shared<const std::string>(R"({"type":"typing","data":{"conversation_id":)" +
                                             std::to_string(conversation_id) +
                                             R"(,"user_id":)" + std::to_string(user_id) + "}}");
}

// {"type": "presence", "data": {"statuses": [{"user_id": U, "status": S}, ...]}}
Frame presence_frame(const std::vector<UserStatus>& statuses) {
  std::string text = R"({"type":"presence","data":{"statuses":[)";
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (i > 0) text += ',';
    text += R"({"user_id":)";
    text += std::to_string(statuses[i].first);
    text += R"(,"status":")";
    text += presence_name(statuses[i].second);
    text += "\"}";
  }
  text += "]}}";
  return std::make_shared<const std::string>(std::move(text));
}

// A long poll's stand-in for a socket: woken by the first event above the position it waits after.
class PollWaiter final : public Listener, public std::enable_shared_from_this<PollWaiter> {
 public:
  PollWaiter(asio::any_io_executor executor, std::int64_t after) : timer_(std::move(executor)), after_(after) {}

  void deliver(std::int64_t position, const Frame&) override {
    if (position > after_) wake();
  }
  void deliver_ephemeral(const Frame&) override {}
  void lost() override { wake(); }

  // Returns at `deadline` or once woken, whichever comes first. On the executor given above.
  awaitable<void> wait(Clock::time_point deadline) {
    timer_.expires_at(deadline);
    if (woken_.load()) co_return;
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

 private:
  void wake() {
    if (woken_.exchange(true)) return;
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

  asio::steady_timer timer_;
  const std::int64_t after_;
  std::atomic<bool> woken_{false};
};

std::string poll_body(const std::vector<db::repositories::StoredEvent>& events, std::int64_t last_event_id,
                      bool resync_required) {
  std::string body = R"({"events":[)";
  if (resync_required) body += events::event_frame(last_event_id, "resync_required", "{}");
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) body += ',';
    body += events::event_frame(events[i].position, events[i].type, events[i].payload);
  }
  body += R"(],"last_event_id":)";
  body += std::to_string(last_event_id);
  body += '}';
  return body;
}

}  // namespace

Realtime::Realtime(db::Database& db, events::EventStream& stream, events::EventBus& bus,
                   std::unique_ptr<Fanout> fanout, asio::any_io_executor executor, spdlog::logger& logger,
                   RealtimeSettings settings)
    : db_(db),
      stream_(stream),
      fanout_(std::move(fanout)),
      logger_(logger),
      settings_(settings),
      instance_(random_instance_id()),
      members_(db.dialect()),
      tickets_(db.dialect()),
      users_(db.dialect()),
      presence_(settings.presence_ttl),
      strand_(asio::make_strand(std::move(executor))),
      presence_timer_(strand_),
      hub_(bus, [this](std::int64_t user_id) { return members_.conversations_of(db_, user_id); }) {
  // Other processes tail the log at once instead of at their next sweep.
  stream_.on_numbered([this](std::int64_t position) {
    if (stopped_) return;
    fanout_->publish(encode(FanoutMessage{.kind = FanoutMessage::Kind::log, .from = instance_, .position = position}));
  });
}

Realtime::~Realtime() = default;

awaitable<void> Realtime::start() {
  co_await fanout_->start([this](std::string_view text) { received(text); },
                          // Wake-ups were lost: tail now rather than at the next sweep.
                          [this] { stream_.committed(); });
  asio::co_spawn(strand_, presence_loop(), asio::detached);
  logger_.info("realtime: bus between instances: {}", fanout_->name());
}

void Realtime::stop() {
  stopped_ = true;
  asio::post(strand_, [this] { presence_timer_.cancel(); });
}

void Realtime::received(std::string_view text) {
  auto message = decode(text);
  if (!message || message->from == instance_) return;
  switch (message->kind) {
    case FanoutMessage::Kind::log:
      stream_.committed();
      break;
    case FanoutMessage::Kind::typing:
      hub_.send_to_conversation(message->conversation_id, typing_frame(message->conversation_id, message->user_id),
                                message->user_id);
      break;
    case FanoutMessage::Kind::presence: {
      const auto now = Clock::now();
      for (const auto& [user_id, status] : message->statuses) presence_.announced(message->from, user_id, status, now);
      break;
    }
  }
}

bool Realtime::typing(std::int64_t user_id, std::int64_t conversation_id) {
  if (!hub_.is_member(user_id, conversation_id)) return false;
  hub_.send_to_conversation(conversation_id, typing_frame(conversation_id, user_id), user_id);
  if (stopped_) return true;
  fanout_->publish(encode(FanoutMessage{
      .kind = FanoutMessage::Kind::typing, .from = instance_, .conversation_id = conversation_id, .user_id = user_id}));
  return true;
}

void Realtime::announce(const std::vector<UserStatus>& statuses) {
  for (std::size_t i = 0; i < statuses.size(); i += kMaxStatusesPerMessage) {
    FanoutMessage message{.kind = FanoutMessage::Kind::presence, .from = instance_};
    const auto end = std::min(statuses.size(), i + kMaxStatusesPerMessage);
    message.statuses.assign(statuses.begin() + static_cast<std::ptrdiff_t>(i),
                            statuses.begin() + static_cast<std::ptrdiff_t>(end));
    fanout_->publish(encode(message));
  }
}

awaitable<void> Realtime::presence_loop() {
  auto next_announcement = Clock::now() + settings_.presence_ttl / 3;
  while (!stopped_) {
    presence_timer_.expires_after(settings_.presence_sweep);
    co_await presence_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopped_) break;
    const auto now = Clock::now();
    auto changes = presence_.sweep(now);
    if (!changes.local.empty()) announce(changes.local);
    const bool renew = now >= next_announcement;
    if (renew) {
      // Renewed before they expire on the other instances (a third of the TTL leaves two misses).
      announce(presence_.local_statuses(now));
      next_announcement = now + settings_.presence_ttl / 3;
    }
    try {
      co_await mark_seen(changes.local, renew);
    } catch (const std::exception& e) {
      logger_.warn("realtime: last_seen_at not updated: {}", e.what());
    }
    if (changes.statuses.empty()) continue;
    try {
      co_await tell_presence(changes.statuses);
    } catch (const std::exception& e) {
      logger_.warn("realtime: presence changes of {} users not delivered: {}", changes.statuses.size(), e.what());
    }
  }
}

awaitable<void> Realtime::mark_seen(const std::vector<UserStatus>& local_changes, bool all_active) {
  std::vector<std::int64_t> seen;
  for (const auto& [user_id, status] : local_changes) {
    // Becoming active, and ceasing to be (the last moment they were), are both "seen now".
    const bool changed = status == PresenceStatus::active ? active_here_.insert(user_id).second
                                                          : active_here_.erase(user_id) > 0;
    if (changed) seen.push_back(user_id);
  }
  if (all_active) {
    seen.insert(seen.end(), active_here_.begin(), active_here_.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  }
  // In chunks: a statement's row locks and parameter stay bounded however many users are here.
  constexpr std::size_t kChunk = 1000;
  for (std::size_t i = 0; i < seen.size() && !stopped_; i += kChunk) {
    const std::span<const std::int64_t> chunk(seen.data() + i, std::min(kChunk, seen.size() - i));
    co_await users_.touch_last_seen_many(db_, chunk);
  }
}

awaitable<void> Realtime::tell_presence(const std::vector<UserStatus>& changes) {
  // One frame per conversation with local members, listing its members whose status changed,
  // shared by all those members: the cost is linear in changes and recipients, even when a
  // thousand members of one channel connect at once (one frame per socket, not a thousand).
  // A user's conversations come from the hub when they have a socket here, else from one indexed
  // read (conversation_members_user_idx).
  std::unordered_map<std::int64_t, std::vector<UserStatus>> by_conversation;
  for (const auto& change : changes) {
    auto conversations = hub_.conversations_of(change.first);
    if (!conversations) conversations = co_await members_.conversations_of(db_, change.first);
    for (auto conversation_id : *conversations) by_conversation[conversation_id].push_back(change);
  }
  for (const auto& [conversation_id, statuses] : by_conversation) {
    // (A frame may tell a recipient their own status too; they know it already.)
    hub_.send_to_conversation(conversation_id, presence_frame(statuses), 0);
  }
}

std::shared_ptr<http::WsEndpoint> Realtime::open_socket(std::int64_t user_id,
                                                        std::optional<std::int64_t> last_event_id) {
  return std::make_shared<RealtimeSocket>(*this, user_id, last_event_id);
}

awaitable<std::string> Realtime::poll(std::int64_t user_id, std::optional<std::int64_t> last_event_id,
                                      std::chrono::milliseconds timeout) {
  if (!last_event_id) {
    const std::int64_t head = co_await stream_.head();
    co_return poll_body({}, head, false);
  }
  const auto deadline = Clock::now() + std::min<std::chrono::milliseconds>(timeout, settings_.long_poll_max);
  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<PollWaiter>(executor, *last_event_id);
  // Attached before the first read: an event committed between the read and the wait wakes it.
  co_await hub_.attach(user_id, waiter.get());
  struct Detach {
    Hub& hub;
    std::int64_t user_id;
    Listener* listener;
    ~Detach() { hub.detach(user_id, listener); }
  } detach{hub_, user_id, waiter.get()};
  constexpr int kPollPage = 500;
  auto page = co_await stream_.resume(user_id, *last_event_id, kPollPage);
  if (page.events.empty() && !page.resync_required && Clock::now() < deadline) {
    co_await waiter->wait(deadline);
    page = co_await stream_.after(user_id, *last_event_id, kPollPage);
  }
  co_return poll_body(page.events, page.last_event_id, page.resync_required);
}

awaitable<std::string> Realtime::issue_ticket(std::int64_t user_id) {
  std::string ticket = auth::random_token(32);
  const std::string hash = auth::token_hash(ticket);
  co_await tickets_.create(db_, hash, user_id, settings_.ticket_lifetime);
  co_return ticket;
}

awaitable<std::optional<std::int64_t>> Realtime::redeem_ticket(std::string_view ticket) {
  // 32 random bytes in base64url: anything else cannot be a ticket and costs no statement.
  if (ticket.size() != 43) co_return std::nullopt;
  const std::string hash = auth::token_hash(ticket);
  co_return co_await tickets_.redeem(db_, hash);
}

}  // namespace parley::realtime
