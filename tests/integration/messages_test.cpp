// Messages over real HTTP on SQLite and PostgreSQL: sending with validation and idempotent
// retries, id-cursor pages that stay exact while messages arrive, filters, threads, edits with
// history and the edit window, soft delete permissions, reactions, Markdown rendered inert against
// XSS, mentions counted as unread mentions, search, the NDJSON export, and the events each write
// publishes (and does not publish when its transaction rolls back).
#include "messaging_fixture.hpp"

#include <set>
#include <sstream>
#include <thread>

namespace parley::testing {
namespace {

namespace json = boost::json;

class MessagesTest : public MessagingTest {
 protected:
  std::vector<std::int64_t> ids_of(const HttpResult& page) {
    std::vector<std::int64_t> ids;
    const json::value body = page.json();
    for (const auto& m : body.at("results").as_array()) ids.push_back(m.at("id").as_int64());
    return ids;
  }
};

TEST_P(MessagesTest, SendsAndReadsBack) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  auto m = send(alice, g, "**hello** ~~world~~");
  EXPECT_EQ(m.at("body"), "**hello** ~~world~~");
  EXPECT_NE(std::string(m.at("html").as_string()).find("<strong>hello</strong>"), std::string::npos) << m;
  EXPECT_NE(std::string(m.at("html").as_string()).find("<del>world</del>"), std::string::npos) << m;
  EXPECT_EQ(m.at("sender").at("username"), "alice");
  EXPECT_EQ(m.at("conversation_id"), g);
  EXPECT_TRUE(m.at("parent_id").is_null());
  EXPECT_EQ(m.at("reply_count"), 0);
  EXPECT_EQ(m.at("deleted"), false);
  EXPECT_TRUE(m.at("edited_at").is_null());
  EXPECT_EQ(std::string(m.at("created_at").as_string()).size(), 24u);

  auto got = call(bob, "GET", "/api/v1/messages/" + std::to_string(m.at("id").as_int64()));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json().at("html"), m.at("html"));

  auto created = events().of(bob.id, "message.created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].second.at("id"), m.at("id"));
  EXPECT_EQ(events().of(alice.id, "message.created").size(), 1u) << "the sender's other devices hear it too";
  // Per-user event ids grow by one with no gaps.
  auto all = events().of(bob.id);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].first.position, all[i - 1].first.position);
}

TEST_P(MessagesTest, RejectsInvalidBodies) {
  auto alice = user("alice");
  const auto g = group(alice, {});
  const std::string path = messages_path(g);
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", ""}}).status, 400);
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", "   \n "}}).status, 400);
  EXPECT_EQ(call(alice, "POST", path, json::object{}).status, 400);
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", 5}}).status, 400);
  std::string longest;
  for (int i = 0; i < 10'000; ++i) longest += "é";
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", longest}}).status, 201) << "10,000 characters fit";
  auto too_long = call(alice, "POST", path, json::object{{"body", longest + "x"}});
  EXPECT_EQ(too_long.status, 400);
  EXPECT_TRUE(too_long.json().at("errors").as_object().contains("body"));
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", "x"}, {"client_msg_id", "has space"}}).status, 400);
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", "x"}, {"parent_id", 99999}}).status, 400);
  EXPECT_EQ(call(alice, "POST", path, json::object{{"body", "x"}, {"attachment_ids", {99999}}}).status, 400);
  auto raw = http_request(port(), "POST", path,
                          {{"Authorization", "Bearer " + alice.access}, {"Content-Type", "application/json"}},
                          "{\"body\": \"\xff\"}");
  EXPECT_EQ(raw.status, 400) << "invalid UTF-8";
  EXPECT_EQ(http_request(port(), "POST", path,
                         {{"Authorization", "Bearer " + alice.access}, {"Content-Type", "text/plain"}}, "hi")
                .status,
            415);
}

TEST_P(MessagesTest, RetriesWithClientMsgIdReturnTheOriginal) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  auto first = call(alice, "POST", messages_path(g), json::object{{"body", "once"}, {"client_msg_id", "c-1"}});
  ASSERT_EQ(first.status, 201);
  EXPECT_TRUE(first.header("idempotent-replayed").empty());
  auto retry = call(alice, "POST", messages_path(g), json::object{{"body", "once"}, {"client_msg_id", "c-1"}});
  ASSERT_EQ(retry.status, 201);
  EXPECT_EQ(retry.header("idempotent-replayed"), "true");
  EXPECT_EQ(retry.json().at("id"), first.json().at("id"));
  EXPECT_EQ(retry.json().at("client_msg_id"), "c-1");

  // Concurrent retries of one send still make one message.
  std::vector<std::thread> threads;
  std::vector<int> statuses(6);
  std::vector<std::int64_t> ids(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto r = call(alice, "POST", messages_path(g), json::object{{"body", "race"}, {"client_msg_id", "c-2"}});
      statuses[static_cast<std::size_t>(i)] = r.status;
      if (r.status == 201) ids[static_cast<std::size_t>(i)] = r.json().at("id").as_int64();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(statuses[static_cast<std::size_t>(i)], 201);
    EXPECT_EQ(ids[static_cast<std::size_t>(i)], ids[0]);
  }
  auto page = call(bob, "GET", messages_path(g));
  EXPECT_EQ(page.json().at("results").as_array().size(), 2u);
  EXPECT_EQ(events().of(bob.id, "message.created").size(), 2u) << "a retry publishes nothing";
  // The same client id in another conversation is a conflict, not a silent replay.
  const auto other = group(alice, {});
  EXPECT_EQ(call(alice, "POST", messages_path(other), json::object{{"body", "once"}, {"client_msg_id", "c-1"}}).status,
            409);
}

