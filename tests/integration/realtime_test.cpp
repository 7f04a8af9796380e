// Real-time events (docs/api.md "Real-time events", docs/realtime.md): the WebSocket with its replay,
// the long poll, tickets, typing, presence and malformed frames, against the real server on SQLite
// and PostgreSQL.
#include "messaging_fixture.hpp"
#include "ws_client.hpp"

#include "messaging/input_rules.hpp"

#include <atomic>
#include <set>
#include <thread>

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class RealtimeTest : public MessagingTest {
 protected:
  void SetUp() override { start({{"PARLEY_PRESENCE_SWEEP", "50ms"}}); }

  std::unique_ptr<WsClient> socket(const TestUser& u, const std::string& query = "") {
    auto ws = std::make_unique<WsClient>(port(), "/api/v1/realtime" + query,
                                         std::map<std::string, std::string>{{"Authorization", "Bearer " + u.access}});
    EXPECT_TRUE(ws->accepted()) << ws->status();
    return ws;
  }
  // Connects and waits until the socket is live (its ready frame); returns its position.
  std::unique_ptr<WsClient> live_socket(const TestUser& u, const std::string& query = "") {
    auto ws = socket(u, query);
    ws->next_of("ready");
    return ws;
  }
  // A ping's pong comes after every frame the server had queued before it read the ping: no
  // event (or typing) frame may come first. Presence frames may.
  static void expect_nothing_but_pong(WsClient& ws) {
    ws.send(R"({"type":"ping"})");
    for (;;) {
      auto frame = ws.next();
      if (frame.at("type").as_string() == "presence") continue;
      EXPECT_EQ(frame.at("type").as_string(), "pong") << json::serialize(frame);
      return;
    }
  }
  std::int64_t head() { return on_app(app().event_stream().head()); }
  // Returns once every event committed so far is numbered and published (PostgreSQL numbers them
  // just after their commit): positions read from then on include them.
  void settle() { on_app(app().event_stream().flush()); }
};

TEST_P(RealtimeTest, ALiveMessageReachesTheMembersSocketsOnly) {
  auto alice = user("alice"), bob = user("bob"), carol = user("carol");
  auto conversation = group(alice, {bob.id});
  settle();
  auto alice_phone = live_socket(alice);
  auto alice_laptop = live_socket(alice);
  auto bob_ws = live_socket(bob);
  auto carol_ws = live_socket(carol);
  EXPECT_NE(http_request(port(), "GET", "/metrics").body.find("\nparley_ws_open_sockets 4\n"), std::string::npos);
  auto sent = send(bob, conversation, "hello **world**");
  for (auto* ws : {alice_phone.get(), alice_laptop.get(), bob_ws.get()}) {
    auto frame = ws->next_of("message.created");
    EXPECT_GT(frame.at("id").as_int64(), 0);
    EXPECT_EQ(frame.at("data").at("id").as_int64(), sent.at("id").as_int64());
    EXPECT_EQ(frame.at("data").at("body").as_string(), "hello **world**");
  }
  expect_nothing_but_pong(*carol_ws);
  // The three deliveries and the frames are counted (each socket also got "ready", and carol a pong).
  auto counter = [](const std::string& metrics, const std::string& series) {
    auto at = metrics.find("\n" + series + " ");
    return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + series.size() + 2));
  };
  const auto metrics = http_request(port(), "GET", "/metrics").body;
  EXPECT_GE(counter(metrics, "parley_ws_deliveries_total"), 3) << metrics;
  EXPECT_GE(counter(metrics, R"(parley_ws_frames_total{direction="out"})"), 3 + 4);
  EXPECT_GE(counter(metrics, R"(parley_ws_frames_total{direction="in"})"), 1) << "carol's ping";
  // The message (one event, delivered live to three sockets) is one observation of its latency;
  // it is measured against the database's clock, so only its presence and order are checked.
  EXPECT_GE(counter(metrics, "parley_ws_delivery_latency_seconds_count"), 1);
  EXPECT_EQ(counter(metrics, R"(parley_ws_delivery_latency_seconds_bucket{le="+Inf"})"),
            counter(metrics, "parley_ws_delivery_latency_seconds_count"));
  EXPECT_GE(counter(metrics, "parley_ws_delivery_latency_seconds_sum"), 0);
}

TEST_P(RealtimeTest, EventIdsGrowAndTheReadyFrameTellsWhereToResume) {
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  settle();
  auto ws = socket(bob);
  const auto ready = ws->next_of("ready");
  EXPECT_EQ(ready.at("data").at("last_event_id").as_int64(), head());
  std::int64_t previous = ready.at("data").at("last_event_id").as_int64();
  for (int i = 0; i < 5; ++i) send(alice, conversation, "m" + std::to_string(i));
  for (int i = 0; i < 5; ++i) {
    auto frame = ws->next_of("message.created");
    EXPECT_GT(frame.at("id").as_int64(), previous);
    previous = frame.at("id").as_int64();
    EXPECT_EQ(frame.at("data").at("body").as_string(), "m" + std::to_string(i));
  }
}

