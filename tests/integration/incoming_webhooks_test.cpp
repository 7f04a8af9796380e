// Incoming webhooks (messaging/incoming_webhooks.hpp) on SQLite and PostgreSQL: a conversation
// manager makes one, another system posts through its secret URL as the webhook's bot, and a
// revoked URL stops working while the bot's messages stay.
#include "messaging_fixture.hpp"

#include <gtest/gtest.h>

namespace parley::testing {
namespace {

namespace json = boost::json;

class IncomingWebhooksTest : public MessagingTest {
 protected:
  static std::string hooks_path(std::int64_t conversation_id) {
    return conversation_path(conversation_id) + "/incoming-webhooks";
  }
  HttpResult post_hook(const std::string& token, const json::value& body) {
    return http_request(port(), "POST", "/hooks/" + token, json_headers(), json::serialize(body));
  }
};

TEST_P(IncomingWebhooksTest, AManagerMakesOneAndOtherSystemsPostAsItsBot) {
  auto alice = user("alice");
  auto bob = user("bob");
  auto carol = user("carol");
  const auto room = group(alice, {bob.id}, "builds");

  EXPECT_EQ(call(bob, "POST", hooks_path(room), json::object{{"name", "CI"}}).status, 403) << "members do not manage";
  EXPECT_EQ(call(carol, "POST", hooks_path(room), json::object{{"name", "CI"}}).status, 404) << "outsiders see nothing";
  auto bad = call(alice, "POST", hooks_path(room), json::object{{"name", ""}});
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(bad.json().at("errors").as_object().contains("name")) << bad.body;

  auto created = call(alice, "POST", hooks_path(room), json::object{{"name", "CI"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto hook = created.json().as_object();
  const std::string token(hook.at("token").as_string());
  EXPECT_TRUE(token.starts_with("hook_")) << token;
  EXPECT_TRUE(std::string(hook.at("url").as_string()).ends_with("/hooks/" + token));
  const auto bot_id = hook.at("bot").at("id").as_int64();
  EXPECT_EQ(hook.at("bot").at("display_name"), "CI");
  EXPECT_TRUE(std::string(hook.at("bot").at("username").as_string()).starts_with("bot-"));

  events().clear();
  auto posted = post_hook(token, json::object{{"text", "build **green** for @bob"}});
  ASSERT_EQ(posted.status, 201) << posted.body;
  EXPECT_EQ(posted.json().at("sender").at("id").as_int64(), bot_id);
  EXPECT_EQ(posted.json().at("sender").at("display_name"), "CI");
  EXPECT_EQ(posted.json().at("conversation_id").as_int64(), room);
  EXPECT_NE(std::string(posted.json().at("html").as_string()).find("<strong>green</strong>"), std::string::npos);
  auto page = call(bob, "GET", messages_path(room));
  ASSERT_EQ(page.status, 200);
  bool seen = false;
  const auto page_json = page.json();  // the loop refers into it
  for (const auto& m : page_json.at("results").as_array()) seen = seen || m.at("sender").at("id").as_int64() == bot_id;
  EXPECT_TRUE(seen) << page.body;

  // No token shown again; errors say nothing about which part was wrong.
  auto listed = call(alice, "GET", hooks_path(room));
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json().at("results").as_array().size(), 1u);
  EXPECT_FALSE(listed.json().at("results").at(0).as_object().contains("token"));
  EXPECT_EQ(post_hook("hook_" + std::string(43, 'A'), json::object{{"text", "x"}}).status, 404);
  EXPECT_EQ(post_hook("nonsense", json::object{{"text", "x"}}).status, 404);
  auto no_text = post_hook(token, json::object{{"body", "x"}});
  ASSERT_EQ(no_text.status, 400) << no_text.body;
  EXPECT_TRUE(no_text.json().at("errors").as_object().contains("text"));

  // Revoked: the URL stops working, the bot's message stays.
  const auto hook_id = hook.at("id").as_int64();
  EXPECT_EQ(call(bob, "DELETE", hooks_path(room) + "/" + std::to_string(hook_id)).status, 403);
  EXPECT_EQ(call(alice, "DELETE", hooks_path(room) + "/" + std::to_string(hook_id)).status, 204);
  EXPECT_EQ(call(alice, "DELETE", hooks_path(room) + "/" + std::to_string(hook_id)).status, 404);
  EXPECT_EQ(post_hook(token, json::object{{"text", "after revocation"}}).status, 404);
  EXPECT_TRUE(call(alice, "GET", hooks_path(room)).json().at("results").as_array().empty());
  EXPECT_EQ(call(bob, "GET", "/api/v1/messages/" + std::to_string(posted.json().at("id").as_int64())).status, 200);
}

TEST_P(IncomingWebhooksTest, DirectConversationsHaveNone) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto direct =
      conversation(alice, {{"kind", "direct"}, {"member_ids", json::array{bob.id}}}).at("id").as_int64();
  auto r = call(alice, "POST", hooks_path(direct), json::object{{"name", "CI"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json().at("code").as_string(), "invalid_direct");
}

INSTANTIATE_TEST_SUITE_P(Backends, IncomingWebhooksTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
