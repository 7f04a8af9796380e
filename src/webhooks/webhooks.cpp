#include "webhooks/webhooks.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <limits>

#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "db/repositories/member_repository.hpp"
#include "webhooks/signature.hpp"

namespace parley::webhooks {

namespace asio = boost::asio;
namespace json = boost::json;
namespace repo = db::repositories;
using asio::awaitable;

namespace {

constexpr std::size_t kMaxEventTypes = 50;

std::string events_json(const std::vector<std::string>& events) {
  json::array array;
  for (const auto& e : events) array.emplace_back(e);
  return json::serialize(array);
}

bool subscribed(std::string_view events_json_text, std::string_view type) {
  boost::system::error_code ec;
  auto events = json::parse(events_json_text, ec);
  if (ec || !events.is_array()) return false;
  return std::any_of(events.as_array().begin(), events.as_array().end(), [type](const json::value& e) {
    return e.is_string() && (e.as_string() == "*" || e.as_string() == type);
  });
}

bool valid_event_type(std::string_view type) {
  const auto dot = type.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == type.size() || type.size() > 64) return false;
  return std::all_of(type.begin(), type.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.'; }) &&
         type.find('.', dot + 1) == std::string_view::npos;
}

std::string new_secret() { return "whsec_" + auth::random_token(32); }

}  // namespace

Webhooks::Webhooks(db::Database& database, jobs::Jobs& jobs, Sender& sender, WebhookSettings settings,
                   spdlog::logger& logger)
    : database_(database),
      jobs_(jobs),
      sender_(sender),
      settings_(std::move(settings)),
      logger_(logger),
      box_(settings_.server_secret, settings_.server_secret_fallbacks),
      repository_(database.dialect()) {}

awaitable<ResealReport> reseal_secrets(db::Database& database, const SecretBox& box) {
  repo::WebhookRepository repository(database.dialect());
  ResealReport report;
  std::int64_t after = 0;
  for (;;) {
    auto page = co_await repository.secrets_after(database, after, 500);
    for (const auto& [id, sealed] : page) {
      std::optional<std::string> resealed;
      try {
        resealed = box.reseal(sealed);
      } catch (const AppError&) {
        ++report.unreadable;
        continue;
      }
      if (!resealed) {
        ++report.current;
      } else if (co_await repository.replace_secret(database, id, sealed, *resealed)) {
        ++report.resealed;
      }
    }
    if (page.size() < 500) break;
    after = page.back().first;
  }
  co_return report;
}

void Webhooks::register_tasks(jobs::TaskRegistry& registry) {
  jobs::TaskDefaults defaults;
  defaults.queue = "webhooks";
  // 10 s doubling, capped at an hour: 32 retries span about 24 hours.
  defaults.backoff = std::chrono::seconds(10);
  defaults.max_retries = 32;
  defaults.timeout = std::chrono::seconds(30);
  registry.add(jobs::Task{.name = std::string(kDeliverTask),
                          .defaults = defaults,
                          .handler = [this](jobs::JobContext& job) { return deliver(job); }});
}

std::optional<std::string> Webhooks::url_problem(std::string_view url) { return check_url(url); }

std::optional<std::string> Webhooks::events_problem(const std::vector<std::string>& events) {
  if (events.empty()) return "Name at least one event type, or \"*\" for all.";
  if (events.size() > kMaxEventTypes) return "At most 50 event types.";
  for (const auto& e : events) {
    if (e != "*" && !valid_event_type(e)) return "\"" + e + "\" is not an event type such as message.created.";
  }
  return std::nullopt;
}

awaitable<void> Webhooks::check_conversation(const http::Principal& by, std::int64_t conversation_id) {
  repo::MemberRepository members(database_.dialect());
  auto member = co_await members.find(database_, conversation_id, by.user_id);
  if (!member || member->banned()) {
    throw AppError::validation({{"conversation_id", {"You are not a member of this conversation."}}});
  }
}

namespace {

// Webhooks copy what their owner can read to another system: not for guests (REST's routes say
// so too, with not_guest(); GraphQL has only this check).
void require_not_guest(const http::Principal& by) {
  if (by.role == "guest") throw AppError::forbidden("Guests cannot do this.");
}

}  // namespace

awaitable<WebhookWithSecret> Webhooks::do_create(const http::Principal& by, WebhookInput input) {
  require_not_guest(by);
  if (input.conversation_id) co_await check_conversation(by, *input.conversation_id);
  auto secret = new_secret();
  repo::WebhookFields fields{.conversation_id = input.conversation_id,
                             .url = std::move(input.url),
                             .events_json = events_json(input.events),
                             .description = std::move(input.description),
                             .secret_ciphertext = box_.seal(secret),
                             .is_active = true};
  auto created = co_await repository_.create(database_, by.user_id, fields);
  co_return WebhookWithSecret{std::move(created), std::move(secret)};
}

awaitable<std::vector<repo::Webhook>> Webhooks::list(const http::Principal& by, std::optional<std::int64_t> before,
                                                     int limit) {
  co_return co_await repository_.list_by_owner(database_, by.user_id,
                                               before.value_or(std::numeric_limits<std::int64_t>::max()), limit);
}

awaitable<repo::Webhook> Webhooks::owned(const http::Principal& by, std::int64_t id) {
  require_not_guest(by);
  auto hook = co_await repository_.find(database_, id);
  // Someone else's webhook is as absent as a missing one: ids do not reveal others' hooks.
  if (!hook || hook->owner_id != by.user_id) throw AppError::not_found("No webhook with this id.");
  co_return *hook;
}

awaitable<repo::Webhook> Webhooks::get(const http::Principal& by, std::int64_t id) { co_return co_await owned(by, id); }

awaitable<WebhookWithSecret> Webhooks::do_update(const http::Principal& by, std::int64_t id, WebhookPatch patch) {
  auto hook = co_await owned(by, id);
  if (patch.conversation_id && *patch.conversation_id) co_await check_conversation(by, **patch.conversation_id);
  std::optional<std::string> secret;
  if (patch.rotate_secret) secret = new_secret();
  repo::WebhookFields fields{.conversation_id = patch.conversation_id ? *patch.conversation_id : hook.conversation_id,
                             .url = patch.url ? *patch.url : hook.url,
                             .events_json = patch.events ? events_json(*patch.events) : hook.events_json,
                             .description = patch.description ? *patch.description : hook.description,
                             .secret_ciphertext = secret ? box_.seal(*secret) : hook.secret_ciphertext,
                             .is_active = patch.is_active.value_or(hook.is_active)};
  auto updated = co_await repository_.update(database_, id, fields);
  if (!updated) throw AppError::not_found("No webhook with this id.");
  co_return WebhookWithSecret{std::move(*updated), std::move(secret)};
}

awaitable<void> Webhooks::do_delete(const http::Principal& by, std::int64_t id) {
  co_await owned(by, id);
  co_await repository_.remove(database_, id);
}

awaitable<std::vector<repo::WebhookDelivery>> Webhooks::deliveries(const http::Principal& by, std::int64_t id,
                                                                   std::optional<std::int64_t> before, int limit) {
  co_await owned(by, id);
  co_return co_await repository_.deliveries(database_, id, before.value_or(std::numeric_limits<std::int64_t>::max()),
                                            limit);
}

awaitable<std::int64_t> Webhooks::dispatch_pass(std::int64_t span) {
  auto tx = co_await database_.begin();
  const auto cursor = co_await repository_.lock_cursor(*tx);
  const auto upto = co_await repository_.last_event_within(*tx, cursor, span);
  if (!upto) {
    co_await tx->rollback();
    co_return 0;
  }
  auto matches = co_await repository_.matches(*tx, cursor, *upto);
  int enqueued = 0;
  for (const auto& m : matches) {
    if (!subscribed(m.webhook_events_json, m.type)) continue;
    boost::system::error_code ec;
    auto data = json::parse(m.payload_json, ec);
    json::object body{{"event", m.type},
                      {"event_id", m.position},
                      {"created_at", m.created_at},
                      {"webhook_id", m.webhook_id},
                      {"data", ec ? json::value(nullptr) : std::move(data)}};
    const auto body_text = json::serialize(body);
    auto delivery = co_await repository_.insert_delivery(*tx, m.webhook_id, m.position, m.type, body_text);
    if (!delivery) continue;  // dispatched before (a pass that could not commit its cursor)
    json::object payload{{"delivery_id", *delivery}};
    // The delivery joins the trace of the request (or job) that wrote the event.
    jobs::EnqueueOptions options;
    options.traceparent = m.traceparent;
    auto job = co_await jobs_.enqueue(*tx, kDeliverTask, payload, options);
    if (job) co_await repository_.set_delivery_job(*tx, *delivery, *job);
    ++enqueued;
  }
  co_await repository_.advance_cursor(*tx, *upto);
  co_await tx->commit();
  if (enqueued > 0) jobs_.committed();
  co_return *upto - cursor;
}

awaitable<void> Webhooks::deliver(jobs::JobContext& job) {
  const auto* id = job.payload().if_contains("delivery_id");
  if (id == nullptr || !id->is_int64()) throw AppError::internal("webhooks.deliver: no delivery_id");
  auto pending = co_await repository_.pending_delivery(database_, id->as_int64());
  if (!pending || pending->status != "pending") co_return;  // deleted with its webhook, or done
  const auto delivery_id = pending->id;
  if (!pending->webhook_active) {
    std::optional<std::string> why = "the webhook is disabled";
    co_await repository_.record_attempt(database_, delivery_id, "failed", std::nullopt, why, 0);
    co_return;
  }
  std::string secret;
  std::optional<std::string> unreadable;  // no co_await in a handler: recorded below
  try {
    secret = box_.open(pending->secret_ciphertext);
  } catch (const AppError& e) {
    unreadable = e.internal_detail();
  }
  if (unreadable) {
    co_await repository_.record_attempt(database_, delivery_id, "failed", std::nullopt, unreadable, 0);
    co_return;
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  Delivery request{.url = pending->url,
                   .body = pending->payload_json,
                   .headers = {{"Parley-Signature", sign(secret, now, pending->payload_json)},
                               {"Parley-Event", pending->event_type},
                               {"Parley-Delivery", std::to_string(delivery_id)}}};
  // The delivery job's span continues into the receiver's trace (W3C trace context).
  if (const trace::SpanContext* span = trace::current()) {
    request.headers.emplace_back("traceparent", trace::format_traceparent(*span));
    if (const trace::Slot* slot = trace::current_slot(); !slot->tracestate.empty())
      request.headers.emplace_back("tracestate", slot->tracestate);
  }
  auto result = co_await sender_.post(std::move(request));
  const int duration_ms = static_cast<int>(result.duration.count());
  std::optional<int> code = result.status > 0 ? std::optional<int>(result.status) : std::nullopt;
  if (result.status >= 200 && result.status < 300) {
    // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
    const std::optional<std::string> no_error;
    co_await repository_.record_attempt(database_, delivery_id, "succeeded", code, no_error, duration_ms);
    co_await repository_.mark_healthy(database_, pending->webhook_id);
    co_return;
  }
  std::optional<std::string> error = result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error;
  const bool still_active = co_await repository_.mark_failing(database_, pending->webhook_id,
                                                              static_cast<double>(settings_.disable_after.count()));
  const bool final = job.last_attempt() || !still_active;
  co_await repository_.record_attempt(database_, delivery_id, final ? "failed" : "pending", code, error, duration_ms);
  if (!still_active) {
    logger_.warn("webhook {} switched off: every delivery failed for {} s", pending->webhook_id,
                 settings_.disable_after.count());
  }
  // Failing the attempt makes the job system retry it later (backoff with jitter).
  if (!final) throw AppError::unavailable("webhook delivery failed: " + *error);
}

}  // namespace parley::webhooks
