#include "redis/script.hpp"

#include <openssl/sha.h>

namespace parley::redis {

namespace {

std::string sha1_hex(const std::string& text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

boost::asio::awaitable<Reply> Script::run(Client& client, std::span<const std::string> keys,
                                          std::span<const std::string> args) const {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.emplace_back("EVALSHA");
  command.push_back(sha1_);
  command.push_back(std::to_string(keys.size()));
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  Reply reply = co_await client.command(command);
  if (reply.is_error() && reply.error_code() == "NOSCRIPT") {
    command[0] = "EVAL";
    command[1] = source_;
    reply = co_await client.command(command);
  }
  co_return reply;
}

}  // namespace parley::redis
