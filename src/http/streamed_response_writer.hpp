#pragma once
// The server's BodyWriter for one streamed response (internal to the server; only session.cpp
// includes it). The head goes out with the first piece (or at finish()), so a producer that fails
// before writing anything still leaves the connection free for a problem response.
#include "http/response.hpp"
#include "http/serialize.hpp"
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <optional>
#include <stdexcept>
#include <string>

namespace parley::http {

template <class Stream>
class StreamedResponseWriter final : public BodyWriter {
 public:
  // `head` is the serialized response head (kept by reference until finish()); `length` is the
  // declared length for BodyFraming::content_length.
  StreamedResponseWriter(Stream& stream, const std::string& head, BodyFraming framing,
                         std::optional<std::uint64_t> length, const ServerOptions& options)
      : stream_(stream), head_(head), framing_(framing), length_(length), options_(options) {}

  boost::asio::awaitable<void> write(std::string_view bytes) override {
    if (bytes.empty()) co_return;
    if (length_ && sent_ + bytes.size() > *length_)
      throw std::logic_error("a streamed body is longer than its declared length");
    char size_line[24];
    std::array<boost::asio::const_buffer, 4> buffers;
    std::size_t count = 0;
    if (!head_sent_) buffers[count++] = boost::asio::buffer(head_);
    if (framing_ == BodyFraming::chunked)
      buffers[count++] = boost::asio::buffer(size_line, chunk_size_line(bytes.size(), size_line));
    buffers[count++] = boost::asio::buffer(bytes.data(), bytes.size());
    if (framing_ == BodyFraming::chunked) buffers[count++] = boost::asio::buffer("\r\n", 2);
    std::span<const boost::asio::const_buffer> pieces(buffers.data(), count);
    co_await send(pieces);
    sent_ += bytes.size();
  }

  // After the producer returned: checks the declared length, then sends the head if nothing went
  // out yet and the last chunk for chunked bodies.
  boost::asio::awaitable<void> finish() {
    if (length_ && sent_ != *length_) throw std::logic_error("a streamed body is shorter than its declared length");
    std::array<boost::asio::const_buffer, 2> buffers;
    std::size_t count = 0;
    if (!head_sent_) buffers[count++] = boost::asio::buffer(head_);
    if (framing_ == BodyFraming::chunked) buffers[count++] = boost::asio::buffer("0\r\n\r\n", 5);
    std::span<const boost::asio::const_buffer> pieces(buffers.data(), count);
    if (count > 0) co_await send(pieces);
  }

  bool head_sent() const noexcept { return head_sent_; }
  // Whether a write failed on the connection (the client went away or stalled).
  bool connection_failed() const noexcept { return failed_.has_value(); }
  std::uint64_t bytes_sent() const noexcept { return sent_; }

 private:
  boost::asio::awaitable<void> send(std::span<const boost::asio::const_buffer> buffers) {
    if (failed_) throw boost::system::system_error(*failed_);
    auto& lowest = boost::beast::get_lowest_layer(stream_);
    lowest.expires_after(options_.write_timeout);  // per write, not per stream
    auto [ec, n] =
        co_await boost::asio::async_write(stream_, buffers, boost::asio::as_tuple(boost::asio::use_awaitable));
    lowest.expires_never();
    if (ec) {
      failed_ = ec;
      throw boost::system::system_error(ec);
    }
    head_sent_ = true;
  }

  Stream& stream_;
  const std::string& head_;
  BodyFraming framing_;
  std::optional<std::uint64_t> length_;
  const ServerOptions& options_;
  bool head_sent_ = false;
  std::uint64_t sent_ = 0;
  std::optional<boost::system::error_code> failed_;
};

}  // namespace parley::http
