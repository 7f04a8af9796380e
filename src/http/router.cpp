#include "http/router.hpp"

#include "core/error.hpp"

#include <stdexcept>

namespace parley::http {
namespace {

constexpr std::int64_t kMaxId = (std::int64_t{1} << 53) - 1;

bool is_positive_id(std::string_view text) {
  if (text.empty() || text.size() > 16 || text[0] == '0') return false;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value <= kMaxId;
}

bool method_matches(Method route, Method request) {
  return route == request || (route == Method::get && request == Method::head);
}

void append_allow(std::string& allow, Method m) {
  auto name = method_name(m);
  if (allow.find(name) != std::string::npos) return;
  if (!allow.empty()) allow += ", ";
  allow += name;
}

}  // namespace

std::vector<Segment> compile_template(std::string_view path) {
  if (path.empty() || path.front() != '/') throw std::invalid_argument("route must start with '/': " + std::string(path));
  std::vector<Segment> segments;
  std::string_view rest = path.substr(1);
  while (true) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      auto inner = part.substr(1, part.size() - 2);
      auto colon = inner.find(':');
      auto name = inner.substr(0, colon);
      if (name.empty()) throw std::invalid_argument("unnamed parameter in " + std::string(path));
      if (colon == std::string_view::npos) {
        segments.push_back({Segment::Kind::string, std::string(name)});
      } else if (inner.substr(colon + 1) == "int") {
        segments.push_back({Segment::Kind::integer, std::string(name)});
      } else {
        throw std::invalid_argument("unknown parameter type in " + std::string(path));
      }
    } else {
      if (part.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("stray brace in " + std::string(path) + "; a parameter is a whole segment");
      segments.push_back({Segment::Kind::literal, std::string(part)});
    }
    if (segments.back().kind != Segment::Kind::literal) {
      for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        if (segments[i].kind != Segment::Kind::literal && segments[i].text == segments.back().text)
          throw std::invalid_argument("duplicate parameter name in " + std::string(path));
      }
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

Route& Router::add(Method method, std::string path, Handler handler, RouteDoc doc) {
  auto route = std::make_unique<Route>();
  route->method = method;
  route->segments = compile_template(path);
  route->path = std::move(path);
  route->handler = std::move(handler);
  route->doc = std::move(doc);
  route->index = routes_.size();
  bool is_static = true;
  for (const auto& s : route->segments) is_static &= s.kind == Segment::Kind::literal;
  if (is_static) {
    static_routes_[route->path].push_back(route.get());
  } else {
    param_routes_.push_back(route.get());
  }
  if (route->doc.streamed_body) streamed_routes_.push_back(route.get());
  routes_.push_back(std::move(route));
  return *routes_.back();
}

Route& Router::websocket(std::string path, WsFactory factory, RouteDoc doc) {
  doc.consumes.clear();
  Route& route = add(Method::get, std::move(path), nullptr, std::move(doc));
  route.websocket = std::move(factory);
  return route;
}

bool Router::match_segments(const Route& route, std::string_view path, Request* req) const {
  if (path.empty() || path.front() != '/') return false;
  std::string_view rest = path.substr(1);
  std::size_t i = 0;
  while (true) {
    if (i == route.segments.size()) return false;
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    const auto& seg = route.segments[i];
    switch (seg.kind) {
      case Segment::Kind::literal:
        if (part != seg.text) return false;
        break;
      case Segment::Kind::integer:
        if (!is_positive_id(part)) return false;
        if (req) req->path_params.emplace_back(seg.text, std::string(part));
        break;
      case Segment::Kind::string: {
        if (part.empty()) return false;
        auto decoded = percent_decode(part, false);
        if (!decoded || decoded->find('/') != std::string::npos) return false;
        if (req) req->path_params.emplace_back(seg.text, std::move(*decoded));
        break;
      }
    }
    ++i;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return i == route.segments.size();
}

void Router::match(Request& req) const {
  auto path = req.path();
  if (auto it = static_routes_.find(path); it != static_routes_.end()) {
    for (const Route* route : it->second) {
      if (method_matches(route->method, req.method())) {
        req.route = route;
        return;
      }
    }
  }
  for (const Route* route : param_routes_) {
    if (!method_matches(route->method, req.method())) continue;
    req.path_params.clear();
    if (match_segments(*route, path, &req)) {
      req.route = route;
      return;
    }
  }
  req.path_params.clear();
  req.allow = allowed_methods(path);
}

const Route* Router::streamed_route(Method method, std::string_view path) const {
  // Cheap test first: does any streamed route match at all? Usually none does.
  bool candidate = false;
  for (const Route* route : streamed_routes_) {
    candidate |= method_matches(route->method, method) && match_segments(*route, path, nullptr);
  }
  if (!candidate) return nullptr;
  // Then the route match() would choose (static paths first, then templates in order).
  const Route* chosen = nullptr;
  if (auto it = static_routes_.find(path); it != static_routes_.end()) {
    for (const Route* route : it->second) {
      if (method_matches(route->method, method)) {
        chosen = route;
        break;
      }
    }
  }
  for (auto it = param_routes_.begin(); chosen == nullptr && it != param_routes_.end(); ++it) {
    if (method_matches((*it)->method, method) && match_segments(**it, path, nullptr)) chosen = *it;
  }
  return chosen != nullptr && chosen->doc.streamed_body ? chosen : nullptr;
}

std::string Router::allowed_methods(std::string_view path) const {
  std::string allow;
  auto consider = [&](const Route& route) {
    if (!match_segments(route, path, nullptr)) return;
    append_allow(allow, route.method);
    if (route.method == Method::get) append_allow(allow, Method::head);
  };
  if (auto it = static_routes_.find(path); it != static_routes_.end()) {
    for (const Route* route : it->second) consider(*route);
  }
  for (const Route* route : param_routes_) consider(*route);
  if (!allow.empty()) append_allow(allow, Method::options);
  return allow;
}

boost::asio::awaitable<Response> Router::dispatch(Request& req) const {
  if (req.route == nullptr) {
    if (req.allow.empty()) throw AppError::not_found("No resource at " + std::string(req.path()) + ".");
    if (req.method() == Method::options) {
      Response response = Response::no_content();
      response.set_header("Allow", req.allow);
      co_return response;
    }
    throw AppError::method_not_allowed(req.allow);
  }
  for (const auto& permission : req.route->doc.permissions) permission(req);
  // A route with both a handler and a WebSocket factory (GET /graphql) upgrades when asked to.
  if (req.route->websocket && (!req.route->handler || iequals(req.header("Upgrade"), "websocket"))) {
    if (!iequals(req.header("Upgrade"), "websocket"))
      throw AppError{426, "upgrade_required", "Upgrade required", "This endpoint only accepts WebSocket connections."}
          .with_header("Upgrade", "websocket");
    req.upgrade = co_await req.route->websocket(req);
    co_return Response{kSwitchingProtocols, {}, {}, {}};
  }
  Response response = co_await req.route->handler(req);
  co_return response;
}

}  // namespace parley::http
