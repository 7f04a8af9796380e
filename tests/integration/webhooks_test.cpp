// Outgoing webhooks end to end (docs/webhooks.md) on SQLite and PostgreSQL: a real HTTP receiver on
// loopback (PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS=1) that checks the signature as a client would,
// fails on demand, and records what arrived.
#include "messaging_fixture.hpp"

#include "http_receiver.hpp"
#include "webhooks/signature.hpp"
#include "webhooks/webhooks.hpp"


#include <gtest/gtest.h>


namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class WebhooksTest : public MessagingTest {
 protected:
  void SetUp() override { start({{"PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "1"}}); }

  json::object create_hook(const TestUser& u, json::object body, int expect = 201) {
    auto r = call(u, "POST", "/api/v1/webhooks", body);
    EXPECT_EQ(r.status, expect) << r.body;
    return r.json().as_object();
  }
  json::array deliveries(const TestUser& u, std::int64_t hook) {
    auto r = call(u, "GET", "/api/v1/webhooks/" + std::to_string(hook) + "/deliveries");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("results").as_array();
  }
  static std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

TEST_P(WebhooksTest, MatchingEventsArriveSignedAndAreLogged) {
  Receiver receiver;
  auto ann = user("ann");
  auto bob = user("bob");
  auto room = group(ann, {bob.id});
  auto other = group(bob, {});  // ann is not in it
  auto hook =
      create_hook(ann, {{"url", receiver.url()}, {"events", json::array{"message.created"}}, {"description", "ci"}});
  const auto secret = std::string(hook.at("secret").as_string());
  EXPECT_TRUE(secret.starts_with("whsec_"));
  const auto hook_id = hook.at("id").as_int64();

  auto sent = send(bob, room, "hello **ann**");
  send(bob, other, "not for ann's hook");
  ASSERT_TRUE(eventually([&] { return receiver.requests() >= 1; }, 5s));
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 1u) << "the other conversation's message is not ann's to see";
  EXPECT_TRUE(webhooks::verify(secret, got[0].signature, got[0].body, now_unix())) << got[0].signature;
  EXPECT_FALSE(webhooks::verify("whsec_wrong", got[0].signature, got[0].body, now_unix()));
  EXPECT_EQ(got[0].event, "message.created");
  EXPECT_EQ(got[0].content_type, "application/json");
  auto body = json::parse(got[0].body).as_object();
  EXPECT_EQ(body.at("event").as_string(), "message.created");
  EXPECT_EQ(body.at("webhook_id").as_int64(), hook_id);
  EXPECT_EQ(body.at("data").at("id").as_int64(), sent.at("id").as_int64()) << got[0].body;

  ASSERT_TRUE(eventually([&] {
    auto log = deliveries(ann, hook_id);
    return log.size() == 1 && log[0].at("status").as_string() == "succeeded";
  }));
  auto log = deliveries(ann, hook_id);
  EXPECT_EQ(log[0].at("attempts").as_int64(), 1);
  EXPECT_EQ(log[0].at("last_status_code").as_int64(), 200);
  EXPECT_EQ(std::to_string(log[0].at("id").as_int64()), got[0].delivery);

  // The secret is shown once; others cannot see or touch the webhook.
  auto shown = call(ann, "GET", "/api/v1/webhooks/" + std::to_string(hook_id));
  EXPECT_EQ(shown.status, 200);
  EXPECT_FALSE(shown.json().as_object().contains("secret"));
  EXPECT_EQ(call(bob, "GET", "/api/v1/webhooks/" + std::to_string(hook_id)).status, 404);
  EXPECT_EQ(call(bob, "DELETE", "/api/v1/webhooks/" + std::to_string(hook_id)).status, 404);
  EXPECT_EQ(call(bob, "GET", "/api/v1/webhooks/" + std::to_string(hook_id) + "/deliveries").status, 404);
}

TEST_P(WebhooksTest, ResealingAfterAKeyRotationKeepsEverySecret) {
  auto ann = user("ann");
  create_hook(ann, {{"url", "https://a.example/hook"}, {"events", json::array{"*"}}});
  create_hook(ann, {{"url", "https://b.example/hook"}, {"events", json::array{"*"}}});
  auto sealed = [this] {
    return on_app([this]() -> boost::asio::awaitable<std::vector<std::pair<std::int64_t, std::string>>> {
      db::repositories::WebhookRepository repository(app().database().dialect());
      co_return co_await repository.secrets_after(app().database(), 0, 100);
    }());
  };
  const auto before = sealed();
  ASSERT_EQ(before.size(), 2u);
  // The server's key becomes a fallback of a new one: `parley webhooks reseal` does this.
  const webhooks::SecretBox old_box(app().config().secret_key);
  const webhooks::SecretBox rotated("a brand new server secret, at least 32 characters", {app().config().secret_key});
  auto report = on_app(webhooks::reseal_secrets(app().database(), rotated));
  EXPECT_EQ(report.resealed, 2);
  EXPECT_EQ(report.current, 0);
  EXPECT_EQ(report.unreadable, 0);
  const webhooks::SecretBox new_only("a brand new server secret, at least 32 characters");
  const auto after = sealed();
  ASSERT_EQ(after.size(), 2u);
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(new_only.open(after[i].second), old_box.open(before[i].second)) << "the same secret, new key";
    EXPECT_THROW(old_box.open(after[i].second), AppError);
  }
  // A second pass finds nothing to do.
  report = on_app(webhooks::reseal_secrets(app().database(), rotated));
  EXPECT_EQ(report.current, 2);
  EXPECT_EQ(report.resealed, 0);
}

TEST_P(WebhooksTest, AFailingTargetIsRetriedUntilItAnswers) {
  Receiver receiver;
  receiver.fail_first(2);
  auto ann = user("ann");
  auto room = group(ann, {});
  auto hook = create_hook(ann, {{"url", receiver.url()}, {"events", json::array{"message.created"}}});
  const auto hook_id = hook.at("id").as_int64();
  // The webhook task's first retry waits 10 s; the test makes its jobs due at once instead.
  send(ann, room, "one");
  ASSERT_TRUE(eventually([&] { return receiver.requests() >= 1; }, 5s));
  auto make_due = [&] {
    on_app([this]() -> boost::asio::awaitable<void> {
      co_await app().database().execute(
          db::Query{"", "UPDATE jobs SET run_at = created_at WHERE status = 'queued' AND task = 'webhooks.deliver'"});
    }());
  };
  ASSERT_TRUE(eventually(
      [&] {
        make_due();
        return receiver.requests() >= 3;
      },
      10s));
  ASSERT_TRUE(eventually([&] {
    auto log = deliveries(ann, hook_id);
    return log.size() == 1 && log[0].at("status").as_string() == "succeeded";
  }));
  auto log = deliveries(ann, hook_id);
  EXPECT_EQ(log[0].at("attempts").as_int64(), 3) << "two failures, then the success";
  EXPECT_EQ(log[0].at("last_status_code").as_int64(), 200);
  EXPECT_EQ(receiver.requests(), 3);
  auto shown = call(ann, "GET", "/api/v1/webhooks/" + std::to_string(hook_id)).json();
  EXPECT_TRUE(shown.at("is_active").as_bool());
  EXPECT_TRUE(shown.at("failing_since").is_null()) << "a success ends the failing period";
}

TEST_P(WebhooksTest, AWebhookFailingLongerThanAllowedIsSwitchedOff) {
  start({{"PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "1"}, {"PARLEY_WEBHOOK_DISABLE_AFTER", "1s"}});
  Receiver receiver;
  receiver.fail_first(1000);
  auto ann = user("ann");
  auto room = group(ann, {});
  auto hook = create_hook(ann, {{"url", receiver.url()}, {"events", json::array{"message.created"}}});
  const auto hook_id = hook.at("id").as_int64();
  const auto path = "/api/v1/webhooks/" + std::to_string(hook_id);
  send(ann, room, "one");
  ASSERT_TRUE(eventually([&] { return receiver.requests() >= 1; }, 5s));
  // Failing for more than a second, then another failure: switched off.
  ASSERT_TRUE(eventually(
      [&] {
        on_app([this]() -> boost::asio::awaitable<void> {
          co_await app().database().execute(db::Query{
              "", "UPDATE jobs SET run_at = created_at WHERE status = 'queued' AND task = 'webhooks.deliver'"});
        }());
        return !call(ann, "GET", path).json().at("is_active").as_bool();
      },
      15s));
  auto shown = call(ann, "GET", path).json();
  EXPECT_FALSE(shown.at("disabled_reason").is_null());
  auto log = deliveries(ann, hook_id);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].at("status").as_string(), "failed");
  // Switched back on, it receives again.
  receiver.fail_first(0);
  auto on = call(ann, "PATCH", path, json::object{{"is_active", true}});
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_TRUE(on.json().at("disabled_reason").is_null());
  const int before = receiver.requests();
  send(ann, room, "two");
  EXPECT_TRUE(eventually([&] { return receiver.requests() > before; }, 5s));
}

TEST_P(WebhooksTest, BadInputIsRefusedWithFieldErrors) {
  auto ann = user("ann");
  auto bob = user("bob");
  auto bobs = group(bob, {});
  auto r = call(ann, "POST", "/api/v1/webhooks",
                json::object{{"url", "ftp://example.com/x"}, {"events", json::array{"Message Created"}}});
  ASSERT_EQ(r.status, 400) << r.body;
  auto errors = r.json().at("errors").as_object();
  EXPECT_TRUE(errors.contains("url")) << r.body;
  EXPECT_TRUE(errors.contains("events")) << r.body;
  EXPECT_EQ(call(ann, "POST", "/api/v1/webhooks", json::object{{"url", "https://example.com/x"}}).status, 400);
  auto not_member =
      call(ann, "POST", "/api/v1/webhooks",
           json::object{{"url", "https://example.com/x"}, {"events", json::array{"*"}}, {"conversation_id", bobs}});
  EXPECT_EQ(not_member.status, 400) << not_member.body;
  EXPECT_EQ(call(ann, "POST", "/api/v1/webhooks",
                 json::object{{"url", "https://example.com/x"}, {"events", json::array{"*"}}, {"extra", 1}})
                .status,
            400);
  // Rotating gives a new secret once.
  auto hook = create_hook(ann, {{"url", "https://example.com/x"}, {"events", json::array{"*"}}});
  auto rotated = call(ann, "PATCH", "/api/v1/webhooks/" + std::to_string(hook.at("id").as_int64()),
                      json::object{{"rotate_secret", true}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(rotated.json().at("secret"), hook.at("secret"));
  EXPECT_EQ(call(ann, "DELETE", "/api/v1/webhooks/" + std::to_string(hook.at("id").as_int64())).status, 204);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhooksTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
