// Conversations over real HTTP on SQLite and PostgreSQL: the three kinds, browse/join/leave,
// membership management, rename/archive, every permission rule (non-members get 404, guests are
// limited, banned members are out), read markers and unread counts, and the events each change
// emits to exactly its recipients.
#include "messaging_fixture.hpp"

namespace parley::testing {
namespace {

namespace json = boost::json;

class ConversationsTest : public MessagingTest {};

TEST_P(ConversationsTest, DirectConversationIsUniquePerPair) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto first = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "direct"}, {"member_ids", {bob.id}}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto conv = first.json().as_object();
  EXPECT_EQ(conv.at("kind"), "direct");
  EXPECT_EQ(conv.at("member_count"), 2);
  EXPECT_EQ(conv.at("my_role"), "member");
  EXPECT_TRUE(conv.at("last_message").is_null());

  auto again = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "direct"}, {"member_ids", {bob.id}}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json().at("id"), conv.at("id"));
  auto reverse =
      call(bob, "POST", "/api/v1/conversations", json::object{{"kind", "direct"}, {"member_ids", {alice.id}}});
  EXPECT_EQ(reverse.status, 200);
  EXPECT_EQ(reverse.json().at("id"), conv.at("id"));

  // conversation.created went to both members exactly once.
  EXPECT_EQ(events().of(alice.id, "conversation.created").size(), 1u);
  EXPECT_EQ(events().of(bob.id, "conversation.created").size(), 1u);

  auto bad = call(alice, "POST", "/api/v1/conversations",
                  json::object{{"kind", "direct"}, {"name", "x"}, {"member_ids", {bob.id}}});
  EXPECT_EQ(bad.status, 400);
  auto two =
      call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "direct"}, {"member_ids", {bob.id, 999}}});
  EXPECT_EQ(two.status, 400);
  auto leave = call(alice, "POST", conversation_path(conv.at("id").as_int64()) + "/leave");
  EXPECT_EQ(leave.status, 409);
}

TEST_P(ConversationsTest, CreationValidatesInput) {
  auto alice = user("alice");
  auto r = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "channel"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.json().at("errors").as_object().contains("name")) << r.body;
  r = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "group"}, {"visibility", "public"}});
  EXPECT_EQ(r.status, 400);
  r = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "room"}});
  EXPECT_EQ(r.status, 400);
  r = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "group"}, {"member_ids", {424242}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.json().at("errors").as_object().contains("member_ids")) << r.body;
  r = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "channel"}, {"name", std::string(81, 'n')}});
  EXPECT_EQ(r.status, 400);
  r = call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "channel"}, {"name", "a\nb"}});
  EXPECT_EQ(r.status, 400);
  r = call(alice, "POST", "/api/v1/conversations",
           json::object{{"kind", "channel"}, {"name", "ok"}, {"is_admin", true}});
  EXPECT_EQ(r.status, 400) << "unknown fields are refused";
  auto created =
      call(alice, "POST", "/api/v1/conversations", json::object{{"kind", "channel"}, {"name", "  general  "}});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.json().at("name"), "general");
  EXPECT_EQ(created.json().at("visibility"), "public");
  EXPECT_EQ(created.json().at("my_role"), "owner");
}

TEST_P(ConversationsTest, NonMembersGetNotFoundEverywhere) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto eve = user("eve");
  const auto id = group(alice, {bob.id});
  const auto message = send(alice, id, "secret").at("id").as_int64();
  const std::string c = conversation_path(id);
  const std::string m = "/api/v1/messages/" + std::to_string(message);
  for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{{"GET", c},
                                                                                {"GET", c + "/members"},
                                                                                {"GET", c + "/messages"},
                                                                                {"GET", c + "/export"},
                                                                                {"POST", c + "/join"},
                                                                                {"POST", c + "/leave"},
                                                                                {"GET", m},
                                                                                {"GET", m + "/history"},
                                                                                {"DELETE", m},
                                                                                {"PUT", m + "/reactions/thumbsup"}}) {
    EXPECT_EQ(call(eve, method, target).status, 404) << method << " " << target;
  }
  EXPECT_EQ(call(eve, "POST", c + "/messages", json::object{{"body", "hi"}}).status, 404);
  EXPECT_EQ(call(eve, "PATCH", c, json::object{{"name", "mine"}}).status, 404);
  EXPECT_EQ(call(eve, "PATCH", m, json::object{{"body", "mine"}}).status, 404);
  EXPECT_EQ(call(eve, "POST", c + "/read", json::object{{"up_to_message_id", message}}).status, 404);
  EXPECT_EQ(call(eve, "POST", c + "/members", json::object{{"user_ids", {eve.id}}}).status, 404);
  EXPECT_EQ(call(eve, "GET", "/api/v1/conversations/987654").status, 404);
  // Nothing about the group reached Eve.
  EXPECT_TRUE(events().of(eve.id).empty());
  // Unauthenticated callers are asked to authenticate.
  EXPECT_EQ(http_request(port(), "GET", c).status, 401);
}

