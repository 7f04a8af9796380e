#pragma once
// Test-only helpers for the http unit tests: run a coroutine to completion, and build requests.
// Header-only; included by *_test.cpp files only.
#include "http/raw_request.hpp"
#include "http/request.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace parley::http::testing {

// Runs `task` on a fresh io_context until it finishes; returns its result or rethrows its exception.
template <typename T>
T run_awaitable(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  std::exception_ptr error;
  std::optional<T> result;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

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