TEST_P(MessagesTest, PagesByIdCursorsAndFilters) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  std::vector<std::int64_t> sent;
  for (int i = 0; i < 12; ++i)
    sent.push_back(send(i % 3 == 0 ? bob : alice, g, "m" + std::to_string(i)).at("id").as_int64());
  const std::string path = messages_path(g);

  auto newest = call(alice, "GET", path + "?limit=5");
  ASSERT_EQ(newest.status, 200);
  EXPECT_EQ(ids_of(newest), std::vector<std::int64_t>(sent.end() - 5, sent.end()));
  EXPECT_TRUE(newest.json().at("next").is_null());
  ASSERT_FALSE(newest.json().at("previous").is_null());
  // Walk back with `previous` to the start: every message exactly once.
  std::vector<std::int64_t> walked = ids_of(newest);
  std::string previous(newest.json().at("previous").as_string());
  while (true) {
    auto page = call(alice, "GET", previous);
    ASSERT_EQ(page.status, 200);
    auto ids = ids_of(page);
    walked.insert(walked.begin(), ids.begin(), ids.end());
    if (page.json().at("previous").is_null()) break;
    previous = std::string(page.json().at("previous").as_string());
  }
  EXPECT_EQ(walked, sent);

  EXPECT_EQ(ids_of(call(alice, "GET", path + "?after=" + std::to_string(sent[2]) + "&limit=3")),
            std::vector<std::int64_t>(sent.begin() + 3, sent.begin() + 6));
  EXPECT_EQ(ids_of(call(alice, "GET", path + "?before=" + std::to_string(sent[2]))),
            std::vector<std::int64_t>(sent.begin(), sent.begin() + 2));
  EXPECT_EQ(ids_of(call(alice, "GET", path + "?around=" + std::to_string(sent[6]) + "&limit=4")),
            std::vector<std::int64_t>(sent.begin() + 4, sent.begin() + 8));
  auto by_bob = ids_of(call(alice, "GET", path + "?sender=" + std::to_string(bob.id)));
  EXPECT_EQ(by_bob, (std::vector<std::int64_t>{sent[0], sent[3], sent[6], sent[9]}));
  EXPECT_TRUE(ids_of(call(alice, "GET", path + "?until=2000-01-01")).empty());
  EXPECT_EQ(ids_of(call(alice, "GET", path + "?since=2000-01-01T00:00:00Z&limit=200")).size(), 12u);

  EXPECT_EQ(call(alice, "GET", path + "?before=1&after=2").status, 400);
  EXPECT_EQ(call(alice, "GET", path + "?limit=0").status, 400);
  EXPECT_EQ(call(alice, "GET", path + "?limit=201").status, 400);
  EXPECT_EQ(call(alice, "GET", path + "?since=yesterday").status, 400);
  EXPECT_EQ(call(alice, "GET", path + "?before=abc").status, 400);
}

