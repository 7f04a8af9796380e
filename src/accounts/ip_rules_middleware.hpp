#pragma once
#include "accounts/ip_rules.hpp"
#include "http/middleware.hpp"

#include <memory>

namespace parley::accounts {

// Refuses a client the IP rules refuse (IpRules::decide on req.client_ip, which the client-IP
// middleware resolved from trusted proxies only): 403 problem+json, code `ip_forbidden`, and no
// later layer, route or handler runs. GET /healthz and /readyz are never refused: probes come from
// the kubelet or the load balancer, whose addresses an allow-list rarely names, and a refused probe
// would take every replica out of service. Costs one atomic load when there are no rules.
std::unique_ptr<http::Middleware> make_ip_rules_middleware(const IpRules& rules);

}  // namespace parley::accounts