TEST_P(ConversationsTest, PublicChannelsAreBrowsedJoinedAndLeft) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto general = channel(alice, "general");
  channel(alice, "secret-plans", "private");
  const auto random = channel(alice, "random");

  auto browse = call(bob, "GET", "/api/v1/conversations/browse");
  ASSERT_EQ(browse.status, 200);
  auto names = browse.json().at("results").as_array();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].at("name"), "general");
  EXPECT_EQ(names[1].at("name"), "random");
  auto filtered = call(bob, "GET", "/api/v1/conversations/browse?q=RAND");
  ASSERT_EQ(filtered.json().at("results").as_array().size(), 1u);
  auto paged = call(bob, "GET", "/api/v1/conversations/browse?limit=1");
  ASSERT_FALSE(paged.json().at("next").is_null());
  auto next = call(bob, "GET", std::string(paged.json().at("next").as_string()));
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(next.json().at("results").at(0).at("id"), random);
  EXPECT_EQ(call(bob, "GET", "/api/v1/conversations/browse?cursor=zz.1").status, 400);

  // Details are visible before joining; messages are not.
  auto details = call(bob, "GET", conversation_path(general));
  ASSERT_EQ(details.status, 200);
  EXPECT_TRUE(details.json().at("my_role").is_null());
  EXPECT_EQ(call(bob, "GET", messages_path(general)).status, 404);

  auto joined = call(bob, "POST", conversation_path(general) + "/join");
  ASSERT_EQ(joined.status, 200) << joined.body;
  EXPECT_EQ(joined.json().at("my_role"), "member");
  EXPECT_EQ(joined.json().at("member_count"), 2);
  EXPECT_EQ(call(bob, "POST", conversation_path(general) + "/join").status, 200) << "idempotent";
  ASSERT_EQ(events().of(alice.id, "member.added").size(), 1u);
  EXPECT_EQ(events().of(alice.id, "member.added")[0].second.at("user_id"), bob.id);
  EXPECT_EQ(events().of(bob.id, "member.added").size(), 1u);
  EXPECT_EQ(call(bob, "GET", messages_path(general)).status, 200);

  EXPECT_EQ(call(bob, "POST", conversation_path(general) + "/leave").status, 204);
  EXPECT_EQ(call(bob, "GET", messages_path(general)).status, 404);
  EXPECT_EQ(events().of(alice.id, "member.removed").size(), 1u);
  EXPECT_EQ(events().of(bob.id, "member.removed").size(), 1u);
  EXPECT_EQ(call(bob, "POST", conversation_path(general) + "/leave").status, 404);
}

TEST_P(ConversationsTest, PrivateConversationsCannotBeJoined) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto secret = channel(alice, "secret", "private");
  EXPECT_EQ(call(bob, "POST", conversation_path(secret) + "/join").status, 404);
  EXPECT_EQ(call(bob, "GET", conversation_path(secret)).status, 404);
  const auto g = group(alice, {});
  EXPECT_EQ(call(bob, "POST", conversation_path(g) + "/join").status, 404);
}

TEST_P(ConversationsTest, GuestsAreLimited) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto guest = user("guest", "guest");
  const auto general = channel(alice, "general");
  EXPECT_EQ(call(guest, "POST", "/api/v1/conversations", json::object{{"kind", "channel"}, {"name", "g"}}).status, 403);
  EXPECT_EQ(call(guest, "POST", "/api/v1/conversations", json::object{{"kind", "group"}}).status, 403);
  EXPECT_EQ(call(guest, "GET", "/api/v1/conversations/browse").status, 403);
  EXPECT_EQ(call(guest, "POST", conversation_path(general) + "/join").status, 403);
  EXPECT_EQ(call(guest, "GET", conversation_path(general)).status, 404);
  // A guest may message only people they share a conversation with.
  auto dm = call(guest, "POST", "/api/v1/conversations", json::object{{"kind", "direct"}, {"member_ids", {bob.id}}});
  EXPECT_EQ(dm.status, 400) << dm.body;
  const auto shared = group(alice, {guest.id});
  auto ok = call(guest, "POST", "/api/v1/conversations", json::object{{"kind", "direct"}, {"member_ids", {alice.id}}});
  EXPECT_EQ(ok.status, 201) << ok.body;
  // Inside a conversation they were added to, a guest talks like anyone but cannot add people.
  send(guest, shared, "hello from a guest");
  EXPECT_EQ(call(guest, "POST", conversation_path(shared) + "/members", json::object{{"user_ids", {bob.id}}}).status,
            403);
}

