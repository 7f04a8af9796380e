#pragma once
// OpenID Connect relying party: authorization code flow with PKCE (RFC 7636, S256 only), state and
// nonce, discovery (OpenID Connect Discovery 1.0), JWKS cached by kid, and id_token verification
// (OpenID Connect Core 1.0 section 3.1.3.7, RFC 8725).
//
// How the /auth/oidc/{provider}/login and /callback handlers use it:
//
//   OidcProviders providers(providers_from_env(getenv_fn));          // composition root
//
//   // GET /auth/oidc/{provider}/login
//   OidcClient& client = providers.get(provider);                     // AppError 404 if unknown
//   LoginStart start = co_await client.begin_login();
//   std::string binding = random_token(32);                           // -> cookie __Host-parley_oidc
//   co_await oidc_repo.save_state(db, {.state_key = login_state_key(start.state, binding),
//       .provider = provider, .nonce = start.nonce, .code_verifier = start.code_verifier,
//       .redirect_to = ..., .expires_at = now + 10 min});
//   302 Location: start.authorization_url
//
//   // GET /auth/oidc/{provider}/callback?code=..&state=..[&iss=..]   (or ?error=..)
//   auto saved = co_await oidc_repo.consume_state(db, login_state_key(state, cookie_binding), provider, now);
//   if (!saved) -> 400/401 (unknown, replayed, expired, or another browser's state)
//   IdentityClaims id = co_await client.complete_login(code, saved->code_verifier, saved->nonce, iss);
//   user = co_await oidc_repo.find_user_by_identity(db, provider, id.subject)
//          or link by verified email (id.email_verified) / create, then oidc_repo.link_identity(...)
//
// Every failure of discovery, the token request or id_token verification throws AppError 401
// (code "oidc_failed") with a generic public message and the precise reason in internal_detail;
// malformed callback input is AppError 400; a provider that cannot be reached gives the
// HttpFetcher's AppError 502. Server-side fetches go only to the configured origins (HttpFetcher).
//
// Thread-safety: OidcClient and OidcProviders may be used from any number of threads at once (the
// discovery and JWKS caches are guarded by a mutex that is never held across a suspension).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/oidc/http_fetch.hpp"
#include "core/error.hpp"

struct evp_pkey_st;

namespace parley::auth::oidc {

using Clock = std::chrono::system_clock;

enum class ClientAuthMethod { client_secret_basic, client_secret_post };

// One configured OpenID provider.
struct ProviderConfig {
  std::string name;    // [a-z0-9_-]{1,64}: the {provider} path segment and the stored provider
  std::string issuer;  // issuer identifier, compared exactly (https, or http on loopback)
  std::string client_id;
  std::string client_secret;  // never logged
  std::string redirect_uri;   // .../auth/oidc/{name}/callback, registered at the provider
  std::vector<std::string> scopes{"openid", "email", "profile"};  // must contain "openid"
  ClientAuthMethod auth_method = ClientAuthMethod::client_secret_basic;
  // Further origins the provider's token endpoint or JWKS live on (e.g. Google's
  // https://oauth2.googleapis.com and https://www.googleapis.com); the issuer's origin is implied.
  std::vector<std::string> extra_origins;
};

// Throws std::invalid_argument naming the problem (never the secret) when `config` is unusable:
// bad name, issuer not https (or http on loopback) or with a query/fragment, empty client id or
// secret, redirect_uri not an absolute http(s) URL, no "openid" scope, a bad extra origin.
void validate_provider_config(const ProviderConfig& config);

// Reads the providers from environment variables through `getenv` (returns nullopt when unset):
//   PARLEY_OIDC_PROVIDERS              names, separated by commas or spaces (unset or empty: none)
//   PARLEY_OIDC_<NAME>_ISSUER          required      (<NAME>: the name upper-cased, '-' -> '_')
//   PARLEY_OIDC_<NAME>_CLIENT_ID       required
//   PARLEY_OIDC_<NAME>_CLIENT_SECRET   required
//   PARLEY_OIDC_<NAME>_REDIRECT_URI    required
//   PARLEY_OIDC_<NAME>_SCOPES          optional, space-separated (default "openid email profile")
//   PARLEY_OIDC_<NAME>_AUTH_METHOD     optional, client_secret_basic (default) or client_secret_post
//   PARLEY_OIDC_<NAME>_EXTRA_ORIGINS   optional, space-separated origins
// Throws std::invalid_argument naming the variable for a missing or invalid value, or a duplicate name.
std::vector<ProviderConfig> providers_from_env(
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

// The parts of the provider's discovery document Parley uses.
struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::vector<std::string> id_token_algs;  // advertised ∩ {RS256, ES256}, never empty
};

// What the login handler needs: redirect the browser to authorization_url, store the rest.
struct LoginStart {
  std::string authorization_url;
  std::string state;          // 256 random bits, base64url; goes to the browser
  std::string nonce;          // 256 random bits, base64url; store it
  std::string code_verifier;  // 43 characters (256 bits), base64url; store it, never send it to the browser
};

// The verified identity from an id_token.
struct IdentityClaims {
  std::string issuer;
  std::string subject;  // "sub", 1 to 255 bytes
  std::optional<std::string> email;
  bool email_verified = false;  // true only when the provider says so ("email_verified": true)
  std::optional<std::string> name;
  std::optional<std::string> preferred_username;
};

// RFC 7636 S256 code challenge: base64url(SHA-256(ASCII(verifier))), unpadded.
std::string pkce_challenge(std::string_view code_verifier);

// The key under which a login state is stored: hex HMAC-SHA-256 of `state` under the random value
// `browser_binding` kept in an HttpOnly cookie of the browser that started the login (64 characters).
// The callback finds the state only with the same cookie, so a state that leaks, or that an attacker
// plants in a victim's browser (login CSRF), is useless without the cookie. Throws
// AppError::internal when browser_binding is empty.
std::string login_state_key(std::string_view state, std::string_view browser_binding);

// Public keys from a JWKS document that can verify id_tokens: RSA keys (>= 2048 bits) for RS256
// and EC P-256 keys for ES256; keys for encryption ("use": "enc") or of other types are skipped.
// Immutable after parsing; cheap to copy.
class JsonWebKeySet {
 public:
  struct Key {
    std::string kid;  // may be empty (a provider with one key need not name it)
    std::string alg;  // "RS256" or "ES256" (from the JWK's "alg", or implied by kty/crv)
    std::shared_ptr<evp_pkey_st> key;
  };

