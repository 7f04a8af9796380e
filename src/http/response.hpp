#pragma once
// An HTTP response as handlers and middleware build it. The server serializes it itself
// (http/serialize.cpp), so nothing here pulls in Beast.
//
// A body is either a string (`body`) or streamed (`streamed`, made by Response::stream): produced
// by a coroutine while the server sends it, so a large body (a file download, an export) never
// sits in memory whole.
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

// Where a streamed body's producer writes. Implemented by the server for one response.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Sends `bytes` as the next piece of the body: one HTTP/1.1 chunk, or the raw bytes when the
  // response declared its length. Completes once the connection accepted them (real
  // backpressure: a producer holds in memory only what it passes here). The first call also sends
  // the response head. Each call gets the server's write timeout of its own, so a long stream is
  // not cut by it, a stalled client is. Empty `bytes` do nothing.
  // Throws boost::system::system_error when the connection failed or timed out (let it propagate),
  // std::logic_error when the bytes would exceed the declared length.
  virtual boost::asio::awaitable<void> write(std::string_view bytes) = 0;
};

// Produces a streamed body by calling BodyWriter::write until it is done; it runs after the
// middleware chain returned, on the connection's thread, while the Request is still alive.
// Throwing before the first write turns into a normal problem response (an AppError keeps its
// status, anything else is a 500); throwing later is logged and the connection is aborted, so the
// client sees a truncated body. The server does not run it for HEAD, 204 and 304 responses.
using BodyProducer = std::function<boost::asio::awaitable<void>(BodyWriter&)>;

// How a streamed response ended, as its finish hooks see it.
struct StreamOutcome {
  int status = 0;           // the status the client received (a problem's, when the producer failed first)
  std::uint64_t bytes = 0;  // body bytes the connection accepted
  bool complete = false;    // the whole response went out (true for HEAD and bodyless statuses once sent)
};

// The body of a streamed response. Copies of a Response share it. Not thread-safe: it lives on
// the connection's thread.
class StreamedBody {
 public:
  using FinishHook = std::function<void(const StreamOutcome&)>;

  StreamedBody(BodyProducer producer, std::optional<std::uint64_t> length)
      : producer_(std::move(producer)), length_(length) {}
  // Runs the finish hooks, in registration order, with the last recorded outcome (a response
  // dropped before the server saw it reports status 0, nothing sent).
  ~StreamedBody();
  StreamedBody(const StreamedBody&) = delete;
  StreamedBody& operator=(const StreamedBody&) = delete;

  const BodyProducer& producer() const noexcept { return producer_; }
  // The declared length: sent as Content-Length, and the producer must write exactly that many
  // bytes. nullopt: chunked transfer coding (close-delimited for HTTP/1.0 clients).
  std::optional<std::uint64_t> length() const noexcept { return length_; }

  // Registers `hook` to run once, when the response is over (sent, failed or dropped). Middleware
  // that reports on the finished response (metrics, access log) uses it instead of reporting when
  // the handler returns. Hooks must not throw (exceptions are swallowed).
  void on_finish(FinishHook hook) { hooks_.push_back(std::move(hook)); }
  // Set by the server as the response goes out.
  void record(const StreamOutcome& outcome) noexcept { outcome_ = outcome; }
  const StreamOutcome& outcome() const noexcept { return outcome_; }

 private:
  BodyProducer producer_;
  std::optional<std::uint64_t> length_;
  StreamOutcome outcome_;
  std::vector<FinishHook> hooks_;
};

struct Response {
  int status = 200;
  std::string content_type;  // empty = no Content-Type (e.g. 204)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set (by Response::stream): the body is produced while it is sent and `body` is unused.
  std::shared_ptr<StreamedBody> streamed;

  void set_header(std::string name, std::string value);
  // Returns the value of the first header named `name` (ASCII case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;

  static Response json(const boost::json::value& value, int status = 200);
  // The same for an object, serialized where it is (passed as a value it would first be copied).
  static Response json(const boost::json::object& object, int status = 200);
  // A JSON document already written as text (core::JsonWriter).
  static Response json_text(std::string body, int status = 200);
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8", int status = 200);
  static Response no_content() { return Response{204, {}, {}, {}}; }
  // A streamed response (see BodyProducer). With `length` the head carries Content-Length and the
  // producer must write exactly that many bytes (file downloads); without, the body is chunked.
  static Response stream(std::string content_type, BodyProducer producer,
                         std::optional<std::uint64_t> length = std::nullopt, int status = 200);
};

inline constexpr std::string_view kJsonType = "application/json; charset=utf-8";
inline constexpr std::string_view kProblemType = "application/problem+json";

// True for application/json and the +json types (problem+json, graphql-response+json); parameters
// (`; charset=...`) are ignored.
constexpr bool is_json_media_type(std::string_view content_type) noexcept {
  const auto type = content_type.substr(0, content_type.find(';'));
  return type == "application/json" || (type.size() > 5 && type.substr(type.size() - 5) == "+json");
}

bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace parley::http
