#include "cache/redis_backend.hpp"

#include <charconv>
#include <stdexcept>

namespace parley::cache {

using boost::asio::awaitable;

namespace {

const redis::Reply& checked(const redis::Reply& reply) {
  if (reply.is_error()) throw std::runtime_error("redis error reply: " + reply.text);
  return reply;
}

std::uint64_t version_of(const redis::Reply& reply) {
  if (reply.is_null()) return 0;
  if (reply.type == redis::Reply::Type::integer) return static_cast<std::uint64_t>(reply.integer);
  std::uint64_t value = 0;
  const auto* end = reply.text.data() + reply.text.size();
  if (!reply.is_string() || std::from_chars(reply.text.data(), end, value).ptr != end) {
    throw std::runtime_error("redis: a cache version is not a number: " + reply.debug_string());
  }
  return value;
}

}  // namespace

RedisBackend::RedisBackend(std::shared_ptr<redis::Client> client, std::string prefix)
    : client_(std::move(client)), prefix_(std::move(prefix)) {}

awaitable<std::optional<std::string>> RedisBackend::get(std::string key) {
  const std::vector<std::string> args{"GET", prefix_ + key};
  auto reply = co_await client_->command(args);
  checked(reply);
  if (reply.is_null()) co_return std::nullopt;
  co_return std::move(reply.text);
}

awaitable<void> RedisBackend::set(std::string key, std::string value, std::chrono::milliseconds ttl) {
  std::vector<std::string> args{"SET", prefix_ + key, std::move(value), "PX", std::to_string(ttl.count())};
  auto reply = co_await client_->command(args);
  checked(reply);
}

awaitable<void> RedisBackend::erase(std::string key) {
  const std::vector<std::string> args{"DEL", prefix_ + key};
  auto reply = co_await client_->command(args);
  checked(reply);
}

awaitable<std::vector<std::uint64_t>> RedisBackend::versions(std::vector<std::string> namespaces) {
  std::vector<std::uint64_t> out;
  if (namespaces.empty()) co_return out;
  std::vector<std::string> args;
  args.reserve(namespaces.size() + 1);
  args.emplace_back("MGET");
  for (const auto& ns : namespaces) args.push_back(prefix_ + "ns:" + ns);
  auto reply = co_await client_->command(args);
  checked(reply);
  if (!reply.is_array() || reply.elements.size() != namespaces.size()) {
    throw std::runtime_error("redis: unexpected MGET reply: " + reply.debug_string());
  }
  out.reserve(namespaces.size());
  for (const auto& element : reply.elements) out.push_back(version_of(element));
  co_return out;
}

awaitable<void> RedisBackend::bump(std::vector<std::string> namespaces) {
  if (namespaces.empty()) co_return;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(namespaces.size());
  for (const auto& ns : namespaces) commands.push_back({"INCR", prefix_ + "ns:" + ns});
  auto replies = co_await client_->pipeline(commands);
  for (const auto& reply : replies) checked(reply);
}

}  // namespace parley::cache
