#pragma once
// IP allow/deny rules (docs/api.md "Administration", docs/security.md "IP rules"): the admin actions
// that change them and the in-memory snapshot the IP-rules middleware checks on every request.
//
// The snapshot is an immutable IpRuleSet of the rules unexpired when it was loaded, swapped
// atomically as a whole: a request's check takes no mutex and does no I/O, and with no rules at all
// it is one atomic load of a flag. Expiry is honoured at check time (IpRuleSet::decide takes the
// time), so an expiring rule stops applying without a reload. The snapshot is (re)loaded
//   * at start (App::start, before serving: reload());
//   * after a local change, once committed (do_create_rule / do_delete_rule);
//   * when another process says it changed the rules: on PostgreSQL a NOTIFY on kChannel, which
//     every `parley serve` process LISTENs to (app/ip_rule_changes.cpp wires publish and
//     received()), and after the listener reconnects (notifications may have been missed). With
//     SQLite there is one process and nothing to publish.
// Reloads may overlap; a reload never replaces the snapshot of one that started after it.
//
// Thread-safety: every member may be called from any thread.
#include "accounts/accounts.hpp"
#include "accounts/ip_rule_set.hpp"
#include "db/database.hpp"
#include "db/repositories/audit_log_repository.hpp"
#include "db/repositories/ip_rule_repository.hpp"
#include "http/request.hpp"

#include <spdlog/logger.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::accounts {

// What an admin asks for (already validated: the block parsed, the expiry in the future).
struct IpRuleInput {
  Cidr cidr;
  IpRuleAction action = IpRuleAction::deny;
  std::string note;
  std::optional<std::chrono::system_clock::time_point> expires_at;
};

class IpRules {
 public:
  using Clock = std::chrono::system_clock;
  // The PostgreSQL channel change notices travel on; the payload is informative only (the rule id).
  static constexpr std::string_view kChannel = "parley_ip_rules";
  // Carries `payload` to the other processes; empty when there are none to tell.
  using Publish = std::function<boost::asio::awaitable<void>(std::string payload)>;

  // `executor` runs the reloads that received() starts.
  IpRules(db::Database& db, boost::asio::any_io_executor executor, spdlog::logger& logger, Publish publish = {});

  // The decision for `client_ip` (text as in Request::client_ip) at `now` with the current
  // snapshot. An address that does not parse matches no rule (refused only in allow-list mode).
  // The hot path: no lock, no I/O, no allocation.
  IpDecision decide(std::string_view client_ip, Clock::time_point now) const;
  // Whether any rule is loaded (expired ones count until the next reload): one atomic load, so
  // callers skip reading the clock when there are none.
  bool any() const noexcept { return has_rules_.load(std::memory_order_acquire); }
  std::shared_ptr<const IpRuleSet> snapshot() const { return current_.load(std::memory_order_acquire); }

  // Reads the unexpired rules and swaps them in. Throws what the database throws.
  boost::asio::awaitable<void> reload();
  // A change notice from a process (this one included): starts a reload on the executor and
  // returns at once; a failed reload is logged and the previous snapshot stays.
  void received(std::string_view payload);

  // Every rule, expired ones included, newest first (IpRuleRepository::list).
  boost::asio::awaitable<std::vector<db::repositories::IpRuleRecord>> list(std::optional<std::int64_t> before_id,
                                                                           int limit);
  // 404 when there is no rule `id`.
  boost::asio::awaitable<db::repositories::IpRuleRecord> get(std::int64_t id);

  // 409 (code ip_rule_lockout) when `rules` would refuse `caller_ip` at `now`, unless `force`: an
  // admin cannot shut themself out by accident. Pure.
  static void check_not_locked_out(const IpRuleSet& rules, std::string_view caller_ip, Clock::time_point now,
                                   bool force);
  // Creates a rule (after check_not_locked_out with the unexpired rules plus this one), writes the
  // audit row ip_rule.created {cidr, action, note, expires_at, forced}, commits, then reloads and
  // tells the other processes.
  boost::asio::awaitable<db::repositories::IpRuleRecord> do_create_rule(http::Principal by, IpRuleInput input,
                                                                        bool force, RequestMeta meta);
  // Suspicious-IP detection (accounts/abuse_detector.hpp): denies `ip` alone until now +
  // `block_for`, with `reason` as the note and the audit row ip_rule.auto_created {cidr, action,
  // note, expires_at} (no actor: the system did it). Nothing happens, and nullopt comes back, when
  // `ip` does not parse, is denied already, or is let in by an allow rule (an operator's allow
  // rule outranks the detector); then as do_create_rule.
  boost::asio::awaitable<std::optional<db::repositories::IpRuleRecord>> do_deny_suspicious(
      std::string ip, std::chrono::seconds block_for, std::string reason);
  // Deletes rule `id` (404 when unknown; check_not_locked_out with the rules that would remain),
  // audit row ip_rule.deleted {cidr, action, forced}; then as do_create_rule.
  boost::asio::awaitable<void> do_delete_rule(http::Principal by, std::int64_t id, bool force, RequestMeta meta);

 private:
  // After a committed change: reload here, then tell the others. Never throws (logs).
  boost::asio::awaitable<void> changed(std::int64_t rule_id);
  std::vector<IpRule> to_rules(const std::vector<db::repositories::IpRuleRecord>& records) const;

  db::Database& db_;
  boost::asio::any_io_executor executor_;
  spdlog::logger& logger_;
  Publish publish_;
  db::repositories::IpRuleRepository rules_;
  db::repositories::AuditLogRepository audit_log_;

  std::atomic<std::shared_ptr<const IpRuleSet>> current_;
  std::atomic<bool> has_rules_{false};
  // Orders overlapping reloads: each takes a ticket before it reads; a snapshot is stored only
  // when no reload with a later ticket has stored one already.
  std::atomic<std::uint64_t> next_ticket_{0};
  std::mutex swap_mutex_;
  std::uint64_t stored_ticket_ = 0;  // guarded by swap_mutex_
};

}  // namespace parley::accounts
