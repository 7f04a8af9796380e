#include "accounts/ip_rules.hpp"

#include "accounts/audit.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include <algorithm>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;

namespace {

std::string_view action_name(IpRuleAction action) { return action == IpRuleAction::allow ? "allow" : "deny"; }

}  // namespace

IpRules::IpRules(db::Database& db, asio::any_io_executor executor, spdlog::logger& logger, Publish publish)
    : db_(db),
      executor_(std::move(executor)),
      logger_(logger),
      publish_(std::move(publish)),
      rules_(db.dialect()),
      audit_log_(db.dialect()),
      current_(std::make_shared<const IpRuleSet>()) {}

IpDecision IpRules::decide(std::string_view client_ip, Clock::time_point now) const {
  if (!has_rules_.load(std::memory_order_acquire)) return IpDecision{};
  auto set = current_.load(std::memory_order_acquire);
  auto address = parse_ip_address(client_ip);
  if (!address) return IpDecision{.allowed = !set->allow_list_mode(now), .rule_id = std::nullopt};
  return set->decide(*address, now);
}

std::vector<IpRule> IpRules::to_rules(const std::vector<repo::IpRuleRecord>& records) const {
  std::vector<IpRule> rules;
  rules.reserve(records.size());
  for (const auto& record : records) {
    auto parsed = parse_cidr(record.cidr);
    std::optional<Clock::time_point> expires_at;
    if (record.expires_at) expires_at = parse_rfc3339(*record.expires_at);
    if (!parsed.cidr || (record.expires_at && !expires_at) || (record.action != "allow" && record.action != "deny")) {
      // Only SQL written by hand gets here (the actions validate); never guess what was meant.
      logger_.error("ip rule {} is unreadable and is ignored: cidr '{}', action '{}'", record.id, record.cidr,
                    record.action);
      continue;
    }
    rules.push_back(IpRule{.id = record.id,
                           .cidr = *parsed.cidr,
                           .action = record.action == "allow" ? IpRuleAction::allow : IpRuleAction::deny,
                           .expires_at = expires_at});
  }
  return rules;
}

asio::awaitable<void> IpRules::reload() {
  const std::uint64_t ticket = next_ticket_.fetch_add(1, std::memory_order_acq_rel) + 1;
  const std::string now = format_rfc3339(Clock::now());
  auto records = co_await rules_.list_unexpired(db_, now);
  auto set = std::make_shared<const IpRuleSet>(to_rules(records));
  std::lock_guard lock(swap_mutex_);
  if (ticket < stored_ticket_) co_return;  // a reload that started later has stored newer rules
  stored_ticket_ = ticket;
  const bool any = !set->empty();
  current_.store(std::move(set), std::memory_order_release);
  has_rules_.store(any, std::memory_order_release);
}

void IpRules::received(std::string_view) {
  asio::co_spawn(executor_, reload(), [this](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      logger_.error("could not reload the IP rules after a change notice; the previous rules stay: {}", e.what());
    }
  });
}

asio::awaitable<std::vector<repo::IpRuleRecord>> IpRules::list(std::optional<std::int64_t> before_id, int limit) {
  co_return co_await rules_.list(db_, before_id, limit);
}

asio::awaitable<repo::IpRuleRecord> IpRules::get(std::int64_t id) {
  auto found = co_await rules_.find(db_, id);
  if (!found) throw AppError::not_found();
  co_return *found;
}

void IpRules::check_not_locked_out(const IpRuleSet& rules, std::string_view caller_ip, Clock::time_point now,
                                   bool force) {
  if (force) return;
  auto address = parse_ip_address(caller_ip);
  bool allowed = address ? rules.decide(*address, now).allowed : !rules.allow_list_mode(now);
  if (allowed) return;
  throw AppError::conflict("With this change your own address (" + std::string(caller_ip) +
                               ") would be refused. Repeat the request with ?force=true to apply it anyway.",
                           "ip_rule_lockout");
}

