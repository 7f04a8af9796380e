#pragma once
// A request body read as it arrives (routes declared with RouteDoc::streamed_body), so a large
// upload never sits in memory whole and a request refused by the middleware costs no body bytes.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace parley::http {

// Not thread-safe; used by the request's handler on the connection's thread.
class BodyStream {
 public:
  virtual ~BodyStream() = default;

  // Reads the next bytes of the body into `buffer` (at most its size, at least one unless the body
  // is over); returns 0 once the whole body was read. The first call sends "100 Continue" when the
  // client asked for it. Each call waits at most the server's read timeout for bytes (an
  // inactivity timeout: a slow upload is fine, a stalled one is dropped).
  // Throws AppError: 413 when the body is larger than the route allows (before any byte is read
  // when Content-Length announces it), 400 (`malformed_body`) for broken chunked framing,
  // 400 (`incomplete_body`) when the client went away mid-body, 408 when it sent nothing for the
  // read timeout. After a throw the stream stays failed and the connection closes after the
  // response.
  virtual boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) = 0;

  // The announced length (Content-Length); nullopt for a chunked body.
  virtual std::optional<std::uint64_t> content_length() const noexcept = 0;
  // Body bytes handed out so far.
  virtual std::uint64_t bytes_read() const noexcept = 0;
  // Whether the end of the body was reached (read_some returns 0 from now on).
  virtual bool at_end() const noexcept = 0;
};

// A BodyStream over a body already in memory (requests whose route does not stream its body, and
// tests). Keeps a view: `body` must outlive it.
class BufferedBodyStream final : public BodyStream {
 public:
  explicit BufferedBodyStream(std::string_view body) : body_(body) {}
  boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer) override;
  std::optional<std::uint64_t> content_length() const noexcept override { return body_.size(); }
  std::uint64_t bytes_read() const noexcept override { return offset_; }
  bool at_end() const noexcept override { return offset_ == body_.size(); }

 private:
  std::string_view body_;
  std::size_t offset_ = 0;
};

}  // namespace parley::http
