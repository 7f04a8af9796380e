#include "core/config.hpp"

#include "core/data_folder.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <thread>

#include "core/error.hpp"
#include "core/amqp_url.hpp"
#include "core/redis_url.hpp"

namespace parley {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

// A ratio as written in the environment: "1", "0.25".
std::string fmt_ratio(double ratio) {
  std::string text = std::to_string(ratio);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

std::string show_ms(std::chrono::milliseconds ms) {
  if (ms.count() > 0 && ms.count() % 86'400'000 == 0) return std::to_string(ms.count() / 86'400'000) + "d";
  if (ms.count() > 0 && ms.count() % 3'600'000 == 0) return std::to_string(ms.count() / 3'600'000) + "h";
  if (ms.count() > 0 && ms.count() % 60'000 == 0) return std::to_string(ms.count() / 60'000) + "m";
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

bool valid_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto addr = text.substr(0, slash);
  bool v6 = addr.find(':') != std::string_view::npos;
  if (addr.empty()) return false;
  if (slash != std::string_view::npos) {
    auto bits = parse_int<int>(text.substr(slash + 1));
    if (!bits || *bits < 0 || *bits > (v6 ? 128 : 32)) return false;
  }
  if (v6) return addr.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  int dots = 0;
  std::string_view rest = addr;
  while (true) {
    auto dot = rest.find('.');
    auto octet = parse_int<int>(rest.substr(0, dot));
    if (!octet || *octet < 0 || *octet > 255) return false;
    if (dot == std::string_view::npos) break;
    ++dots;
    rest.remove_prefix(dot + 1);
  }
  return dots == 3;
}

using Apply = std::function<std::optional<std::string>(Config&, std::string_view)>;
using Show = std::function<std::string(const Config&)>;

template <typename Field>
Apply duration_field(Field field) {
  return [field](Config& c, std::string_view v) -> std::optional<std::string> {
    auto d = parse_duration(v);
    if (!d || d->count() <= 0) return "a positive duration such as 500ms, 15s or 2m";
    c.*field = *d;
    return std::nullopt;
  };
}

template <typename Field>
Apply size_field(Field field, std::size_t min) {
  return [field, min](Config& c, std::string_view v) -> std::optional<std::string> {
    auto n = parse_size(v);
    if (!n || *n < min) return "a size of at least " + std::to_string(min) + " bytes, such as 65536, 64KiB or 1MiB";
    c.*field = *n;
    return std::nullopt;
  };
}

template <typename Field>
Apply bool_field(Field field) {
  return [field](Config& c, std::string_view v) -> std::optional<std::string> {
    auto b = parse_bool(v);
    if (!b) return "a boolean: 1/0, true/false, yes/no, on/off";
    c.*field = *b;
    return std::nullopt;
  };
}

Apply int_range_field(int Config::*field, int min, int max) {
  return [field, min, max](Config& c, std::string_view v) -> std::optional<std::string> {
    auto n = parse_int<int>(v);
    if (!n || *n < min || *n > max) return "a number from " + std::to_string(min) + " to " + std::to_string(max);
    c.*field = *n;
    return std::nullopt;
  };
}

Apply duration_range_field(std::chrono::milliseconds Config::*field, std::chrono::milliseconds min,
                           std::chrono::milliseconds max) {
  return [field, min, max](Config& c, std::string_view v) -> std::optional<std::string> {
    auto d = parse_duration(v);
    if (!d || *d < min || *d > max) return "a duration from " + show_ms(min) + " to " + show_ms(max) + ", such as 15m";
    c.*field = *d;
    return std::nullopt;
  };
}

template <typename Field>
Apply string_field(Field field) {
  return [field](Config& c, std::string_view v) -> std::optional<std::string> {
    c.*field = std::string(v);
    return std::nullopt;
  };
}

std::vector<Setting> make_settings() {
  std::vector<Setting> rows{
      {"PARLEY_ENV", "development", "development or production (log format, `check --deploy` rules)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "development" && v != "production") return "development or production";
         c.environment = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.environment; }},
      {"PARLEY_DEBUG", "0", "debug mode: detailed logs; never in production", false, bool_field(&Config::debug),
       [](const Config& c) { return std::string(c.debug ? "1" : "0"); }},
      {"PARLEY_SECRET_KEY", "", "signing secret (at least 32 characters in production)", true,
       string_field(&Config::secret_key), [](const Config& c) { return mask_secret(c.secret_key); }},
      {"PARLEY_SECRET_KEY_FALLBACKS", "",
       "previous values of PARLEY_SECRET_KEY, comma-separated, still accepted to open webhook secrets after a "
       "rotation (then `parley webhooks reseal`)",
       true,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         c.secret_key_fallbacks = split_list(v);
         return std::nullopt;
       },
       [](const Config& c) {
         std::string shown;
         for (const auto& key : c.secret_key_fallbacks) shown += (shown.empty() ? "" : ",") + mask_secret(key);
         return shown;
       }},
      {"PARLEY_ALLOWED_HOSTS", "", "comma-separated host names this server answers for (empty = any); /healthz, /readyz and /metrics answer any Host", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         c.allowed_hosts = split_list(v);
         return std::nullopt;
       },
       [](const Config& c) { return join(c.allowed_hosts); }},
      {"PARLEY_LISTEN", "127.0.0.1:8000", "address to listen on, host:port (port 0 = any free port)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto colon = v.rfind(':');
         if (colon == std::string_view::npos || colon == 0) return "host:port, such as 127.0.0.1:8000 or [::]:8000";
         auto port = parse_int<std::uint16_t>(v.substr(colon + 1));
         if (!port) return "host:port with a port from 0 to 65535";
         auto host = v.substr(0, colon);
         if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
         c.listen = {std::string(host), *port};
         return std::nullopt;
       },
       [](const Config& c) { return c.listen.host + ":" + std::to_string(c.listen.port); }},
      {"PARLEY_THREADS", "0", "I/O threads (0 = one per core)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<unsigned>(v);
         if (!n || *n > 256) return "a number of threads from 0 to 256";
         c.threads = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.threads); }},
      {"PARLEY_TLS_CERT", "", "PEM certificate chain file; enables TLS on the listener", false,
       string_field(&Config::tls_cert_file), [](const Config& c) { return c.tls_cert_file; }},
      {"PARLEY_TLS_KEY", "", "PEM private key file for PARLEY_TLS_CERT", false, string_field(&Config::tls_key_file),
       [](const Config& c) { return c.tls_key_file; }},
      {"PARLEY_TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is trusted", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto items = split_list(v);
         for (const auto& item : items) {
           if (!valid_cidr(item)) return "comma-separated CIDR blocks such as 10.0.0.0/8,127.0.0.1";
         }
         c.trusted_proxies = std::move(items);
         return std::nullopt;
       },
       [](const Config& c) { return join(c.trusted_proxies); }},
      {"PARLEY_CORS_ORIGINS", "", "comma-separated origins allowed by CORS, or *", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto items = split_list(v);
         for (const auto& item : items) {
           if (item != "*" && !item.starts_with("http://") && !item.starts_with("https://"))
             return "origins such as https://app.example.com, or *";
         }
         c.cors_origins = std::move(items);
         return std::nullopt;
       },
       [](const Config& c) { return join(c.cors_origins); }},
      {"PARLEY_MAX_HEADER_BYTES", "16KiB", "largest request head accepted (431 beyond)", false,
       size_field(&Config::max_header_bytes, 1024), [](const Config& c) { return std::to_string(c.max_header_bytes); }},
      {"PARLEY_MAX_BODY_BYTES", "1MiB", "largest request body accepted (413 beyond)", false,
       size_field(&Config::max_body_bytes, 1024), [](const Config& c) { return std::to_string(c.max_body_bytes); }},
      {"PARLEY_MAX_CONNECTIONS", "10000", "open connections per process (503 beyond)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<std::size_t>(v);
         if (!n || *n == 0) return "a positive number";
         c.max_connections = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.max_connections); }},
      {"PARLEY_READ_TIMEOUT", "15s", "time allowed to receive one whole request once it started", false,
       duration_field(&Config::read_timeout), [](const Config& c) { return show_ms(c.read_timeout); }},
      {"PARLEY_IDLE_TIMEOUT", "60s", "keep-alive connection idle time before it is closed", false,
       duration_field(&Config::idle_timeout), [](const Config& c) { return show_ms(c.idle_timeout); }},
      {"PARLEY_WRITE_TIMEOUT", "30s", "time allowed to send one response", false,
       duration_field(&Config::write_timeout), [](const Config& c) { return show_ms(c.write_timeout); }},
      {"PARLEY_SHUTDOWN_GRACE", "10s", "time in-flight requests get to finish on SIGTERM", false,
       duration_field(&Config::shutdown_grace), [](const Config& c) { return show_ms(c.shutdown_grace); }},
      {"PARLEY_DRAIN_DELAY", "0s",
       "on SIGTERM, time /readyz answers 503 while requests are still served, before the listener closes "
       "(for load balancers that only health-check)",
       false, duration_field(&Config::drain_delay), [](const Config& c) { return show_ms(c.drain_delay); }},
      {"PARLEY_WS_MAX_MESSAGE", "64KiB", "largest WebSocket message accepted (close 1009 beyond)", false,
       size_field(&Config::ws_max_message_bytes, 128),
       [](const Config& c) { return std::to_string(c.ws_max_message_bytes); }},
      {"PARLEY_WS_PING_INTERVAL", "30s", "WebSocket keep-alive ping interval (peer gone after two)", false,
       duration_field(&Config::ws_ping_interval), [](const Config& c) { return show_ms(c.ws_ping_interval); }},
      {"PARLEY_WS_SEND_QUEUE", "256", "frames queued per WebSocket before it closes with 4008", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<std::size_t>(v);
         if (!n || *n == 0 || *n > 65536) return "a number from 1 to 65536";
         c.ws_send_queue = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.ws_send_queue); }},
      {"PARLEY_EVENT_RETENTION", "24h", "how long events stay resumable (an older last_event_id gets resync_required)",
       false, duration_field(&Config::event_retention), [](const Config& c) { return show_ms(c.event_retention); }},
      {"PARLEY_EVENT_REPLAY_MAX", "10000", "most events a resume replays; a client further behind gets resync_required",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<std::int64_t>(v);
         if (!n || *n < 1 || *n > 1000000) return "a number from 1 to 1000000";
         c.event_replay_max = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.event_replay_max); }},
      {"PARLEY_EVENT_SWEEP_INTERVAL", "1s", "how often a process tails the event log unasked (other processes' events "
       "arrive sooner over the bus)", false, duration_field(&Config::event_sweep_interval),
       [](const Config& c) { return show_ms(c.event_sweep_interval); }},
      {"PARLEY_PRESENCE_TTL", "60s", "a real-time socket silent this long counts as offline", false,
       duration_field(&Config::presence_ttl), [](const Config& c) { return show_ms(c.presence_ttl); }},
      {"PARLEY_PRESENCE_SWEEP", "1s", "how often presence changes are sent (they are coalesced in between)", false,
       duration_field(&Config::presence_sweep), [](const Config& c) { return show_ms(c.presence_sweep); }},
      {"PARLEY_GRAPHQL_INTROSPECTION", "1", "answer GraphQL introspection (__schema, __type; GraphiQL needs it); 0 "
       "refuses it", false, bool_field(&Config::graphql_introspection),
       [](const Config& c) { return std::string(c.graphql_introspection ? "1" : "0"); }},
      {"PARLEY_GRAPHQL_TIMEOUT", "10s", "time limit of one GraphQL operation: fields not resolved by then answer "
       "TIMEOUT", false, duration_range_field(&Config::graphql_timeout, std::chrono::milliseconds(100),
                                             std::chrono::milliseconds(300000)),
       [](const Config& c) { return show_ms(c.graphql_timeout); }},
      {"PARLEY_GRAPHQL_MAX_DEPTH", "15", "deepest field nesting a GraphQL operation may have (QUERY_TOO_DEEP)", false,
       int_range_field(&Config::graphql_max_depth, 2, 100),
       [](const Config& c) { return std::to_string(c.graphql_max_depth); }},
      {"PARLEY_GRAPHQL_MAX_COST", "20000", "highest cost of a GraphQL operation, computed before it runs: 1 per field, "
       "times the first/last of each list above it (QUERY_TOO_COMPLEX)", false,
       int_range_field(&Config::graphql_max_cost, 10, 10000000),
       [](const Config& c) { return std::to_string(c.graphql_max_cost); }},
      {"PARLEY_DATABASE_URL", "sqlite:var/parley.db", "sqlite:<path> or postgresql://user:pass@host:port/db", true,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (!v.starts_with("sqlite:") && !v.starts_with("postgresql://") && !v.starts_with("postgres://"))
           return "sqlite:<path> or postgresql://user:password@host:port/database";
         if (v == "sqlite:") return "sqlite:<path> with a file path";
         c.database_url = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) {
         // Show the URL with its password masked.
         auto at = c.database_url.find('@');
         auto scheme_end = c.database_url.find("://");
         if (at == std::string::npos || scheme_end == std::string::npos) return c.database_url;
         auto colon = c.database_url.find(':', scheme_end + 3);
         if (colon == std::string::npos || colon > at) return c.database_url;
         return c.database_url.substr(0, colon + 1) + "********" + c.database_url.substr(at);
       }},
      {"PARLEY_AUTO_MIGRATE", "1 for SQLite, 0 otherwise", "apply pending migrations when serve/all start", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto b = parse_bool(v);
         if (!b) return "a boolean: 1/0, true/false, yes/no, on/off";
         c.auto_migrate = *b;
         return std::nullopt;
       },
       [](const Config& c) { return std::string(c.effective_auto_migrate() ? "1" : "0"); }},
      {"PARLEY_MIGRATIONS_DIR", "<source>/migrations", "folder holding postgres/ and sqlite/ migration files", false,
       string_field(&Config::migrations_dir), [](const Config& c) { return c.migrations_dir; }},
      {"PARLEY_WEB_DIR", "<source>/web", "folder holding the admin console (admin/) and Swagger UI (api-docs/), read at start",
       false, string_field(&Config::web_dir), [](const Config& c) { return c.web_dir; }},
      {"PARLEY_DB_POOL_MAX", "10", "PostgreSQL connections per process at most", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<std::size_t>(v);
         if (!n || *n == 0 || *n > 1000) return "a number from 1 to 1000";
         c.db_pool_max = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.db_pool_max); }},
      {"PARLEY_DB_STATEMENT_TIMEOUT", "30s", "PostgreSQL cancels statements running longer (503)", false,
       duration_field(&Config::db_statement_timeout), [](const Config& c) { return show_ms(c.db_statement_timeout); }},
      {"PARLEY_DB_ACQUIRE_TIMEOUT", "5s", "wait for a free connection before answering 503", false,
       duration_field(&Config::db_acquire_timeout), [](const Config& c) { return show_ms(c.db_acquire_timeout); }},
      {"PARLEY_REDIS_URL", "", "redis://[[user]:password@]host[:port][/db] (empty = no Redis: in-process only)", true,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (!v.empty()) {
           try {
             parse_redis_url(v);
           } catch (const AppError& e) {
             return std::string(kRedisUrlForm) + " (" + e.public_message() + ")";
           }
         }
         c.redis_url = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.redis_url.empty() ? std::string() : parse_redis_url(c.redis_url).redacted(); }},
      {"PARLEY_REDIS_CONNECTIONS", "2",
       "pipelined connections of the shared Redis client; commands take them in turn (one large reply does not "
       "hold up the small ones)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<std::size_t>(v);
         if (!n || *n < 1 || *n > 64) return "a number from 1 to 64";
         c.redis_connections = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.redis_connections); }},
      {"PARLEY_REDIS_TIMEOUT", "500ms",
       "how long a Redis connect or reply may take before the command fails and the cache and rate limits fall back "
       "(a Redis that drops packets costs a request at most this)",
       false,
       duration_range_field(&Config::redis_timeout, std::chrono::milliseconds(10), std::chrono::minutes(1)),
       [](const Config& c) { return show_ms(c.redis_timeout); }},
      {"PARLEY_CACHE", "auto",
       "the read cache (docs/caching.md): auto (redis when PARLEY_REDIS_URL is set, else memory), memory "
       "(per process), redis (shared by every replica) or off",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "auto" && v != "memory" && v != "redis" && v != "off") return "auto, memory, redis or off";
         c.cache = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.cache; }},
      {"PARLEY_CACHE_MEMORY_BYTES", "67108864", "the in-process cache's size cap in bytes (least recently used "
       "entries are evicted beyond it)", false,
       size_field(&Config::cache_memory_bytes, 1 << 20), [](const Config& c) { return std::to_string(c.cache_memory_bytes); }},
      {"PARLEY_CACHE_TTL", "60s",
       "longest a cached entry is served; writes through Parley invalidate at once, this bounds what they cannot "
       "(a change made by hand in SQL)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto d = parse_duration(v);
         if (!d || d->count() <= 0 || *d > std::chrono::hours(24)) return "a positive duration up to 24h, such as 60s";
         c.cache_ttl = *d;
         return std::nullopt;
       },
       [](const Config& c) { return show_ms(c.cache_ttl); }},
      {"PARLEY_JWT_PRIVATE_KEY_FILE", "(development: jwt-signing-key.pem beside the SQLite file)",
       "Ed25519 PKCS#8 PEM signing key; required in production. Unset in development: with SQLite a key "
       "created once in the database's folder (mode 0600) and reused; with PostgreSQL a fresh key per start",
       false, string_field(&Config::jwt_private_key_file),
       [](const Config& c) {
         if (!c.jwt_private_key_file.empty()) return c.jwt_private_key_file;
         if (auto kept = development_signing_key_file(c)) return kept->string() + " (kept by Parley)";
         return std::string("(generated at start)");
       }},
      {"PARLEY_JWT_RETIRED_PUBLIC_KEYS_DIR", "", "folder of retired public keys named <retired unix time>.pem", false,
       string_field(&Config::jwt_retired_public_keys_dir),
       [](const Config& c) { return c.jwt_retired_public_keys_dir; }},
      {"PARLEY_JWT_NEXT_PUBLIC_KEY_FILE", "", "public key of the next signing key, accepted before it signs", false,
       string_field(&Config::jwt_next_public_key_file), [](const Config& c) { return c.jwt_next_public_key_file; }},
      {"PARLEY_JWT_ISSUER", "parley", "`iss` of issued tokens, checked on every token", false,
       string_field(&Config::jwt_issuer), [](const Config& c) { return c.jwt_issuer; }},
      {"PARLEY_JWT_AUDIENCE", "parley", "`aud` of issued tokens, checked on every token", false,
       string_field(&Config::jwt_audience), [](const Config& c) { return c.jwt_audience; }},
      {"PARLEY_JWT_ACCESS_TTL", "15m", "lifetime of access tokens", false, duration_field(&Config::jwt_access_ttl),
       [](const Config& c) { return show_ms(c.jwt_access_ttl); }},
      {"PARLEY_JWT_REFRESH_TTL", "720h", "lifetime of refresh tokens (rotated on every use)", false,
       duration_field(&Config::jwt_refresh_ttl), [](const Config& c) { return show_ms(c.jwt_refresh_ttl); }},
      {"PARLEY_JWT_LEEWAY", "30s", "clock skew tolerated on exp/nbf/iat", false, duration_field(&Config::jwt_leeway),
       [](const Config& c) { return show_ms(c.jwt_leeway); }},
      {"PARLEY_SESSION_IDLE_TIMEOUT", "2h", "a session unused this long ends", false,
       duration_field(&Config::session_idle_timeout), [](const Config& c) { return show_ms(c.session_idle_timeout); }},
      {"PARLEY_SESSION_MAX_AGE", "336h", "a session ends this long after login, however active", false,
       duration_field(&Config::session_max_age), [](const Config& c) { return show_ms(c.session_max_age); }},
      {"PARLEY_PASSWORD_HASH_THREADS", "2", "threads for Argon2id hashing (its own pool)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<unsigned>(v);
         if (!n || *n == 0 || *n > 64) return "a number from 1 to 64";
         c.password_hash_threads = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.password_hash_threads); }},
      {"PARLEY_AUTH_CACHE_SIZE", "100000",
       "verified credentials (tokens, session cookies) remembered per process, so a repeated one costs no "
       "signature check and no database read; 0 disables the cache",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<std::size_t>(v);
         if (!n || *n > 10'000'000) return "a number from 0 to 10000000";
         c.auth_cache_size = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.auth_cache_size); }},
      {"PARLEY_AUTH_CACHE_TTL", "60s",
       "longest a cached credential is trusted before the database is read again (bounds how late a change "
       "made outside Parley's own actions, e.g. by hand in SQL, is seen)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto d = parse_duration(v);
         if (!d || d->count() <= 0 || *d > std::chrono::hours(1)) return "a positive duration up to 1h, such as 60s";
         c.auth_cache_ttl = *d;
         return std::nullopt;
       },
       [](const Config& c) { return show_ms(c.auth_cache_ttl); }},
      {"PARLEY_PASSWORD_RESET_TTL", "1h", "how long an emailed password-reset link works (once)", false,
       duration_field(&Config::password_reset_ttl), [](const Config& c) { return show_ms(c.password_reset_ttl); }},
      {"PARLEY_MAIL_URL", "log", "log (write mail to PARLEY_MAIL_LOG_FILE) or smtp[s]://user:pass@host:port", true,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "log" && !v.starts_with("smtp://") && !v.starts_with("smtps://"))
           return "log, smtp://user:password@host:port[?starttls=required] or smtps://...";
         c.mail_url = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.mail_url == "log" ? c.mail_url : c.mail_url.substr(0, c.mail_url.find("://") + 3) + "********"; }},
      {"PARLEY_MAIL_FROM", "Parley <noreply@localhost>", "sender of Parley's emails", false,
       string_field(&Config::mail_from), [](const Config& c) { return c.mail_from; }},
      {"PARLEY_MAIL_LOG_FILE", "var/mail.log", "where the log mailer appends messages (mbox)", false,
       string_field(&Config::mail_log_file), [](const Config& c) { return c.mail_log_file; }},
      {"PARLEY_PUBLIC_URL", "http://127.0.0.1:8000", "the URL users reach Parley at (links in emails)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (!v.starts_with("http://") && !v.starts_with("https://")) return "an http:// or https:// URL";
         c.public_url = std::string(v);
         while (c.public_url.size() > 8 && c.public_url.back() == '/') c.public_url.pop_back();
         return std::nullopt;
       },
       [](const Config& c) { return c.public_url; }},
      {"PARLEY_UPLOAD_DIR", "var/uploads", "folder of uploaded files (created at start; share it between replicas)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty() || v.find('\0') != std::string_view::npos) return "a folder path";
         c.upload_dir = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.upload_dir; }},
      {"PARLEY_UPLOAD_MAX_BYTES", "25MiB", "largest uploaded file (413 beyond)", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_size(v);
         if (!n || *n == 0 || *n > (std::size_t{64} << 30)) return "a size from 1 byte to 64GiB, such as 25MiB";
         c.upload_max_bytes = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.upload_max_bytes); }},
      {"PARLEY_UPLOAD_ORPHAN_AGE", "24h",
       "uploads no message carries are deleted once this old (the hourly uploads.purge_orphans job)", false,
       duration_range_field(&Config::upload_orphan_age, std::chrono::hours(1), std::chrono::hours(24 * 365)),
       [](const Config& c) { return show_ms(c.upload_orphan_age); }},
      {"PARLEY_DELETED_MESSAGE_RETENTION", "30d",
       "deleted messages (already blanked) are purged with their reactions and attachments once deleted this long "
       "(the daily messages.purge_deleted job); 0 keeps them",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto d = parse_duration(v);
         if (!d || (d->count() != 0 && *d < std::chrono::hours(1))) return "0, or a duration of at least 1h such as 30d";
         c.deleted_message_retention = *d;
         return std::nullopt;
       },
       [](const Config& c) { return show_ms(c.deleted_message_retention); }},
      {"PARLEY_ANALYTICS_RETENTION", "90d",
       "analytics events (docs/analytics.md) are deleted once this old by the hourly analytics.rollup job; the "
       "daily rollups stay; 0 keeps them",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto d = parse_duration(v);
         if (!d || (d->count() != 0 && *d < std::chrono::hours(48))) return "0, or a duration of at least 2d such as 90d";
         c.analytics_retention = *d;
         return std::nullopt;
       },
       [](const Config& c) { return show_ms(c.analytics_retention); }},
      {"PARLEY_OTLP_TRACES_URL", "",
       "OpenTelemetry collector endpoint for spans over OTLP/HTTP JSON, used as is (e.g. "
       "http://127.0.0.1:4318/v1/traces); empty: no export (trace ids still reach logs, jobs and webhooks)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         bool http = v.starts_with("http://") || v.starts_with("https://");
         auto rest = v.substr(v.find("//") == std::string_view::npos ? 0 : v.find("//") + 2);
         if (!v.empty() && (!http || rest.empty() || rest.front() == '/' ||
                            v.find_first_of(" \t\r\n") != std::string_view::npos))
           return "empty, or an http:// or https:// URL such as http://127.0.0.1:4318/v1/traces";
         c.otlp_traces_url = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.otlp_traces_url; }},
      {"PARLEY_TRACE_SAMPLE_RATIO", "1",
       "share of new traces (requests without a sampled traceparent) whose spans are exported, 0 to 1; an "
       "incoming traceparent's sampled flag is followed",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         std::string text(v);
         char* end = nullptr;
         double ratio = std::strtod(text.c_str(), &end);
         if (text.empty() || end != text.c_str() + text.size() || !(ratio >= 0.0 && ratio <= 1.0))
           return "a number from 0 to 1 such as 0.1";
         c.trace_sample_ratio = ratio;
         return std::nullopt;
       },
       [](const Config& c) { return fmt_ratio(c.trace_sample_ratio); }},
      {"PARLEY_UPLOAD_THREADS", "2", "threads for upload disk writes, hashing and type sniffing (their own pool)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto n = parse_int<unsigned>(v);
         if (!n || *n == 0 || *n > 64) return "a number from 1 to 64";
         c.upload_threads = *n;
         return std::nullopt;
       },
       [](const Config& c) { return std::to_string(c.upload_threads); }},
      {"PARLEY_MESSAGE_EDIT_WINDOW", "0", "how long after sending a message its sender may edit it (0: always)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v == "0") {
           c.message_edit_window = std::chrono::milliseconds(0);
           return std::nullopt;
         }
         auto d = parse_duration(v);
         if (!d || d->count() < 1000) return "0, or a duration of at least 1s such as 15m or 24h";
         c.message_edit_window = *d;
         return std::nullopt;
       },
       [](const Config& c) { return show_ms(c.message_edit_window); }},
      {"PARLEY_BROKER_URL", "database",
       "where workers take jobs from: database (the jobs table: FOR UPDATE SKIP LOCKED on PostgreSQL, the single "
       "writer on SQLite), redis://[[user]:password@]host[:port][/db] (Redis Streams) or "
       "amqp://[user[:password]@]host[:port][/vhost] (RabbitMQ); both fed from the jobs table",
       true,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v.starts_with("redis://")) {
           try {
             parse_redis_url(v);
           } catch (const AppError& e) {
             return std::string(kRedisUrlForm) + " (" + e.public_message() + ")";
           }
         } else if (v.starts_with("amqp://") || v.starts_with("amqps://")) {
           try {
             amqp::parse_url(v);
           } catch (const std::invalid_argument& e) {
             // "invalid AMQP URL: <reason> (expected <form>)", which never holds the password.
             std::string_view what = e.what();
             what = what.substr(std::min(what.find(": ") + 2, what.size()));
             return std::string(amqp::kUrlForm) + " (" + std::string(what.substr(0, what.rfind(" (expected"))) + ")";
           }
         } else if (v != "database") {
           return "database, redis://... or amqp://...";
         }
         c.broker_url = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) {
         if (c.broker_url.starts_with("amqp://")) return amqp::parse_url(c.broker_url).redacted();
         return c.broker_url == "database" ? c.broker_url : parse_redis_url(c.broker_url).redacted();
       }},
      {"PARLEY_BROKER_PREFIX", "parley",
       "prefix of the broker's names (Redis keys <prefix>:jobs:<queue>, RabbitMQ queues <prefix>.jobs.<queue>), so "
       "deployments can share one Redis or RabbitMQ", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         const bool valid = !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' || ch == ':';
         });
         if (!valid) return "1 to 64 letters, digits, '_', '-', '.' or ':'";
         c.broker_prefix = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.broker_prefix; }},
      {"PARLEY_WORKER_CONCURRENCY", "4", "jobs one worker runs at a time", false,
       int_range_field(&Config::worker_concurrency, 1, 1000),
       [](const Config& c) { return std::to_string(c.worker_concurrency); }},
      {"PARLEY_WORKER_QUEUES", "(every queue)", "comma-separated queues the worker takes jobs from", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         std::vector<std::string> queues;
         std::size_t start = 0;
         while (start <= v.size()) {
           auto end = std::min(v.find(',', start), v.size());
           auto name = trim(v.substr(start, end - start));
           start = end + 1;
           if (name.empty()) continue;
           const bool ok = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
             return (ch >= 'a' && ch <= 'z') || ch == '_';
           });
           if (!ok) return "queue names of a-z and _ separated by commas, such as mail,default";
           queues.emplace_back(name);
         }
         c.worker_queues = std::move(queues);
         return std::nullopt;
       },
       [](const Config& c) {
         std::string shown;
         for (const auto& q : c.worker_queues) shown += (shown.empty() ? "" : ",") + q;
         return shown.empty() ? std::string("(every queue)") : shown;
       }},
      {"PARLEY_JOB_LEASE", "30s",
       "how long a claimed job stays a worker's without a heartbeat (a killed worker's jobs run again after it)",
       false, duration_range_field(&Config::job_lease, std::chrono::milliseconds(300), std::chrono::hours(1)),
       [](const Config& c) { return show_ms(c.job_lease); }},
      {"PARLEY_WORKER_POLL_INTERVAL", "1s",
       "how often an idle worker looks for due jobs (it also wakes at once for jobs committed on PostgreSQL "
       "or in its own process)",
       false,
       duration_range_field(&Config::worker_poll_interval, std::chrono::milliseconds(10), std::chrono::minutes(1)),
       [](const Config& c) { return show_ms(c.worker_poll_interval); }},
      {"PARLEY_JOB_DEAD_RETENTION", "30d", "how long dead jobs are kept for inspection and retry", false,
       duration_range_field(&Config::dead_job_retention, std::chrono::hours(1), std::chrono::hours(24 * 3650)),
       [](const Config& c) { return show_ms(c.dead_job_retention); }},
      {"PARLEY_SCHEDULES", "(the built-in ones)",
       "periodic jobs: name=<cron> [tz=Zone] [missed=skip or catch_up] <task>, separated by ';' (name=off turns "
       "a built-in one off; docs/jobs.md)", false,
       string_field(&Config::schedules), [](const Config& c) { return c.schedules; }},
      {"PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "0",
       "let webhooks reach loopback, private and link-local addresses (tests, single-host setups only)", false,
       bool_field(&Config::webhook_allow_private_targets),
       [](const Config& c) { return std::string(c.webhook_allow_private_targets ? "1" : "0"); }},
      {"PARLEY_WEBHOOK_DISABLE_AFTER", "3d", "a webhook whose deliveries all fail for this long is switched off",
       false,
       duration_range_field(&Config::webhook_disable_after, std::chrono::seconds(1), std::chrono::hours(24 * 365)),
       [](const Config& c) { return show_ms(c.webhook_disable_after); }},
      {"PARLEY_NOTIFY_DELAY", "10m",
       "how long a mention or direct message stays unread by a user who is away before it is mailed (one digest "
       "per user collects what arrives meanwhile; keep it above PARLEY_PRESENCE_TTL / 3)",
       false, duration_range_field(&Config::notify_delay, std::chrono::seconds(1), std::chrono::hours(24 * 7)),
       [](const Config& c) { return show_ms(c.notify_delay); }},
      {"PARLEY_TEST_TASKS", "0", "registers the tasks the test suites use (never in production)", false,
       bool_field(&Config::test_tasks), [](const Config& c) { return std::string(c.test_tasks ? "1" : "0"); }},
      {"PARLEY_LOG_LEVEL", "info", "trace, debug, info, warn, error or off", false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
         if (std::find(std::begin(kLevels), std::end(kLevels), v) == std::end(kLevels))
           return "one of trace, debug, info, warn, error, off";
         c.log_level = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.log_level; }},
      {"PARLEY_LOG_FORMAT", "text in development, json in production", "text (readable) or json (one object a line)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "text" && v != "json") return "text or json";
         c.log_format = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.effective_log_format(); }},
      {"PARLEY_ACCESS_LOG", "1", "one log line per request", false, bool_field(&Config::access_log),
       [](const Config& c) { return std::string(c.access_log ? "1" : "0"); }},
      {"PARLEY_RATE_LIMITS", "on",
       "off turns every request rate limit off (benchmarks); the failed-login lockout stays", false,
       bool_field(&Config::rate_limits), [](const Config& c) { return std::string(c.rate_limits ? "on" : "off"); }},
      {"PARLEY_RATE_LIMIT_STORE", "auto",
       "where rate-limit and login-lockout counters live: redis (shared by replicas), memory (this process), "
       "auto (redis when PARLEY_REDIS_URL is set)",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "auto" && v != "memory" && v != "redis") return "auto, memory or redis";
         c.rate_limit_store = std::string(v);
         return std::nullopt;
       },
       [](const Config& c) { return c.effective_rate_limit_store(); }},
      {"PARLEY_LOGIN_MAX_FAILURES_ACCOUNT", "5",
       "failed logins per account within PARLEY_LOGIN_FAILURE_WINDOW before lockouts start (1 s, doubling)", false,
       int_range_field(&Config::login_max_failures_account, 1, 1000),
       [](const Config& c) { return std::to_string(c.login_max_failures_account); }},
      {"PARLEY_LOGIN_MAX_FAILURES_IP", "50", "the same per client IP", false,
       int_range_field(&Config::login_max_failures_ip, 1, 100000),
       [](const Config& c) { return std::to_string(c.login_max_failures_ip); }},
      {"PARLEY_LOGIN_FAILURE_WINDOW", "15m", "how long failed logins are remembered", false,
       duration_range_field(&Config::login_failure_window, std::chrono::seconds(1), std::chrono::hours(24)),
       [](const Config& c) { return show_ms(c.login_failure_window); }},
      {"PARLEY_ABUSE_LIMIT", "10/m burst=50",
       "suspicious-IP detection: an address refused (401/403/429) faster than this gets a temporary deny rule "
       "(security.deny_ip job, audited); off turns it off",
       false,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         auto policy = parse_rate_policy(v);
         if (!policy) return std::string(kRatePolicyForm);
         c.abuse_limit = *policy;
         return std::nullopt;
       },
       [](const Config& c) { return c.abuse_limit.to_string(); }},
      {"PARLEY_ABUSE_BLOCK_FOR", "1h", "how long such a deny rule lasts", false,
       duration_range_field(&Config::abuse_block_for, std::chrono::minutes(1), std::chrono::hours(24 * 30)),
       [](const Config& c) { return show_ms(c.abuse_block_for); }},
      {"PARLEY_LOGIN_MAX_LOCKOUT", "15m", "the longest a lockout grows to", false,
       duration_range_field(&Config::login_max_lockout, std::chrono::seconds(1), std::chrono::hours(24)),
       [](const Config& c) { return show_ms(c.login_max_lockout); }},
  };
  // One row per rate-limit scope (core/rate_policy.cpp has the table and its defaults).
  for (const auto& scope : rate_scopes()) {
    const std::string name(scope.name);
    rows.push_back(Setting{
        scope.variable, scope.default_policy, scope.help, false,
        [name](Config& c, std::string_view v) -> std::optional<std::string> {
          auto policy = parse_rate_policy(v);
          if (!policy) return std::string(kRatePolicyForm);
          c.rate_policies[name] = *policy;
          return std::nullopt;
        },
        [name](const Config& c) { return c.rate_policies.at(name).to_string(); }});
  }
  return rows;
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = make_settings();
  return table;
}