asio::awaitable<repo::IpRuleRecord> IpRules::do_create_rule(http::Principal by, IpRuleInput input, bool force,
                                                            RequestMeta meta) {
  const auto now = Clock::now();
  const std::string now_text = format_rfc3339(now);
  repo::NewIpRule record{.cidr = input.cidr.to_string(),
                         .action = std::string(action_name(input.action)),
                         .note = input.note,
                         .created_by = by.user_id,
                         .expires_at = std::nullopt};
  if (input.expires_at) record.expires_at = format_rfc3339(*input.expires_at);
  auto tx = co_await db_.begin();
  auto current = co_await rules_.list_unexpired(*tx, now_text);
  auto candidate = to_rules(current);
  std::int64_t next_id = 1;
  for (const auto& r : candidate) next_id = std::max(next_id, r.id + 1);
  candidate.push_back(
      IpRule{.id = next_id, .cidr = input.cidr, .action = input.action, .expires_at = input.expires_at});
  check_not_locked_out(IpRuleSet(std::move(candidate)), meta.ip, now, force);
  auto created = co_await rules_.create(*tx, record);
  boost::json::object details{
      {"cidr", created.cidr},
      {"action", created.action},
      {"note", created.note},
      {"expires_at", created.expires_at ? boost::json::value(*created.expires_at) : boost::json::value(nullptr)},
      {"forced", force}};
  auto entry = audit_entry(by.user_id, "ip_rule.created", repo::AuditTarget{"ip_rule", created.id}, meta,
                           boost::json::serialize(details));
  co_await audit_log_.record(*tx, entry);
  co_await tx->commit();
  co_await changed(created.id);
  co_return created;
}

asio::awaitable<std::optional<repo::IpRuleRecord>> IpRules::do_deny_suspicious(std::string ip,
                                                                              std::chrono::seconds block_for,
                                                                              std::string reason) {
  auto parsed = parse_cidr(ip);
  if (!parsed.cidr) co_return std::nullopt;
  const auto now = Clock::now();
  const auto expires_at = now + block_for;
  auto tx = co_await db_.begin();
  auto current = co_await rules_.list_unexpired(*tx, format_rfc3339(now));
  const auto decision = IpRuleSet(to_rules(current)).decide(parsed.cidr->network(), now);
  // Denied already (by a rule, or by allow-list mode), or let in by a rule an operator made.
  if (!decision.allowed || decision.rule_id) co_return std::nullopt;
  repo::NewIpRule record{.cidr = parsed.cidr->to_string(),
                         .action = std::string(action_name(IpRuleAction::deny)),
                         .note = reason,
                         .created_by = std::nullopt,
                         .expires_at = format_rfc3339(expires_at)};
  auto created = co_await rules_.create(*tx, record);
  boost::json::object details{{"cidr", created.cidr},
                              {"action", created.action},
                              {"note", created.note},
                              {"expires_at", record.expires_at ? boost::json::value(*record.expires_at) : nullptr}};
  auto entry = audit_entry(std::nullopt, "ip_rule.auto_created", repo::AuditTarget{"ip_rule", created.id},
                           RequestMeta{.ip = ip, .request_id = {}, .user_agent = {}}, boost::json::serialize(details));
  co_await audit_log_.record(*tx, entry);
  co_await tx->commit();
  co_await changed(created.id);
  co_return created;
}

asio::awaitable<void> IpRules::do_delete_rule(http::Principal by, std::int64_t id, bool force, RequestMeta meta) {
  const auto now = Clock::now();
  const std::string now_text = format_rfc3339(now);
  auto tx = co_await db_.begin();
  auto current = co_await rules_.list_unexpired(*tx, now_text);
  auto remaining = to_rules(current);
  std::erase_if(remaining, [id](const IpRule& r) { return r.id == id; });
  auto removed = co_await rules_.remove(*tx, id);
  if (!removed) throw AppError::not_found();
  check_not_locked_out(IpRuleSet(std::move(remaining)), meta.ip, now, force);
  boost::json::object details{{"cidr", removed->cidr}, {"action", removed->action}, {"forced", force}};
  auto entry = audit_entry(by.user_id, "ip_rule.deleted", repo::AuditTarget{"ip_rule", id}, meta,
                           boost::json::serialize(details));
  co_await audit_log_.record(*tx, entry);
  co_await tx->commit();
  co_await changed(id);
}

asio::awaitable<void> IpRules::changed(std::int64_t rule_id) {
  try {
    co_await reload();
  } catch (const std::exception& e) {
    logger_.error("could not reload the IP rules after changing rule {}: {}", rule_id, e.what());
  }
  if (!publish_) co_return;
  try {
    asio::awaitable<void> publishing = publish_(std::to_string(rule_id));
    co_await std::move(publishing);
  } catch (const std::exception& e) {
    logger_.error("could not tell the other processes that IP rule {} changed: {}", rule_id, e.what());
  }
}

}  // namespace parley::accounts