TEST_P(RealtimeTest, ResumeReplaysWhatWasMissedWithoutGapOrDuplicateUnderConcurrentSends) {
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  auto first = live_socket(bob);
  send(alice, conversation, "before");
  const auto seen = first->next_of("message.created");
  first->drop();
  // Sends go on while bob is away and while he reconnects.
  std::atomic<bool> sending{true};
  std::vector<std::int64_t> sent_ids;
  std::thread sender([&] {
    for (int i = 0; i < 40; ++i) sent_ids.push_back(send(alice, conversation, "m" + std::to_string(i)).at("id").as_int64());
    sending = false;
  });
  while (sent_ids.size() < 10 && sending) std::this_thread::yield();  // some are missed for sure
  auto resumed = socket(bob, "?last_event_id=" + std::to_string(seen.at("id").as_int64()));
  sender.join();
  std::vector<std::int64_t> received;
  std::int64_t last_event_id = seen.at("id").as_int64();
  while (received.size() < sent_ids.size()) {
    auto frame = resumed->next();
    if (!frame.contains("id")) continue;  // ready, pong
    EXPECT_GT(frame.at("id").as_int64(), last_event_id) << "event ids strictly increase";
    last_event_id = frame.at("id").as_int64();
    if (frame.at("type").as_string() == "message.created") received.push_back(frame.at("data").at("id").as_int64());
  }
  EXPECT_EQ(received, sent_ids);
  expect_nothing_but_pong(*resumed);
}

TEST_P(RealtimeTest, AResumeFromBeyondTheRetainedLogStartsWithResyncRequired) {
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  auto ws = live_socket(bob);
  send(alice, conversation, "old");
  const auto old_id = ws->next_of("message.created").at("id").as_int64();
  ws->close();
  send(alice, conversation, "newer");
  settle();
  // Retention dropped everything up to the newest event.
  on_app([this]() -> boost::asio::awaitable<void> {
    co_await app().database().execute(db::Query{"", "DELETE FROM events WHERE position < (SELECT max(position) FROM events)"});
  }());
  auto stale = socket(bob, "?last_event_id=" + std::to_string(old_id - 1));
  auto frame = stale->next();
  EXPECT_EQ(frame.at("type").as_string(), "resync_required");
  EXPECT_EQ(frame.at("id").as_int64(), head());
  EXPECT_EQ(stale->next().at("type").as_string(), "ready");
  // An id the server never handed out is no better.
  auto future = socket(bob, "?last_event_id=" + std::to_string(head() + 100));
  EXPECT_EQ(future->next().at("type").as_string(), "resync_required");
}

TEST_P(RealtimeTest, AClientTooFarBehindIsToldToResyncInsteadOfReplayingEverything) {
  start({{"PARLEY_EVENT_REPLAY_MAX", "3"}});
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  settle();
  const auto position = head();
  for (int i = 0; i < 3; ++i) send(alice, conversation, "m" + std::to_string(i));
  settle();
  auto near = socket(bob, "?last_event_id=" + std::to_string(position));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(near->next().at("type").as_string(), "message.created");
  EXPECT_EQ(near->next().at("type").as_string(), "ready");
  send(alice, conversation, "one too many");
  settle();
  auto far = socket(bob, "?last_event_id=" + std::to_string(position));
  auto frame = far->next();
  EXPECT_EQ(frame.at("type").as_string(), "resync_required");
  EXPECT_EQ(frame.at("id").as_int64(), head());
  auto polled = call(bob, "GET", "/api/v1/events?timeout=0&last_event_id=" + std::to_string(position));
  EXPECT_EQ(polled.json().at("events").at(0).at("type").as_string(), "resync_required");
}