TEST_P(MessagesTest, PaginationStaysExactWhileMessagesArrive) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  std::vector<std::int64_t> history;
  for (int i = 0; i < 30; ++i) history.push_back(send(alice, g, "old " + std::to_string(i)).at("id").as_int64());
  const std::string path = messages_path(g);
  // Bob pages backwards from the newest while Alice writes from another thread at the same time:
  // the pages never repeat or skip.
  auto page = call(bob, "GET", path + "?limit=7");
  constexpr int writes = 20;
  std::thread writer([&] {
    for (int i = 0; i < writes; ++i) call(alice, "POST", path, json::object{{"body", "new " + std::to_string(i)}});
  });
  std::vector<std::int64_t> seen = ids_of(page);
  while (!page.json().at("previous").is_null()) {
    page = call(bob, "GET", std::string(page.json().at("previous").as_string()));
    auto ids = ids_of(page);
    seen.insert(seen.begin(), ids.begin(), ids.end());
  }
  writer.join();
  EXPECT_EQ(seen, history);
  // Forward from the start with `next` the new messages appear after the old ones, once each.
  auto forward = call(bob, "GET", path + "?after=0&limit=9");
  std::vector<std::int64_t> ahead = ids_of(forward);
  while (!forward.json().at("next").is_null()) {
    forward = call(bob, "GET", std::string(forward.json().at("next").as_string()));
    auto ids = ids_of(forward);
    ahead.insert(ahead.end(), ids.begin(), ids.end());
  }
  EXPECT_EQ(ahead.size(), history.size() + static_cast<std::size_t>(writes));
  EXPECT_TRUE(std::is_sorted(ahead.begin(), ahead.end()));
  EXPECT_EQ(std::set<std::int64_t>(ahead.begin(), ahead.end()).size(), ahead.size());
}

TEST_P(MessagesTest, ThreadsCountRepliesAndListThem) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  const auto root = send(alice, g, "root").at("id").as_int64();
  send(alice, g, "another top-level message");
  auto r1 = send(bob, g, "reply 1", {{"parent_id", root}});
  send(alice, g, "reply 2", {{"parent_id", root}});
  EXPECT_EQ(r1.at("parent_id"), root);
  auto parent = call(alice, "GET", "/api/v1/messages/" + std::to_string(root)).json();
  EXPECT_EQ(parent.at("reply_count"), 2);
  EXPECT_FALSE(parent.at("last_reply_at").is_null());
  auto top = call(alice, "GET", messages_path(g)).json().at("results").as_array();
  EXPECT_EQ(top.size(), 2u) << "replies stay in their thread";
  auto thread = call(alice, "GET", messages_path(g) + "?parent_id=" + std::to_string(root));
  ASSERT_EQ(thread.status, 200);
  auto replies = thread.json().at("results").as_array();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].at("body"), "reply 1");
  EXPECT_EQ(call(alice, "POST", messages_path(g), json::object{{"body", "x"}, {"parent_id", r1.at("id")}}).status, 400)
      << "threads are one level deep";
  EXPECT_EQ(call(alice, "GET", messages_path(g) + "?parent_id=" + std::to_string(r1.at("id").as_int64())).status, 404);
}

