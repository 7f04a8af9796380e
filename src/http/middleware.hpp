#pragma once
// Middleware is an onion: each layer either answers early or calls `next`. The order lives in one
// list (app/pipeline.cpp) with the reason each entry sits where it does.
#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace parley::http {

class Middleware;

// The rest of the chain after one middleware. Cheap to copy; valid during the call only.
class Next {
 public:
  Next(const std::vector<std::unique_ptr<Middleware>>* chain, std::size_t index,
       const std::function<boost::asio::awaitable<Response>(Request&)>* terminal)
      : chain_(chain), index_(index), terminal_(terminal) {}
  boost::asio::awaitable<Response> operator()(Request& req) const;

 private:
  const std::vector<std::unique_ptr<Middleware>>* chain_;
  std::size_t index_;
  const std::function<boost::asio::awaitable<Response>(Request&)>* terminal_;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual boost::asio::awaitable<Response> handle(Request& req, Next next) = 0;
};

// The assembled pipeline: middleware outermost first, then the terminal (the router's dispatch).
class Pipeline {
 public:
  using Terminal = std::function<boost::asio::awaitable<Response>(Request&)>;
  Pipeline(std::vector<std::unique_ptr<Middleware>> chain, Terminal terminal)
      : chain_(std::move(chain)), terminal_(std::move(terminal)) {}
  boost::asio::awaitable<Response> operator()(Request& req) const { return Next(&chain_, 0, &terminal_)(req); }
  const std::vector<std::unique_ptr<Middleware>>& chain() const noexcept { return chain_; }

 private:
  std::vector<std::unique_ptr<Middleware>> chain_;
  Terminal terminal_;
};

}  // namespace parley::http
