#pragma once
// The Beast message behind a Request. Only the server, request.cpp and tests include this, so
// Beast stays out of handler and middleware code.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace parley::http {

struct RawRequest {
  boost::beast::http::request<boost::beast::http::string_body> message;
};

}  // namespace parley::http
