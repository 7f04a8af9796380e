#include "accounts/audit.hpp"

namespace parley::accounts {

db::repositories::AuditEntry audit_entry(std::optional<std::int64_t> actor, std::string_view action,
                                         std::optional<db::repositories::AuditTarget> target, const RequestMeta& meta,
                                         std::string details_json) {
  db::repositories::AuditEntry entry;
  entry.actor_id = actor;
  entry.action = std::string(action);
  entry.target = std::move(target);
  if (!meta.ip.empty() && meta.ip != "unknown") entry.ip = meta.ip;
  if (!meta.request_id.empty()) entry.request_id = meta.request_id;
  entry.details_json = std::move(details_json);
  return entry;
}

}  // namespace parley::accounts
