#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <stdexcept>

namespace parley::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

WsClient::WsClient(std::uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers,
                   int receive_buffer_bytes)
    : ws_(io_) {
  auto& socket = beast::get_lowest_layer(ws_).socket();
  socket.open(asio::ip::tcp::v4());
  // Before connecting: the window scale is agreed in the handshake.
  if (receive_buffer_bytes > 0) socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
  beast::get_lowest_layer(ws_).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings_;
  });
  websocket::response_type response;
  boost::system::error_code ec;
  ws_.handshake(response, "127.0.0.1:" + std::to_string(port), target, ec);
  status_ = static_cast<int>(response.result_int());
  accepted_ = !ec;
  if (!accepted_) closed_ = true;
}

WsClient::~WsClient() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void WsClient::send(const std::string& text) {
  ws_.text(true);
  ws_.write(asio::buffer(text));
}

void WsClient::send_binary(const std::string& bytes) {
  ws_.binary(true);
  ws_.write(asio::buffer(bytes));
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  beast::flat_buffer buffer;
  boost::system::error_code result = asio::error::would_block;
  ws_.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
  io_.restart();
  io_.run_for(timeout);
  if (result == asio::error::would_block) {
    beast::get_lowest_layer(ws_).close();
    io_.restart();
    io_.run();
    closed_ = true;
    throw std::runtime_error("websocket read timed out");
  }
  if (result) {
    closed_ = true;
    return std::nullopt;
  }
  return beast::buffers_to_string(buffer.data());
}

boost::json::object WsClient::next(std::chrono::milliseconds timeout) {
  auto message = read(timeout);
  if (!message) throw std::runtime_error("websocket closed with " + std::to_string(close_code()));
  return boost::json::parse(*message).as_object();
}

boost::json::object WsClient::next_of(const std::string& type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no " + type + " frame before the deadline");
    auto frame = next(left);
    if (frame.at("type").as_string() == type) return frame;
  }
}

int WsClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()))) {
  }
  return close_code();
}

bool WsClient::wait_for_pings(int count, std::chrono::milliseconds timeout) {
  beast::flat_buffer buffer;
  ws_.async_read(buffer, [](boost::system::error_code, std::size_t) {});
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  io_.restart();
  while (pings_ < count && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(20));
  drop();
  io_.restart();
  io_.run();
  return pings_ >= count;
}

int WsClient::close_code() const {
  const int code = ws_.reason().code;
  return code == 0 ? 1006 : code;
}

void WsClient::close() {
  if (closed_) return;
  boost::system::error_code ec;
  ws_.close(websocket::close_code::normal, ec);
  closed_ = true;
}

void WsClient::drop() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  closed_ = true;
}

std::vector<std::int64_t> next_created_message_ids(WsClient& ws, std::size_t count, std::chrono::milliseconds per_frame) {
  std::vector<std::int64_t> ids;
  while (ids.size() < count) {
    auto frame = ws.next(per_frame);
    if (frame.at("type").as_string() == "message.created") ids.push_back(frame.at("data").at("id").as_int64());
  }
  return ids;
}

}  // namespace parley::testing
