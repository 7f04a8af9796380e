#include "http/middlewares.hpp"

#include <random>

namespace parley::http {
namespace {

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// 128 random bits as 32 hex digits. Request ids are correlation handles, not secrets, so a
// per-thread PRNG seeded from the OS is enough and keeps the hot path free of syscalls.
std::string make_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = rng();
    for (int i = 0; i < 16; ++i) id[half * 16 + i] = kHex[(bits >> (i * 4)) & 0xf];
  }
  return id;
}

class RequestIdMiddleware final : public Middleware {
 public:
  std::string_view name() const noexcept override { return "request_id"; }

  boost::asio::awaitable<Response> handle(Request& req, Next next) override {
    auto incoming = req.header("X-Request-Id");
    req.request_id = sane_request_id(incoming) ? std::string(incoming) : make_request_id();
    Response response = co_await next(req);
    response.set_header("X-Request-Id", req.request_id);
    co_return response;
  }
};

}  // namespace

std::unique_ptr<Middleware> make_request_id_middleware() { return std::make_unique<RequestIdMiddleware>(); }

}  // namespace parley::http
