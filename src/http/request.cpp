#include "http/request.hpp"

#include "http/body_stream.hpp"

#include "http/raw_request.hpp"
#include "http/response.hpp"

#include <algorithm>
#include <charconv>

namespace parley::http {

namespace bhttp = boost::beast::http;

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::other: break;
  }
  return "OTHER";
}

Method parse_method(std::string_view name) noexcept {
  if (name == "GET") return Method::get;
  if (name == "HEAD") return Method::head;
  if (name == "POST") return Method::post;
  if (name == "PUT") return Method::put;
  if (name == "PATCH") return Method::patch;
  if (name == "DELETE") return Method::del;
  if (name == "OPTIONS") return Method::options;
  return Method::other;
}

Request::Request(const RawRequest& raw) : raw_(&raw) {
  auto target = raw.message.target();
  target_ = std::string_view(target.data(), target.size());
  auto method = raw.message.method_string();
  method_ = parse_method(std::string_view(method.data(), method.size()));
  auto q = target_.find('?');
  path_ = target_.substr(0, q);
  if (q != std::string_view::npos) query_ = target_.substr(q + 1);
}

std::string_view Request::method_text() const noexcept {
  auto m = raw_->message.method_string();
  return {m.data(), m.size()};
}

std::string_view Request::header(std::string_view name) const {
  auto it = raw_->message.find(boost::beast::string_view(name.data(), name.size()));
  if (it == raw_->message.end()) return {};
  auto v = it->value();
  return {v.data(), v.size()};
}

std::string Request::header_list(std::string_view name) const {
  std::string joined;
  for (const auto& field : raw_->message) {
    auto field_name = field.name_string();
    if (!boost::beast::iequals(field_name, boost::beast::string_view(name.data(), name.size()))) continue;
    if (!joined.empty()) joined += ", ";
    auto v = field.value();
    joined.append(v.data(), v.size());
  }
  return joined;
}

bool Request::has_header(std::string_view name) const {
  return raw_->message.find(boost::beast::string_view(name.data(), name.size())) != raw_->message.end();
}

const std::string& Request::body() const noexcept { return raw_->message.body(); }

bool Request::keep_alive() const noexcept { return raw_->message.keep_alive(); }

BodyStream& Request::body_stream() {
  if (attached_stream_ != nullptr) return *attached_stream_;
  if (!buffered_stream_) buffered_stream_ = std::make_shared<BufferedBodyStream>(body());
  return *buffered_stream_;
}

boost::asio::awaitable<std::size_t> BufferedBodyStream::read_some(std::span<char> buffer) {
  std::size_t n = std::min(buffer.size(), body_.size() - offset_);
  std::copy_n(body_.data() + offset_, n, buffer.data());
  offset_ += n;
  co_return n;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query_;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key == name) {
      auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      return percent_decode(value, true);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [n, v] : path_params) {
    if (n == name) return v;
  }
  return {};
}

std::int64_t Request::int_param(std::string_view name) const {
  auto text = param(name);
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace parley::http