TEST_P(MessagesTest, EditsKeepHistoryAndOnlyTheSenderEdits) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  auto m = send(alice, g, "first draft");
  const std::string path = "/api/v1/messages/" + std::to_string(m.at("id").as_int64());
  EXPECT_EQ(call(bob, "PATCH", path, json::object{{"body", "hijack"}}).status, 403);
  auto edited = call(alice, "PATCH", path, json::object{{"body", "second *draft*"}});
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(edited.json().at("body"), "second *draft*");
  EXPECT_NE(std::string(edited.json().at("html").as_string()).find("<em>draft</em>"), std::string::npos);
  EXPECT_FALSE(edited.json().at("edited_at").is_null());
  call(alice, "PATCH", path, json::object{{"body", "final"}});
  auto history = call(bob, "GET", path + "/history");
  ASSERT_EQ(history.status, 200);
  auto versions = history.json().at("results").as_array();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].at("body"), "first draft");
  EXPECT_EQ(versions[1].at("body"), "second *draft*");
  EXPECT_EQ(versions[0].at("editor").at("id"), alice.id);
  auto updates = events().of(bob.id, "message.updated");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].second.at("body"), "final");
  EXPECT_EQ(call(alice, "PATCH", path, json::object{{"body", ""}}).status, 400);
  EXPECT_EQ(call(alice, "PATCH", path, json::object{}).status, 400);
}

TEST_P(MessagesTest, TheEditWindowCloses) {
  TearDown();
  start({{"PARLEY_MESSAGE_EDIT_WINDOW", "1h"}});
  auto alice = user("alice");
  const auto g = group(alice, {});
  auto fresh = send(alice, g, "fresh");
  auto old = send(alice, g, "old");
  EXPECT_EQ(call(alice, "PATCH", "/api/v1/messages/" + std::to_string(fresh.at("id").as_int64()),
                 json::object{{"body", "still in time"}})
                .status,
            200);
  // Age one message past the window, as if it was sent two hours ago.
  const auto old_id = old.at("id").as_int64();
  on_app([this, old_id]() -> boost::asio::awaitable<void> {
    auto& db = app().database();
    const bool pg = db.dialect() == db::Dialect::postgres;
    db::Query age{
        "", pg ? "UPDATE messages SET created_at = now() - interval '2 hours' WHERE id = $1"
               : "UPDATE messages SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours') WHERE id = $1"};
    std::array<db::Value, 1> params{old_id};
    co_await db.execute(age, params);
  }());
  auto late = call(alice, "PATCH", "/api/v1/messages/" + std::to_string(old_id), json::object{{"body", "too late"}});
  EXPECT_EQ(late.status, 409) << late.body;
}

TEST_P(MessagesTest, DeletionRulesAndTombstones) {
  auto owner = user("owner");
  auto bob = user("bob");
  auto carol = user("carol");
  auto admin = user("siteadmin", "admin");
  const auto g = group(owner, {bob.id, carol.id});
  auto by_bob = send(bob, g, "bob's words").at("id").as_int64();
  auto by_carol = send(carol, g, "carol's words").at("id").as_int64();
  auto another = send(carol, g, "more").at("id").as_int64();
  auto path = [](std::int64_t id) { return "/api/v1/messages/" + std::to_string(id); };
  EXPECT_EQ(call(bob, "DELETE", path(by_carol)).status, 403);
  EXPECT_EQ(call(bob, "DELETE", path(by_bob)).status, 204);
  EXPECT_EQ(call(bob, "DELETE", path(by_bob)).status, 204) << "idempotent";
  EXPECT_EQ(call(owner, "DELETE", path(by_carol)).status, 204) << "conversation owner moderates";
  EXPECT_EQ(call(admin, "DELETE", path(another)).status, 204) << "site admin moderates";
  auto tomb = call(carol, "GET", path(by_carol)).json();
  EXPECT_EQ(tomb.at("deleted"), true);
  EXPECT_EQ(tomb.at("body"), "");
  EXPECT_EQ(tomb.at("html"), "");
  EXPECT_EQ(call(carol, "PATCH", path(by_carol), json::object{{"body", "resurrect"}}).status, 409);
  EXPECT_EQ(call(bob, "PATCH", path(by_bob), json::object{{"body", "resurrect"}}).status, 409);
  EXPECT_EQ(call(bob, "PUT", path(by_bob) + "/reactions/thumbsup").status, 409);
  auto page = call(carol, "GET", messages_path(g)).json().at("results").as_array();
  EXPECT_EQ(page.size(), 3u) << "tombstones keep their place";
  EXPECT_EQ(events().of(carol.id, "message.deleted").size(), 3u);
}

