#pragma once
// A blocking HTTP server on loopback for tests of what Parley sends out (webhook deliveries, OTLP
// span exports): it records every request and answers 200, or 500 to the first ones on demand.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::testing {

// A blocking HTTP server on 127.0.0.1 that answers `status` (500 for the first `fail_first`
// requests) and keeps every request it got.
class Receiver {
  using tcp = boost::asio::ip::tcp;
 public:
  struct Received {
    std::string body;
    std::string signature;
    std::string event;
    std::string delivery;
    std::string content_type;
    std::string target;
    std::string traceparent;
  };

  Receiver() : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~Receiver() {
    stopping_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept with one connection of our own.
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }

  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  void fail_first(int n) { fail_first_ = n; }
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      boost::beast::flat_buffer buffer;
      boost::beast::http::request<boost::beast::http::string_body> req;
      boost::beast::http::read(socket, buffer, req, ec);
      if (ec) continue;
      const int n = ++requests_;
      {
        std::lock_guard lock(mutex_);
        received_.push_back(Received{req.body(), std::string(req["Parley-Signature"]), std::string(req["Parley-Event"]),
                                     std::string(req["Parley-Delivery"]), std::string(req["Content-Type"]),
                                     std::string(req.target()), std::string(req["traceparent"])});
      }
      boost::beast::http::response<boost::beast::http::string_body> res{
          n <= fail_first_ ? boost::beast::http::status::internal_server_error : boost::beast::http::status::ok, 11};
      res.body() = n <= fail_first_ ? "not now" : "thanks";
      res.prepare_payload();
      boost::beast::http::write(socket, res, ec);
    }
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> fail_first_{0};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::vector<Received> received_;
};

}  // namespace parley::testing