TEST_P(ConversationsTest, MembersAreAddedRemovedBannedAndPromoted) {
  auto owner = user("owner");
  auto bob = user("bob");
  auto carol = user("carol");
  auto dave = user("dave");
  const auto priv = channel(owner, "private-room", "private");
  const std::string members = conversation_path(priv) + "/members";
  auto added = call(owner, "POST", members, json::object{{"user_ids", {bob.id, carol.id}}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json().at("results").as_array().size(), 2u);
  auto again = call(owner, "POST", members, json::object{{"user_ids", {bob.id}}});
  EXPECT_EQ(again.json().at("results").as_array().size(), 0u) << "idempotent";
  EXPECT_EQ(call(owner, "POST", members, json::object{{"user_ids", json::array()}}).status, 400);
  EXPECT_EQ(call(owner, "POST", members, json::object{{"user_ids", {777777}}}).status, 400);
  // A plain member may not add people to a private channel, nor manage anyone.
  EXPECT_EQ(call(bob, "POST", members, json::object{{"user_ids", {dave.id}}}).status, 403);
  EXPECT_EQ(call(bob, "DELETE", members + "/" + std::to_string(carol.id)).status, 403);
  EXPECT_EQ(call(bob, "PATCH", conversation_path(priv), json::object{{"name", "mine"}}).status, 403);

  auto list = call(bob, "GET", members + "?limit=2");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().at("results").as_array().size(), 2u);
  auto rest = call(bob, "GET", std::string(list.json().at("next").as_string()));
  EXPECT_EQ(rest.json().at("results").as_array().size(), 1u);

  // Promotion: an admin manages members but not owners.
  auto promoted = call(owner, "PATCH", members + "/" + std::to_string(bob.id), json::object{{"role", "admin"}});
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(promoted.json().at("role"), "admin");
  EXPECT_EQ(call(bob, "PATCH", members + "/" + std::to_string(carol.id), json::object{{"role", "owner"}}).status, 403);
  EXPECT_EQ(call(bob, "DELETE", members + "/" + std::to_string(owner.id)).status, 403);
  EXPECT_EQ(call(owner, "PATCH", members + "/" + std::to_string(carol.id), json::object{{"role", "king"}}).status, 400);

  // Ban: Carol is out, cannot come back by being added, and sees nothing.
  const auto msg = send(owner, priv, "before the ban").at("id").as_int64();
  events().clear();
  EXPECT_EQ(call(bob, "DELETE", members + "/" + std::to_string(carol.id) + "?ban=true").status, 204);
  auto removed = events().of(carol.id, "member.removed");
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].second.at("banned"), true);
  EXPECT_EQ(call(carol, "GET", conversation_path(priv)).status, 404);
  EXPECT_EQ(call(carol, "GET", messages_path(priv)).status, 404);
  EXPECT_EQ(call(carol, "GET", "/api/v1/messages/" + std::to_string(msg)).status, 404);
  EXPECT_EQ(call(owner, "POST", members, json::object{{"user_ids", {carol.id}}}).status, 409);
  send(owner, priv, "after the ban");
  EXPECT_TRUE(events().of(carol.id, "message.created").empty());
  // Lifting the ban (DELETE without ban) lets her be added again.
  EXPECT_EQ(call(owner, "DELETE", members + "/" + std::to_string(carol.id)).status, 204);
  EXPECT_EQ(call(owner, "POST", members, json::object{{"user_ids", {carol.id}}}).status, 200);
  EXPECT_EQ(call(carol, "GET", messages_path(priv)).status, 200);
  // Removing yourself is leaving.
  EXPECT_EQ(call(carol, "DELETE", members + "/" + std::to_string(carol.id)).status, 204);
  EXPECT_EQ(call(carol, "GET", conversation_path(priv)).status, 404);
}

TEST_P(ConversationsTest, BannedUsersCannotRejoinPublicChannels) {
  auto owner = user("owner");
  auto bob = user("bob");
  const auto general = channel(owner, "general");
  ASSERT_EQ(call(bob, "POST", conversation_path(general) + "/join").status, 200);
  ASSERT_EQ(
      call(owner, "DELETE", conversation_path(general) + "/members/" + std::to_string(bob.id) + "?ban=true").status,
      204);
  EXPECT_EQ(call(bob, "POST", conversation_path(general) + "/join").status, 404);
  EXPECT_EQ(call(bob, "GET", conversation_path(general)).status, 404);
  EXPECT_TRUE(call(bob, "GET", "/api/v1/conversations/browse").json().at("results").as_array().empty());
}