TEST_P(MessagesTest, ReactionsAreIdempotentWithCountsAndMe) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  const auto id = send(alice, g, "react to me").at("id").as_int64();
  const std::string base = "/api/v1/messages/" + std::to_string(id) + "/reactions/";
  EXPECT_EQ(call(alice, "PUT", base + "thumbsup").status, 204);
  EXPECT_EQ(call(alice, "PUT", base + "thumbsup").status, 204);
  EXPECT_EQ(call(bob, "PUT", base + "thumbsup").status, 204);
  EXPECT_EQ(call(bob, "PUT", base + "%F0%9F%8E%89").status, 204);  // 🎉
  auto seen_by_alice = call(alice, "GET", "/api/v1/messages/" + std::to_string(id)).json().at("reactions").as_array();
  ASSERT_EQ(seen_by_alice.size(), 2u);
  EXPECT_EQ(seen_by_alice[0].at("emoji"), "thumbsup");
  EXPECT_EQ(seen_by_alice[0].at("count"), 2);
  EXPECT_EQ(seen_by_alice[0].at("me"), true);
  EXPECT_EQ(seen_by_alice[1].at("emoji"), "🎉");
  EXPECT_EQ(seen_by_alice[1].at("me"), false);
  EXPECT_EQ(call(alice, "DELETE", base + "thumbsup").status, 204);
  EXPECT_EQ(call(alice, "DELETE", base + "thumbsup").status, 204);
  auto after = call(bob, "GET", "/api/v1/messages/" + std::to_string(id)).json().at("reactions").as_array();
  EXPECT_EQ(after[0].at("count"), 1);
  EXPECT_EQ(after[0].at("me"), true);
  EXPECT_EQ(events().of(bob.id, "reaction.added").size(), 3u) << "repeats publish nothing";
  EXPECT_EQ(events().of(bob.id, "reaction.removed").size(), 1u);
  EXPECT_EQ(call(alice, "PUT", base + "%3Cscript%3E").status, 400);
  EXPECT_EQ(call(alice, "PUT", base + "a%20b").status, 400);
  EXPECT_EQ(call(alice, "PUT", base + std::string(40, 'a')).status, 400);
}

TEST_P(MessagesTest, MarkdownIsRenderedInert) {
  auto alice = user("alice");
  const auto g = group(alice, {});
  for (const char* payload : {"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
                              "[x](JaVaScRiPt:alert(1))", "<a href=\"javascript:alert(1)\">x</a>",
                              "![x](javascript:alert(1))", "<svg/onload=alert(1)>", "[x](data:text/html,<script>)"}) {
    auto m = send(alice, g, payload);
    const std::string html(m.at("html").as_string());
    EXPECT_EQ(html.find("<script"), std::string::npos) << html;
    EXPECT_EQ(html.find("<img"), std::string::npos) << html;
    EXPECT_EQ(html.find("<svg"), std::string::npos) << html;
    EXPECT_EQ(html.find("href=\"javascript"), std::string::npos) << html;
    EXPECT_EQ(html.find("href=\"data"), std::string::npos) << html;
    EXPECT_EQ(m.at("body"), payload) << "the body is kept as written";
  }
  auto link = send(alice, g, "see https://example.com and [docs](https://parley.dev/docs)");
  const std::string html(link.at("html").as_string());
  EXPECT_NE(html.find("href=\"https://example.com\""), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"https://parley.dev/docs\""), std::string::npos) << html;
  auto table = send(alice, g, "| a | b |\n|---|---|\n| 1 | 2 |");
  EXPECT_NE(std::string(table.at("html").as_string()).find("<table>"), std::string::npos);
}

