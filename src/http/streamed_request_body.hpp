#pragma once
// The server's BodyStream for routes that stream their request body (internal to the server; only
// session.cpp includes it). It takes over the connection's parser once the head is read and pulls
// the body through Beast's buffer_body straight into the handler's buffer: nothing of the body is
// read before the handler asks, and nothing is kept between reads.
#include "core/error.hpp"
#include "http/body_stream.hpp"
#include "http/response.hpp"
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string_view>

namespace parley::http {

template <class Stream>
class StreamedRequestBody final : public BodyStream {
 public:
  using HeadParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using BodyParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  // `head` has read the head of a request with a body, and nothing of the body. `limit` is the
  // route's largest body. The stream and buffer are the connection's; all must outlive this.
  StreamedRequestBody(Stream& stream, boost::beast::flat_buffer& buffer, HeadParser&& head, std::uint64_t limit,
                      const ServerOptions& options)
      : stream_(stream), buffer_(buffer), parser_(std::move(head)), limit_(limit), options_(options) {
    parser_.body_limit(limit);  // enforced by Beast for chunked bodies; Content-Length is checked first
    auto expect = parser_.get()[boost::beast::http::field::expect];
    expect_continue_ = iequals(std::string_view(expect.data(), expect.size()), "100-continue");
  }

  // The request head (method, target, fields) as parsed.
  const boost::beast::http::request_header<>& head() const { return parser_.get().base(); }

  boost::asio::awaitable<std::size_t> read_some(std::span<char> out) override {
    if (failure_) throw *failure_;
    if (parser_.is_done() || out.empty()) co_return 0;
    constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    auto& lowest = boost::beast::get_lowest_layer(stream_);
    if (!started_) {
      started_ = true;
      auto length = parser_.content_length();
      if (length && *length > limit_) fail(too_large());
      if (expect_continue_) {
        // Only now: a request refused before the handler reads never makes the client send its body.
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        lowest.expires_after(options_.write_timeout);
        auto [ec, n] = co_await boost::asio::async_write(stream_, boost::asio::buffer(kContinue), kTuple);
        lowest.expires_never();
        if (ec) fail(read_error(ec));
      }
    }
    std::size_t got = 0;
    while (got == 0 && !parser_.is_done()) {
      parser_.get().body().data = out.data();
      parser_.get().body().size = out.size();
      // Per read, not per body: the inactivity timeout. Time spent by the handler between reads
      // (writing to disk) does not count against the client.
      lowest.expires_after(options_.read_timeout);
      auto [ec, n] = co_await boost::beast::http::async_read_some(stream_, buffer_, parser_, kTuple);
      lowest.expires_never();
      got = out.size() - parser_.get().body().size;
      if (ec == boost::beast::http::error::need_buffer) ec = {};  // `out` is full
      if (ec) fail(read_error(ec));
    }
    bytes_read_ += got;
    co_return got;
  }

  std::optional<std::uint64_t> content_length() const noexcept override {
    auto length = parser_.content_length();
    return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
  }
  std::uint64_t bytes_read() const noexcept override { return bytes_read_; }
  bool at_end() const noexcept override { return !failure_ && parser_.is_done(); }
  // Whether a read failed (the connection is unusable for another request).
  bool failed() const noexcept { return failure_.has_value(); }

 private:
  [[noreturn]] void fail(AppError error) {
    failure_ = std::move(error);
    throw *failure_;
  }

  AppError too_large() const {
    return AppError::payload_too_large("The request body is larger than this endpoint accepts (" +
                                       std::to_string(limit_) + " bytes).");
  }

  AppError read_error(const boost::system::error_code& ec) const {
    namespace bhttp = boost::beast::http;
    if (ec == bhttp::error::body_limit) return too_large();
    if (ec == boost::beast::error::timeout)
      return AppError{408, "request_timeout", "Request timeout", "The request body stopped arriving.", ec.message()};
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
        ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream)
      return AppError::bad_request("Malformed request body: " + ec.message() + ".", "malformed_body");
    return AppError::bad_request("The request body ended before it was complete.", "incomplete_body");
  }

  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  BodyParser parser_;
  std::uint64_t limit_;
  const ServerOptions& options_;
  bool expect_continue_ = false;
  bool started_ = false;
  std::uint64_t bytes_read_ = 0;
  std::optional<AppError> failure_;
};

}  // namespace parley::http