  JsonWebKeySet() = default;
  // Parses a JWKS document ({"keys": [...]}); throws AppError 401 (oidc_failed) when it is not one.
  static JsonWebKeySet parse(std::string_view json);

  // The key for a token header: by kid when kid is non-empty; otherwise the only key for `alg`.
  // nullptr when there is none (or, without kid, several).
  const Key* find(std::string_view kid, std::string_view alg) const noexcept;
  std::size_t size() const noexcept { return keys_.size(); }

 private:
  std::vector<Key> keys_;
};

// What an id_token must satisfy.
struct IdTokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  std::vector<std::string> algs{"RS256", "ES256"};  // accepted "alg" values (a subset of these two)
  Clock::time_point now;
  std::chrono::seconds leeway{60};
};

// The JOSE header fields that select a key.
struct IdTokenHeader {
  std::string alg;
  std::string kid;  // empty when absent
};

// Parses and checks the header of a compact JWS id_token: size <= 16 KiB, three strict base64url
// segments, header a strict JSON object (no duplicate members) with "alg" in expectations' algs
// ("none", HS*, any other value or case variant refused), no "crit", "typ" absent or "JWT".
// Throws AppError 401 (oidc_failed).
IdTokenHeader parse_id_token_header(std::string_view id_token, const std::vector<std::string>& algs);

// Verifies `id_token` completely with `keys`: the header (parse_id_token_header), the key (by kid,
// its kty and alg matching the header's alg), the signature (before any claim is read), then the
// claims: iss == issuer; aud (string or array) contains client_id; azp == client_id when present and
// required when aud has several entries; exp > now - leeway; iat <= now + leeway; nbf (if any)
// <= now + leeway; nonce == nonce (constant time); sub a string of 1..255 bytes. Throws AppError 401
// (oidc_failed) on any failure, including an unknown kid.
IdentityClaims verify_id_token(std::string_view id_token, const JsonWebKeySet& keys,
                               const IdTokenExpectations& expected);

struct OidcClientOptions {
  std::chrono::seconds leeway{60};                 // clock skew tolerated on exp, iat, nbf
  std::chrono::seconds metadata_ttl{3600};         // discovery document cache lifetime
  std::chrono::seconds jwks_ttl{3600};             // JWKS cache lifetime
  std::chrono::seconds jwks_refetch_interval{60};  // at most one refetch on an unknown kid per interval
  std::function<Clock::time_point()> clock;        // defaults to Clock::now
};