namespace {

// Copies PARLEY_OIDC_PROVIDERS and, for each name it lists, the PARLEY_OIDC_<NAME>_* variables
// auth::oidc::providers_from_env reads (<NAME>: upper-cased, '-' -> '_'). Unknown suffixes are not
// read; the parsing and validation stay in providers_from_env.
void load_oidc_env(const Config::Lookup& lookup, std::map<std::string, std::string, std::less<>>& out) {
  static constexpr std::string_view kSuffixes[] = {"ISSUER",      "CLIENT_ID",   "CLIENT_SECRET", "REDIRECT_URI",
                                                   "SCOPES",      "AUTH_METHOD", "EXTRA_ORIGINS"};
  auto names = lookup("PARLEY_OIDC_PROVIDERS");
  if (!names) return;
  out["PARLEY_OIDC_PROVIDERS"] = *names;
  std::string name;
  auto flush = [&]() {
    if (name.empty()) return;
    std::string prefix = "PARLEY_OIDC_";
    for (char c : name) prefix += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (auto suffix : kSuffixes) {
      std::string variable = prefix + "_" + std::string(suffix);
      if (auto value = lookup(variable)) out[variable] = *value;
    }
    name.clear();
  };
  for (char c : *names) {
    if (c == ',' || c == ' ' || c == '\t') {
      flush();
    } else {
      name += c;
    }
  }
  flush();
}

}  // namespace

