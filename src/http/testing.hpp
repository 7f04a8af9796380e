#pragma once
// Test-only helpers for the http unit tests: run a coroutine to completion, and build requests.
// Header-only; included by *_test.cpp files only.
#include "http/raw_request.hpp"
#include "http/request.hpp"

#include "core/testing.hpp"

#include <boost/beast/core/string.hpp>

#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace parley::http::testing {

using parley::testing::run_awaitable;

// A parsed-looking request: method, target, headers and body, HTTP/1.1.
inline RawRequest make_raw(std::string_view method, std::string_view target,
                           std::initializer_list<std::pair<std::string_view, std::string_view>> headers = {},
                           std::string body = {}) {
  RawRequest raw;
  raw.message.method_string(boost::beast::string_view(method.data(), method.size()));
  raw.message.target(boost::beast::string_view(target.data(), target.size()));
  raw.message.version(11);
  for (const auto& [name, value] : headers) {
    raw.message.insert(boost::beast::string_view(name.data(), name.size()),
                       boost::beast::string_view(value.data(), value.size()));
  }
  raw.message.body() = std::move(body);
  if (!raw.message.body().empty()) raw.message.prepare_payload();
  return raw;
}

}  // namespace parley::http::testing