TEST_P(ConversationsTest, RenameTopicAndArchive) {
  auto owner = user("owner");
  auto bob = user("bob");
  const auto g = group(owner, {bob.id}, "team");
  events().clear();
  auto renamed = call(owner, "PATCH", conversation_path(g), json::object{{"name", "the team"}, {"topic", "shipping"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json().at("name"), "the team");
  EXPECT_EQ(renamed.json().at("topic"), "shipping");
  auto updated = events().of(bob.id, "conversation.updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].second.at("name"), "the team");
  EXPECT_EQ(call(owner, "PATCH", conversation_path(g), json::object{{"topic", std::string(251, 't')}}).status, 400);

  EXPECT_EQ(call(bob, "DELETE", conversation_path(g)).status, 403);
  EXPECT_EQ(call(owner, "DELETE", conversation_path(g)).status, 204);
  EXPECT_EQ(call(owner, "DELETE", conversation_path(g)).status, 204) << "idempotent";
  auto archived = call(bob, "GET", conversation_path(g));
  EXPECT_FALSE(archived.json().at("archived_at").is_null());
  // Read-only now, but still readable.
  EXPECT_EQ(call(bob, "POST", messages_path(g), json::object{{"body", "anyone?"}}).status, 409);
  EXPECT_EQ(call(bob, "GET", messages_path(g)).status, 200);
  EXPECT_EQ(call(owner, "PATCH", conversation_path(g), json::object{{"name", "x"}}).status, 409);
}

TEST_P(ConversationsTest, ListShowsUnreadCountsAndLastMessage) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto quiet = group(alice, {bob.id}, "quiet");
  const auto busy = group(alice, {bob.id}, "busy");
  send(alice, quiet, "first");
  send(alice, busy, "one");
  send(alice, busy, "two");
  auto last = send(alice, busy, "three\n\nwith   spaces");

  auto list = call(bob, "GET", "/api/v1/conversations");
  ASSERT_EQ(list.status, 200);
  auto results = list.json().at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("id"), busy) << "most recently active first";
  EXPECT_EQ(results[0].at("unread_count"), 3);
  EXPECT_EQ(results[0].at("last_message").at("id"), last.at("id"));
  EXPECT_EQ(results[0].at("last_message").at("preview"), "three with spaces");
  EXPECT_EQ(results[1].at("unread_count"), 1);
  // The sender has read everything they wrote.
  EXPECT_EQ(call(alice, "GET", "/api/v1/conversations").json().at("results").at(0).at("unread_count"), 0);

  auto unread = call(bob, "GET", "/api/v1/unread");
  ASSERT_EQ(unread.status, 200);
  EXPECT_EQ(unread.json().at("total"), 4);
  EXPECT_EQ(unread.json().at("conversations").as_array().size(), 2u);

  auto read = call(bob, "POST", conversation_path(busy) + "/read", json::object{{"up_to_message_id", last.at("id")}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json().at("unread_count"), 0);
  auto read_events = events().of(bob.id, "read.updated");
  ASSERT_EQ(read_events.size(), 1u);
  EXPECT_EQ(read_events[0].second.at("last_read_message_id"), last.at("id"));
  EXPECT_TRUE(events().of(alice.id, "read.updated").empty()) << "read state is private";
  // The marker never moves back, and a message of another conversation is refused.
  auto first_busy = call(bob, "GET", messages_path(busy)).json().at("results").at(0).at("id").as_int64();
  EXPECT_EQ(call(bob, "POST", conversation_path(busy) + "/read", json::object{{"up_to_message_id", first_busy}})
                .json()
                .at("unread_count"),
            0);
  auto quiet_first = call(bob, "GET", messages_path(quiet)).json().at("results").at(0).at("id").as_int64();
  EXPECT_EQ(
      call(bob, "POST", conversation_path(busy) + "/read", json::object{{"up_to_message_id", quiet_first}}).status,
      400);
  EXPECT_EQ(call(bob, "GET", "/api/v1/unread").json().at("total"), 1);

  auto kinds = call(bob, "GET", "/api/v1/conversations?kind=direct");
  EXPECT_TRUE(kinds.json().at("results").as_array().empty());
  auto named = call(bob, "GET", "/api/v1/conversations?q=QUI");
  ASSERT_EQ(named.json().at("results").as_array().size(), 1u);
  EXPECT_EQ(call(bob, "GET", "/api/v1/conversations?kind=nope").status, 400);
  auto page = call(bob, "GET", "/api/v1/conversations?limit=1");
  ASSERT_FALSE(page.json().at("next").is_null());
  auto second = call(bob, "GET", std::string(page.json().at("next").as_string()));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json().at("results").at(0).at("id"), quiet);
  EXPECT_TRUE(second.json().at("next").is_null());
  EXPECT_EQ(call(bob, "GET", "/api/v1/conversations?cursor=1.x").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Databases, ConversationsTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