TEST_P(RealtimeTest, LongPollAnswersAtOnceOrWhenAnEventArrives) {
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  settle();
  auto start = call(bob, "GET", "/api/v1/events");
  ASSERT_EQ(start.status, 200) << start.body;
  EXPECT_TRUE(start.json().at("events").as_array().empty());
  const auto position = start.json().at("last_event_id").as_int64();
  EXPECT_EQ(position, head());

  auto empty = call(bob, "GET", "/api/v1/events?timeout=0&last_event_id=" + std::to_string(position));
  ASSERT_EQ(empty.status, 200);
  EXPECT_TRUE(empty.json().at("events").as_array().empty());
  EXPECT_EQ(empty.json().at("last_event_id").as_int64(), position);

  std::thread later([&] {
    // Once the poll is attached (bob has no socket, so the listener is the poll's); the outcome
    // is the same if the message comes before the poll waits.
    EXPECT_TRUE(eventually([&] { return app().realtime().hub().stats().listeners == 1; }));
    send(alice, conversation, "wake up");
  });
  auto woken = call(bob, "GET", "/api/v1/events?timeout=20&last_event_id=" + std::to_string(position));
  later.join();
  ASSERT_EQ(woken.status, 200) << woken.body;
  const auto answer = woken.json();
  const auto& events = answer.at("events").as_array();
  ASSERT_EQ(events.size(), 1u) << woken.body;
  EXPECT_EQ(events[0].at("type").as_string(), "message.created");
  EXPECT_EQ(answer.at("last_event_id").as_int64(), events[0].at("id").as_int64());

  EXPECT_EQ(call(bob, "GET", "/api/v1/events?last_event_id=-1").status, 400);
  EXPECT_EQ(call(bob, "GET", "/api/v1/events?timeout=61&last_event_id=1").status, 400);
  EXPECT_EQ(http_request(port(), "GET", "/api/v1/events").status, 401);
}

