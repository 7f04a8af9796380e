#pragma once
// Building audit-log rows for account actions. Pure; thread-safe.
#include "accounts/accounts.hpp"
#include "db/repositories/audit_log_repository.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace parley::accounts {

// An audit row by `actor` (nullopt: the system) about `target`, with the caller's IP and request
// id from `meta` ("unknown" IPs are left out). `details_json` must be a JSON value without secrets.
// Record it with AuditLogRepository::record in the transaction of the change it describes.
db::repositories::AuditEntry audit_entry(std::optional<std::int64_t> actor, std::string_view action,
                                         std::optional<db::repositories::AuditTarget> target, const RequestMeta& meta,
                                         std::string details_json = "{}");

}  // namespace parley::accounts
