#include "http/middleware.hpp"

namespace parley::http {

boost::asio::awaitable<Response> Next::operator()(Request& req) const {
  if (index_ == chain_->size()) return (*terminal_)(req);
  return (*chain_)[index_]->handle(req, Next(chain_, index_ + 1, terminal_));
}

}  // namespace parley::http
