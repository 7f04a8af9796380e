#pragma once
// Outgoing webhooks (docs/api.md "Webhooks and bots", docs/webhooks.md): a user registers a URL for
// event types, optionally of one conversation; every matching event they could see on their own
// event stream is POSTed there, signed with the webhook's secret
// (`Parley-Signature: t=<unix>,v1=<hex hmac-sha256(secret, t + "." + body)>`), retried with
// backoff for about 24 hours, logged per attempt, and the webhook is switched off after failing
// for PARLEY_WEBHOOK_DISABLE_AFTER.
//
// The path of an event: committed and numbered (events/event_stream.hpp) -> the dispatcher
// (dispatch_pass, run by a jobs::DispatchLoop in `parley worker`) reads the event log after its
// cursor and, in one transaction, writes a delivery row and a `webhooks.deliver` job per matching
// webhook and moves the cursor -> the job POSTs it (webhooks/sender.hpp refuses private targets).
#include <spdlog/logger.h>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "db/repositories/webhook_repository.hpp"
#include "http/request.hpp"
#include "jobs/jobs.hpp"
#include "webhooks/secret_box.hpp"
#include "webhooks/sender.hpp"

namespace parley::webhooks {

struct WebhookSettings {
  std::string server_secret;                          // PARLEY_SECRET_KEY
  std::vector<std::string> server_secret_fallbacks;   // PARLEY_SECRET_KEY_FALLBACKS
  std::chrono::seconds disable_after{3 * 24 * 3600};  // PARLEY_WEBHOOK_DISABLE_AFTER
};

// POST /webhooks.
struct WebhookInput {
  std::string url;
  std::vector<std::string> events;  // event types, or {"*"}
  std::optional<std::int64_t> conversation_id;
  std::string description;
};

// PATCH /webhooks/{id}: what is present changes.
struct WebhookPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::optional<std::int64_t>> conversation_id;  // present and null: every conversation
  std::optional<std::string> description;
  std::optional<bool> is_active;
  bool rotate_secret = false;
};

struct WebhookWithSecret {
  db::repositories::Webhook webhook;
  std::optional<std::string> secret;  // only when created or rotated
};

// `parley webhooks reseal`: every webhook secret sealed under a fallback key is sealed again under
// the current one (in pages; safe beside running servers: a secret changed meanwhile is left as
// it is). After it, the fallback can be removed.
struct ResealReport {
  int resealed = 0;    // were under a fallback key
  int current = 0;     // already under the current key
  int unreadable = 0;  // no key opens them: their webhooks need "rotate_secret"
};
boost::asio::awaitable<ResealReport> reseal_secrets(db::Database& database, const SecretBox& box);

class Webhooks {
 public:
  static constexpr std::string_view kDeliverTask = "webhooks.deliver";

  Webhooks(db::Database& database, jobs::Jobs& jobs, Sender& sender, WebhookSettings settings, spdlog::logger& logger);

  void register_tasks(jobs::TaskRegistry& registry);

  // 400 for a bad URL, event type, or a conversation the caller is not in.
  boost::asio::awaitable<WebhookWithSecret> do_create(const http::Principal& by, WebhookInput input);
  boost::asio::awaitable<std::vector<db::repositories::Webhook>> list(const http::Principal& by,
                                                                      std::optional<std::int64_t> before, int limit);
  // 404 unless it is the caller's.
  boost::asio::awaitable<db::repositories::Webhook> get(const http::Principal& by, std::int64_t id);
  boost::asio::awaitable<WebhookWithSecret> do_update(const http::Principal& by, std::int64_t id, WebhookPatch patch);
  boost::asio::awaitable<void> do_delete(const http::Principal& by, std::int64_t id);
  boost::asio::awaitable<std::vector<db::repositories::WebhookDelivery>> deliveries(const http::Principal& by,
                                                                                    std::int64_t id,
                                                                                    std::optional<std::int64_t> before,
                                                                                    int limit);

  // One dispatcher pass over at most `span` events after the cursor; returns how many events it
  // read (0: caught up). Safe to run from several processes at once (the cursor row is locked).
  boost::asio::awaitable<std::int64_t> dispatch_pass(std::int64_t span = 500);

  // Validation shared with the routes: the problem with `url` / `events`, or nullopt.
  static std::optional<std::string> url_problem(std::string_view url);
  static std::optional<std::string> events_problem(const std::vector<std::string>& events);

 private:
  boost::asio::awaitable<void> deliver(jobs::JobContext& job);
  boost::asio::awaitable<db::repositories::Webhook> owned(const http::Principal& by, std::int64_t id);
  boost::asio::awaitable<void> check_conversation(const http::Principal& by, std::int64_t conversation_id);

  db::Database& database_;
  jobs::Jobs& jobs_;
  Sender& sender_;
  WebhookSettings settings_;
  spdlog::logger& logger_;
  SecretBox box_;
  db::repositories::WebhookRepository repository_;
};

}  // namespace parley::webhooks