TEST_P(MessagesTest, MentionsAreResolvedStoredAndCounted) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto carol = user("carol");  // not a member: her name stays plain text
  const auto g = group(alice, {bob.id});
  auto m = send(alice, g, "hi @Bob and @carol, `@bob` in code is not a mention; mail bob@example.com");
  auto mentions = m.at("mentions").as_array();
  ASSERT_EQ(mentions.size(), 1u);
  EXPECT_EQ(mentions[0], bob.id);
  const std::string html(m.at("html").as_string());
  EXPECT_NE(html.find("data-user-id=\"" + std::to_string(bob.id) + "\""), std::string::npos) << html;
  EXPECT_EQ(html.find("data-user-id=\"" + std::to_string(carol.id) + "\""), std::string::npos) << html;
  send(alice, g, "@here standup");
  send(alice, g, "no mention");
  auto unread = call(bob, "GET", "/api/v1/unread").json();
  ASSERT_EQ(unread.at("conversations").as_array().size(), 1u);
  EXPECT_EQ(unread.at("conversations").at(0).at("unread_count"), 3);
  EXPECT_EQ(unread.at("conversations").at(0).at("mention_count"), 2);
  EXPECT_EQ(unread.at("mention_total"), 2);
  // An edit that drops the mention drops it from the counts.
  call(alice, "PATCH", "/api/v1/messages/" + std::to_string(m.at("id").as_int64()), json::object{{"body", "hi all"}});
  EXPECT_EQ(call(bob, "GET", "/api/v1/unread").json().at("mention_total"), 1);
}

TEST_P(MessagesTest, SearchFindsOnlyVisibleMessages) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto eve = user("eve");
  const auto shared = group(alice, {bob.id});
  const auto hidden = group(alice, {});
  send(alice, shared, "the deployment pipeline is green");
  send(bob, shared, "pipeline <script>alert(1)</script> broke again");
  send(alice, hidden, "secret pipeline plans");
  auto r = call(bob, "GET", "/api/v1/search?q=pipeline");
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = r.json().at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  for (const auto& hit : results) {
    EXPECT_EQ(hit.at("message").at("conversation_id"), shared);
    const std::string snippet(hit.at("snippet").as_string());
    EXPECT_NE(snippet.find("<mark>"), std::string::npos) << snippet;
    EXPECT_EQ(snippet.find("<script"), std::string::npos) << snippet;
  }
  auto by_sender = call(bob, "GET", "/api/v1/search?q=pipeline&sender=" + std::to_string(bob.id));
  EXPECT_EQ(by_sender.json().at("results").as_array().size(), 1u);
  EXPECT_TRUE(call(eve, "GET", "/api/v1/search?q=pipeline").json().at("results").as_array().empty());
  EXPECT_EQ(call(bob, "GET", "/api/v1/search").status, 400);
  EXPECT_EQ(call(bob, "GET", "/api/v1/search?q=%22").status, 200);
  EXPECT_EQ(call(bob, "GET", "/api/v1/search?q=x&before=nope").status, 400);
  auto paged = call(alice, "GET", "/api/v1/search?q=pipeline&limit=2");
  ASSERT_FALSE(paged.json().at("next").is_null());
  auto rest = call(alice, "GET", std::string(paged.json().at("next").as_string()));
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.json().at("results").as_array().size(), 1u);
}

TEST_P(MessagesTest, ExportStreamsEveryMessageAsNdjson) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  // More than two export batches, written straight into the database to keep the test quick.
  constexpr int kMessages = 1200;
  on_app([this, g, id = alice.id]() -> boost::asio::awaitable<void> {
    auto& db = app().database();
    auto tx = co_await db.begin();
    db::Query insert{"", "INSERT INTO messages (conversation_id, sender_id, body, html) VALUES ($1, $2, $3, $3)"};
    for (int i = 0; i < kMessages; ++i) {
      std::array<db::Value, 3> params{g, id, std::string("line ") + std::to_string(i)};
      co_await tx->execute(insert, params);
    }
    co_await tx->commit();
  }());
  const auto deleted = send(bob, g, "to be deleted").at("id").as_int64();
  ASSERT_EQ(call(bob, "DELETE", "/api/v1/messages/" + std::to_string(deleted)).status, 204);

  auto r = call(bob, "GET", conversation_path(g) + "/export");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/x-ndjson");
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  EXPECT_NE(r.header("content-disposition").find("attachment"), std::string::npos);
  std::istringstream lines(r.body);
  std::string line;
  std::int64_t previous = 0;
  int count = 0;
  json::value last;
  while (std::getline(lines, line)) {
    last = json::parse(line);
    EXPECT_GT(last.at("id").as_int64(), previous);
    previous = last.at("id").as_int64();
    ++count;
  }
  EXPECT_EQ(count, kMessages + 1);
  EXPECT_EQ(last.at("deleted"), true);
  EXPECT_EQ(last.at("body"), "");
  EXPECT_EQ(last.at("sender").at("username"), "bob");
}