Config::Loaded Config::load(const Lookup& lookup) {
  Loaded loaded;
  for (const auto& setting : settings()) {
    auto raw = lookup(setting.name);
    if (!raw) continue;
    if (auto expected = setting.apply(loaded.config, trim(*raw))) {
      std::string shown = setting.secret ? mask_secret(*raw) : "'" + *raw + "'";
      loaded.problems.push_back(std::string(setting.name) + ": expected " + *expected + ", got " + shown);
    }
  }
  if (loaded.config.tls_cert_file.empty() != loaded.config.tls_key_file.empty())
    loaded.problems.emplace_back("PARLEY_TLS_CERT and PARLEY_TLS_KEY: set both or neither");
  if (loaded.config.rate_limit_store == "redis" && loaded.config.redis_url.empty())
    loaded.problems.emplace_back("PARLEY_RATE_LIMIT_STORE: redis needs PARLEY_REDIS_URL");
  if (loaded.config.cache == "redis" && loaded.config.redis_url.empty())
    loaded.problems.emplace_back("PARLEY_CACHE: redis needs PARLEY_REDIS_URL to be set");
  load_oidc_env(lookup, loaded.config.oidc_env);
  if (loaded.config.threads == 0) loaded.config.threads = std::max(1u, std::thread::hardware_concurrency());
  if (loaded.config.migrations_dir.empty()) loaded.config.migrations_dir = std::string(PARLEY_SOURCE_DIR) + "/migrations";
  if (loaded.config.web_dir.empty()) loaded.config.web_dir = std::string(PARLEY_SOURCE_DIR) + "/web";
  return loaded;
}