// The relying party for one provider. Uses (does not own) an HttpFetcher whose allow-list holds the
// provider's origins; both must outlive every operation started on the client.
class OidcClient {
 public:
  // Throws std::invalid_argument for an invalid config (validate_provider_config) or when the
  // fetcher does not allow the issuer's origin.
  OidcClient(ProviderConfig config, HttpFetcher& fetcher, OidcClientOptions options = {});

  const ProviderConfig& config() const noexcept { return config_; }

  // The provider's metadata from {issuer}/.well-known/openid-configuration, cached for metadata_ttl.
  // The document's issuer must equal the configured issuer exactly; its token endpoint and jwks_uri
  // must be allowed by the fetcher; its authorization endpoint must be https (http only for a
  // loopback issuer); it must advertise RS256 or ES256, and S256 when it lists PKCE methods.
  boost::asio::awaitable<ProviderMetadata> metadata();

  // A new login: fresh state, nonce and code verifier, and the authorization URL (response_type=code,
  // scope, redirect_uri, state, nonce, code_challenge, code_challenge_method=S256).
  boost::asio::awaitable<LoginStart> begin_login();

  // Finishes a login at the callback: `response_iss`, the callback's "iss" parameter (RFC 9207),
  // must equal the issuer when present. Exchanges `code` at the token endpoint (with
  // `code_verifier` and the client's credentials), then verifies the id_token against
  // `expected_nonce` (verify_id_token), fetching the JWKS when it is not cached and refetching it
  // once on an unknown kid (at most once per jwks_refetch_interval). Throws AppError 400 for an
  // empty code, verifier or nonce; 401 (oidc_failed) otherwise.
  boost::asio::awaitable<IdentityClaims> complete_login(std::string code, std::string code_verifier,
                                                        std::string expected_nonce,
                                                        std::optional<std::string> response_iss = std::nullopt);

  // The token request of complete_login alone: exchanges `code` (with `code_verifier` and the client's
  // credentials) and returns the raw id_token, not yet verified. Throws AppError 401 (oidc_failed)
  // when the provider refuses (invalid_grant, wrong verifier, replayed code) or answers without an
  // id_token or with a token_type other than Bearer.
  boost::asio::awaitable<std::string> exchange_code(std::string code, std::string code_verifier);

  // verify_id_token with the provider's keys (fetched and cached as complete_login does).
  boost::asio::awaitable<IdentityClaims> verify(std::string id_token, std::string expected_nonce);

  // How many times the JWKS was fetched (monitoring and tests).
  std::size_t jwks_fetch_count() const;

 private:
  AppError failure(std::string detail) const;
  // The cached key set, or a fresh one when there is none or it expired.
  boost::asio::awaitable<std::shared_ptr<const JsonWebKeySet>> keys(bool refetch_for_unknown_kid);
  boost::asio::awaitable<std::shared_ptr<const JsonWebKeySet>> fetch_keys(const std::string& jwks_uri);
  Clock::time_point now() const;

  ProviderConfig config_;
  HttpFetcher& fetcher_;
  OidcClientOptions options_;

  mutable std::mutex mutex_;  // guards the members below
  std::optional<ProviderMetadata> metadata_;
  Clock::time_point metadata_fetched_at_{};
  std::shared_ptr<const JsonWebKeySet> jwks_;
  Clock::time_point jwks_fetched_at_{};
  std::optional<Clock::time_point> last_unknown_kid_refetch_;
  std::size_t jwks_fetch_count_ = 0;
};

// The configured providers by name, with the one HttpFetcher whose allow-list is the union of their
// origins. Built once in the composition root.
class OidcProviders {
 public:
  // Throws std::invalid_argument for an invalid config or a duplicate name.
  explicit OidcProviders(std::vector<ProviderConfig> configs, HttpFetchOptions fetch_options = {},
                         OidcClientOptions client_options = {});

  // The client for `name`; nullptr when no such provider is configured.
  OidcClient* find(std::string_view name) const noexcept;
  // The client for `name`; throws AppError::not_found when no such provider is configured.
  OidcClient& get(std::string_view name) const;
  std::vector<std::string> names() const;
  bool empty() const noexcept { return clients_.empty(); }

 private:
  std::unique_ptr<HttpFetcher> fetcher_;
  std::map<std::string, std::unique_ptr<OidcClient>, std::less<>> clients_;
};

}  // namespace parley::auth::oidc