TEST_P(RealtimeTest, ATicketOpensOneSocketOnceAndNothingElseDoes) {
  auto bob = user("bob");
  auto issued = call(bob, "POST", "/api/v1/realtime/ticket");
  ASSERT_EQ(issued.status, 201) << issued.body;
  EXPECT_EQ(issued.json().at("expires_in").as_int64(), 30);
  const std::string ticket(issued.json().at("ticket").as_string());
  WsClient with_ticket(port(), "/api/v1/realtime?ticket=" + ticket);
  ASSERT_TRUE(with_ticket.accepted()) << with_ticket.status();
  with_ticket.next_of("ready");
  WsClient again(port(), "/api/v1/realtime?ticket=" + ticket);
  EXPECT_FALSE(again.accepted());
  EXPECT_EQ(again.status(), 401);
  WsClient forged(port(), "/api/v1/realtime?ticket=" + std::string(43, 'A'));
  EXPECT_EQ(forged.status(), 401);
  WsClient anonymous(port(), "/api/v1/realtime");
  EXPECT_EQ(anonymous.status(), 401);
  WsClient bad_token(port(), "/api/v1/realtime", {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(bad_token.status(), 401);
  WsClient bad_position(port(), "/api/v1/realtime?last_event_id=x", {{"Authorization", "Bearer " + bob.access}});
  EXPECT_EQ(bad_position.status(), 400);
}

TEST_P(RealtimeTest, MalformedFramesCloseOnlyTheirSocketWithTheRightCode) {
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  auto bystander = live_socket(bob);
  struct Case {
    std::string frame;
    bool binary;
    int code;
  };
  for (const auto& c : {Case{R"({"type":"ping"})", true, 1003}, Case{"not json", false, 1007},
                        Case{R"({"type":"shout"})", false, 1008}, Case{R"({"type":"typing"})", false, 1008},
                        Case{std::string(70 * 1024, ' '), false, 1009}}) {
    auto ws = live_socket(alice);
    if (c.binary) {
      ws->send_binary(c.frame);
    } else {
      ws->send(c.frame);
    }
    EXPECT_EQ(ws->wait_closed(), c.code) << c.frame.substr(0, 40);
  }
  send(alice, conversation, "still here");
  EXPECT_EQ(bystander->next_of("message.created").at("data").at("body").as_string(), "still here");
}

TEST_P(RealtimeTest, TypingReachesTheOtherMembersWithinItsRateLimit) {
  auto alice = user("alice"), bob = user("bob"), carol = user("carol");
  auto conversation = group(alice, {bob.id});
  settle();  // conversation.created is out before the sockets open
  auto alice_ws = live_socket(alice);
  auto bob_ws = live_socket(bob);
  auto carol_ws = live_socket(carol);
  const std::string typing = R"({"type":"typing","conversation_id":)" + std::to_string(conversation) + "}";
  for (int i = 0; i < 8; ++i) alice_ws->send(typing);
  carol_ws->send(typing);  // not a member: dropped
  expect_nothing_but_pong(*alice_ws);  // every frame above was handled
  // Alice's frames were all handled, so their typing frames were queued for bob before his pong.
  bob_ws->send(R"({"type":"ping"})");
  int received = 0;
  for (;;) {
    auto frame = bob_ws->next();
    if (frame.at("type").as_string() == "pong") break;
    if (frame.at("type").as_string() != "typing") continue;  // presence
    EXPECT_EQ(frame.at("data").at("user_id").as_int64(), alice.id);
    EXPECT_EQ(frame.at("data").at("conversation_id").as_int64(), conversation);
    EXPECT_FALSE(frame.contains("id")) << "typing is never stored";
    ++received;
  }
  EXPECT_EQ(received, 5) << "a burst of 5, the rest dropped";
  EXPECT_EQ(app().realtime().counters().typing_dropped.load(), 4u);
}

// The next status of `user_id` that `ws` is told (presence frames list every member of a
// conversation whose status changed; other frames are skipped).
std::string next_status_of(WsClient& ws, std::int64_t user_id,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no presence of user " + std::to_string(user_id));
    auto frame = ws.next_of("presence", left);
    EXPECT_FALSE(frame.contains("id")) << "presence is never stored";
    for (const auto& entry : frame.at("data").at("statuses").as_array()) {
      if (entry.at("user_id").as_int64() == user_id) return std::string(entry.at("status").as_string());
    }
  }
}

TEST_P(RealtimeTest, PresenceChangesReachWhoSharesAConversation) {
  start({{"PARLEY_PRESENCE_SWEEP", "50ms"}, {"PARLEY_PRESENCE_TTL", "1500ms"}});
  auto alice = user("alice"), bob = user("bob"), carol = user("carol");
  group(alice, {bob.id});
  settle();
  auto bob_ws = live_socket(bob);
  auto carol_ws = live_socket(carol);
  auto alice_ws = live_socket(alice);
  EXPECT_EQ(next_status_of(*bob_ws, alice.id), "active");
  alice_ws->send(R"({"type":"presence","status":"idle"})");
  EXPECT_EQ(next_status_of(*bob_ws, alice.id), "idle");
  alice_ws->close();
  EXPECT_EQ(next_status_of(*bob_ws, alice.id), "offline");
  // Carol shares no conversation with alice or bob: nothing about them.
  carol_ws->send(R"({"type":"ping"})");
  EXPECT_EQ(carol_ws->next().at("type").as_string(), "pong");

  // A socket that goes silent longer than the TTL counts as offline.
  auto silent = live_socket(alice);
  EXPECT_EQ(next_status_of(*bob_ws, alice.id), "active");
  EXPECT_EQ(next_status_of(*bob_ws, alice.id), "offline");
}

TEST_P(RealtimeTest, ASessionCookieSocketMustComeFromThisOrigin) {
  auto bob = user("bob");
  json::object login{{"login", "bob"}, {"password", kMessagingPassword}};
  auto session = http_request(port(), "POST", "/api/v1/auth/session", json_headers(), json::serialize(login));
  ASSERT_EQ(session.status, 200) << session.body;
  auto set_cookie = session.header("Set-Cookie");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string self = "http://127.0.0.1:" + std::to_string(port());
  WsClient foreign(port(), "/api/v1/realtime", {{"Cookie", cookie}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status(), 403);
  WsClient same(port(), "/api/v1/realtime", {{"Cookie", cookie}, {"Origin", self}});
  ASSERT_TRUE(same.accepted()) << same.status();
  same.next_of("ready");
}

TEST_P(RealtimeTest, ASlowConsumerIsClosedWith4008AndResumesWithoutLoss) {
  start({{"PARLEY_WS_SEND_QUEUE", "4"}});
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  // Bob's client stops reading, with a tiny TCP window: a few big frames block the server's
  // writes to him, then his queue fills.
  WsClient slow(port(), "/api/v1/realtime", {{"Authorization", "Bearer " + bob.access}}, 4096);
  ASSERT_TRUE(slow.accepted());
  slow.next_of("ready");
  settle();
  const auto position = head();
  std::string big;
  for (std::size_t i = 0; i < messaging::kMaxBodyLength; ++i) big += "\xF0\x9F\x98\x80";  // 40 KB of emoji
  std::vector<std::int64_t> sent_ids;
  while (app().realtime().counters().slow_consumers.load() == 0 && sent_ids.size() < 100) {
    sent_ids.push_back(send(alice, conversation, big).at("id").as_int64());
    settle();  // delivered (or refused) before the next one
  }
  ASSERT_GT(app().realtime().counters().slow_consumers.load(), 0u) << sent_ids.size() << " messages sent";
  EXPECT_EQ(slow.wait_closed(20s), 4008);
  // Operators see it: the overflow is counted, and the socket is no longer open.
  EXPECT_TRUE(eventually([&] {
    const auto metrics = http_request(port(), "GET", "/metrics").body;
    return metrics.find("\nparley_ws_queue_overflows_total 1\n") != std::string::npos &&
           metrics.find("\nparley_ws_open_sockets 0\n") != std::string::npos;
  }));
  auto resumed = socket(bob, "?last_event_id=" + std::to_string(position));
  EXPECT_EQ(next_created_message_ids(*resumed, sent_ids.size()), sent_ids);
}

INSTANTIATE_TEST_SUITE_P(Databases, RealtimeTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
