#include "private_redis.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "harness.hpp"

namespace parley::testing {

namespace asio = boost::asio;

namespace {

std::filesystem::path find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    auto candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error(name + " is not installed (scripts/bootstrap installs it)");
}

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

bool answers(std::uint16_t port) {
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string ping = "PING\r\n";
    asio::write(socket, asio::buffer(ping));
    char reply[7] = {};
    asio::read(socket, asio::buffer(reply, 7));
    return std::string(reply, 7) == "+PONG\r\n";
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

PrivateRedis::PrivateRedis() : binary_(find_on_path("redis-server")), port_(free_port()) {
  dir_ = std::filesystem::temp_directory_path() / ("parley-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
  std::filesystem::create_directories(dir_);
  start();
}

PrivateRedis::~PrivateRedis() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PrivateRedis::start() {
  child_ = std::make_unique<Child>(
      std::vector<std::string>{binary_.string(), "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", dir_.string()},
      std::map<std::string, std::string>{}, dir_);
  if (!eventually([this] { return answers(port_); }, std::chrono::seconds(10))) {
    throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_));
  }
}

void PrivateRedis::stop() {
  if (!child_) return;
  ::kill(child_->pid(), SIGKILL);
  child_->wait_for_exit(std::chrono::seconds(10));
  child_.reset();
}

}  // namespace parley::testing