Config::Lookup Config::process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::vector<std::string> deploy_problems(const Config& c) {
  std::vector<std::string> problems;
  if (c.environment != "production") problems.emplace_back("PARLEY_ENV: must be production");
  if (c.test_tasks) problems.emplace_back("PARLEY_TEST_TASKS: must be off in production");
  if (c.webhook_allow_private_targets) {
    problems.emplace_back("PARLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS: must be off in production (webhooks could reach "
                          "internal services)");
  }
  if (c.debug) problems.emplace_back("PARLEY_DEBUG: must be off in production");
  if (c.secret_key.size() < 32) {
    problems.emplace_back("PARLEY_SECRET_KEY: must be set to at least 32 characters (e.g. `openssl rand -base64 48`)");
  } else {
    std::string distinct = c.secret_key;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.size() < 10) problems.emplace_back("PARLEY_SECRET_KEY: too little variety; use a random value");
  }
  if (c.allowed_hosts.empty() ||
      std::find(c.allowed_hosts.begin(), c.allowed_hosts.end(), "*") != c.allowed_hosts.end())
    problems.emplace_back("PARLEY_ALLOWED_HOSTS: list the host names this deployment serves");
  if (!c.tls_enabled() && c.trusted_proxies.empty())
    problems.emplace_back("PARLEY_TLS_CERT/PARLEY_TRUSTED_PROXIES: serve TLS yourself or sit behind a trusted TLS proxy");
  if (std::find(c.cors_origins.begin(), c.cors_origins.end(), "*") != c.cors_origins.end())
    problems.emplace_back("PARLEY_CORS_ORIGINS: '*' is not allowed in production");
  if (c.uses_sqlite()) problems.emplace_back("PARLEY_DATABASE_URL: use PostgreSQL in production");
  if (c.jwt_private_key_file.empty())
    problems.emplace_back("PARLEY_JWT_PRIVATE_KEY_FILE: set a persistent Ed25519 key shared by every replica");
  return problems;
}

std::string mask_secret(std::string_view value) {
  if (value.empty()) return "(unset)";
  return "******** (" + std::to_string(value.size()) + " characters)";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  auto number = parse_int<std::int64_t>(text.substr(0, digits));
  auto unit = text.substr(digits);
  if (!number) return std::nullopt;
  if (unit == "ms") return std::chrono::milliseconds(*number);
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(*number * 1000);
  if (unit == "m") return std::chrono::milliseconds(*number * 60'000);
  if (unit == "h") return std::chrono::milliseconds(*number * 3'600'000);
  if (unit == "d") return std::chrono::milliseconds(*number * 86'400'000);
  return std::nullopt;
}

std::optional<std::size_t> parse_size(std::string_view text) {
  text = trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  auto number = parse_int<std::size_t>(text.substr(0, digits));
  std::string unit(text.substr(digits));
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!number) return std::nullopt;
  if (unit.empty() || unit == "b") return *number;
  if (unit == "k" || unit == "kb" || unit == "kib") return *number << 10;
  if (unit == "m" || unit == "mb" || unit == "mib") return *number << 20;
  if (unit == "g" || unit == "gb" || unit == "gib") return *number << 30;
  return std::nullopt;
}

}  // namespace parley