TEST_P(MessagesTest, NothingIsPublishedForARolledBackSend) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto g = group(alice, {bob.id});
  auto before = events().all().size();
  // Bob attaching an upload that is not his fails after the message row was inserted: the whole
  // transaction rolls back, so neither the message nor any event survives.
  auto r =
      call(bob, "POST", messages_path(g), json::object{{"body", "with a stolen file"}, {"attachment_ids", {424242}}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(events().all().size(), before);
  EXPECT_TRUE(call(alice, "GET", messages_path(g)).json().at("results").as_array().empty());
  auto logged = events().of(bob.id);
  for (const auto& e : logged) EXPECT_NE(e.first.type, "message.created");
  // Bob's stream holds exactly what was published for the conversations he is in.
  auto published = events().all();
  ASSERT_EQ(logged.size(), published.size());
  for (std::size_t i = 0; i < logged.size(); ++i) {
    EXPECT_EQ(logged[i].first.position, published[i].position);
    EXPECT_EQ(logged[i].first.type, published[i].type);
    EXPECT_EQ(logged[i].second, json::parse(*published[i].data));
  }
}

TEST_P(MessagesTest, AttachmentsTravelWithMessagesAndFollowMembership) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto eve = user("eve");
  const auto g = group(alice, {bob.id});
  const std::string boundary = "parley-test-boundary";
  const std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
                           "Content-Type: text/plain\r\n\r\nhello attachment\r\n--" +
                           boundary + "--\r\n";
  auto uploaded = http_request(
      port(), "POST", "/api/v1/uploads",
      {{"Authorization", "Bearer " + alice.access}, {"Content-Type", "multipart/form-data; boundary=" + boundary}},
      form);
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  const auto upload_id = uploaded.json().at("id").as_int64();
  const std::string url(uploaded.json().at("url").as_string());
  EXPECT_EQ(call(bob, "GET", url).status, 404) << "not posted yet";

  // Someone else's upload cannot be attached.
  auto stolen =
      call(bob, "POST", messages_path(g), json::object{{"body", "mine now"}, {"attachment_ids", {upload_id}}});
  EXPECT_EQ(stolen.status, 400) << stolen.body;
  EXPECT_TRUE(stolen.json().at("errors").as_object().contains("attachment_ids")) << stolen.body;

  // A message may carry only attachments (no text).
  auto m = call(alice, "POST", messages_path(g), json::object{{"attachment_ids", {upload_id}}});
  ASSERT_EQ(m.status, 201) << m.body;
  auto files = m.json().at("attachments").as_array();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].at("id"), upload_id);
  EXPECT_EQ(files[0].at("filename"), "notes.txt");
  EXPECT_EQ(files[0].at("url").as_string(), url);
  auto listed = call(bob, "GET", messages_path(g)).json().at("results").at(0).at("attachments").as_array();
  EXPECT_EQ(listed.size(), 1u);

  auto download = call(bob, "GET", url);
  ASSERT_EQ(download.status, 200);
  EXPECT_EQ(download.body, "hello attachment");
  EXPECT_EQ(call(eve, "GET", url).status, 404) << "not a member of any conversation it was posted in";
  // Deleting the message withdraws the file from the conversation.
  ASSERT_EQ(call(alice, "DELETE", "/api/v1/messages/" + std::to_string(m.json().at("id").as_int64())).status, 204);
  EXPECT_EQ(call(bob, "GET", url).status, 404);
  EXPECT_EQ(call(alice, "GET", url).status, 200) << "the uploader keeps access";
}

INSTANTIATE_TEST_SUITE_P(Databases, MessagesTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
