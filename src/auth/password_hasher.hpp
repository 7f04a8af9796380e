#pragma once
// Password hashing with Argon2id (RFC 9106) in the PHC string format, on a thread pool of its own.
//
//   PasswordHasher hasher;                                  // once, in the composition root
//   std::string stored = co_await hasher.hash(password);    // runs on the hasher's pool
//   bool ok = co_await hasher.verify(password, stored);     // constant-time comparison
//   if (ok && hasher.needs_rehash(stored)) { /* store co_await hasher.hash(password) */ }
//   if (!user) co_await hasher.dummy_verify(password);      // same cost when the account is unknown
//
// Hashing costs tens of milliseconds of CPU and ~19 MiB of memory per call, so it never runs on an
// I/O thread: the awaitable functions run the work on a boost::asio::thread_pool owned by the
// hasher and resume the awaiting coroutine on its own executor. The *_blocking functions do the
// same work on the calling thread (for the CLI, tests, and code already on a blocking pool).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace parley::auth {

// Argon2id cost parameters. The defaults are OWASP's minimum recommendation for Argon2id
// (Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1); PasswordHasher refuses anything weaker.
struct Argon2Params {
  std::uint32_t memory_kib = 19456;  // m
  std::uint32_t iterations = 2;      // t
  std::uint32_t parallelism = 1;     // p (lanes; the hash is computed on one thread)

  friend bool operator==(const Argon2Params&, const Argon2Params&) = default;
};

// The fields of an Argon2 PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>
// (standard Base64 alphabet without padding). salt_bytes / hash_bytes are the decoded lengths.
struct PhcArgon2 {
  std::string algorithm;      // "argon2id", "argon2i" or "argon2d"
  std::uint32_t version = 0;  // 19 (0x13); 16 (0x10) when "v=" is absent, as libargon2 writes it
  Argon2Params params;
  std::size_t salt_bytes = 0;
  std::size_t hash_bytes = 0;
};

// An argon2id v=19 PHC string with `params`, a random kSaltBytes salt and a random kHashBytes
// "hash" from OpenSSL's CSPRNG: no password hashes to it (finding one means inverting Argon2id),
// yet verifying any password against it costs exactly a real verification, which derives the hash
// from the string's parameters and salt before comparing. Costs no hashing, so building it at
// start-up is free. Throws std::runtime_error when the random generator fails. Thread-safe.
std::string unmatchable_argon2id_phc(const Argon2Params& params);

// Parses an Argon2 PHC string without verifying anything cryptographic. Returns nullopt for
// anything that is not a well-formed Argon2 PHC string (unknown algorithm, missing or non-numeric
// parameters, parameters out of order, invalid Base64). Pure; thread-safe.
std::optional<PhcArgon2> parse_phc_argon2(std::string_view encoded);

// Hashes and verifies passwords. Thread-safe: every member function may be called concurrently.
// The hasher must outlive every operation started on it (it is owned by the composition root);
// its destructor waits for the hashes already running or queued on its pool.
class PasswordHasher {
 public:
  static constexpr std::size_t kSaltBytes = 16;
  static constexpr std::size_t kHashBytes = 32;
  // Longest password accepted, in bytes: a bound on the work one request can cause. The policy
  // allows 128 code points (at most 512 bytes); verifying a longer password returns false.
  static constexpr std::size_t kMaxPasswordBytes = 4096;

  struct Options {
    Argon2Params params{};
    std::size_t threads = 2;  // size of the hashing pool; each running hash holds params.memory_kib
  };

  // Throws std::invalid_argument when params are weaker than OWASP's minimum (m < 19456, t < 2,
  // p < 1), or threads is 0. Cheap: starts the pool's threads and hashes nothing (the dummy hash
  // is unmatchable_argon2id_phc).
  PasswordHasher();
  explicit PasswordHasher(Options options);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  const Argon2Params& params() const noexcept { return params_; }

  // A new PHC string for `password` with a fresh 16-byte salt from OpenSSL's CSPRNG and the
  // current parameters. Runs on the hasher's pool; resumes on the caller's executor.
  // Throws std::invalid_argument for a password over kMaxPasswordBytes, std::runtime_error when
  // the random generator or libargon2 fails (e.g. out of memory).
  boost::asio::awaitable<std::string> hash(std::string password);

  // Whether `password` matches the PHC string `encoded` (argon2id only), compared in constant
  // time by libargon2. A malformed, non-argon2id or non-matching string gives false; only a
  // resource failure (out of memory) throws std::runtime_error. Runs on the hasher's pool.
  boost::asio::awaitable<bool> verify(std::string password, std::string encoded);

  // Always false, after the same work as verify() against a hash with the current parameters: call
  // it when the account does not exist, so that response time does not tell whether it does.
  boost::asio::awaitable<bool> dummy_verify(std::string password);

  // The same work on the calling thread (never call these on an I/O thread).
  std::string hash_blocking(std::string_view password) const;
  bool verify_blocking(std::string_view password, std::string_view encoded) const;
  bool dummy_verify_blocking(std::string_view password) const;

  // Whether a stored hash should be replaced by a new one at the next successful login: true when
  // it is not a well-formed argon2id v=19 string, when m or t is below the current parameters,
  // when p differs from them, or when its salt or hash is shorter than kSaltBytes / kHashBytes.
  // Cheap (no hashing); thread-safe.
  bool needs_rehash(std::string_view encoded) const;

  // Runs f() on the hashing pool and returns its result (or rethrows its exception) in the awaiting
  // coroutine, resumed on that coroutine's executor, whose work count is held meanwhile. hash(),
  // verify() and dummy_verify() are built on it; use it for other password-grade CPU work. f is
  // moved onto the pool and must not reference anything that could die before it returns.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run_on_pool(F f) {
    using R = std::invoke_result_t<F&>;
    auto on_pool = [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); };
    co_return co_await boost::asio::co_spawn(pool_.get_executor(), std::move(on_pool), boost::asio::use_awaitable);
  }

 private:
  Argon2Params params_;
  std::string dummy_hash_;  // unmatchable_argon2id_phc(params_), made by the constructor
  boost::asio::thread_pool pool_;
};

}  // namespace parley::auth
