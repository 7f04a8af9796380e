#include "test_routes.hpp"

#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace parley::testing {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;

void Gate::release_all() {
  std::lock_guard lock(mutex);
  for (auto& timer : waiting) {
    asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
  waiting.clear();
}

namespace {

class EchoEndpoint final : public http::WsEndpoint {
 public:
  asio::awaitable<void> on_message(http::WsConnection& connection, std::string_view message, bool) override {
    if (message == "close-policy") throw AppError::forbidden("closing on request");
    connection.send(std::make_shared<const std::string>(message));
    co_return;
  }
};

RouteDoc doc(std::string summary) {
  return RouteDoc{.summary = std::move(summary), .tags = {"test"}, .responses = {{200, "OK", boost::json::value()}}};
}

}  // namespace

void add_test_routes(http::Router& router, std::shared_ptr<Gate> gate) {
  auto item_doc = doc("An item by id");
  item_doc.consumes = {};
  router.add(
      Method::get, "/test/items/{id:int}",
      [](Request& req) -> asio::awaitable<Response> {
        co_return Response::json(boost::json::object{{"id", req.int_param("id")}});
      },
      item_doc);
  auto name_doc = doc("A named thing");
  name_doc.consumes = {};
  router.add(
      Method::get, "/test/names/{name}",
      [](Request& req) -> asio::awaitable<Response> {
        co_return Response::json(boost::json::object{{"name", req.param("name")}});
      },
      name_doc);

  auto echo_doc = doc("Validates and echoes a body");
  echo_doc.request_schema = boost::json::object{{"type", "object"}};
  router.add(
      Method::post, "/test/echo",
      [](Request& req) -> asio::awaitable<Response> {
        static const Pattern kUsername("[a-z0-9_]+", "Use lower-case letters, digits and underscores.");
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto username = in.string("username", {.required = true, .min_length = 3, .max_length = 16, .pattern = &kUsername});
        auto age = in.integer("age", {.min = 0, .max = 150});
        auto kind = in.enumeration("kind", {"a", "b"});
        in.finish();
        boost::json::object out{{"username", *username}};
        if (age) out["age"] = *age;
        if (kind) out["kind"] = *kind;
        co_return Response::json(out, 201);
      },
      echo_doc);

  auto gate_doc = doc("Waits until the test releases it");
  gate_doc.consumes = {};
  router.add(
      Method::get, "/test/gate",
      [gate](Request&) -> asio::awaitable<Response> {
        auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, std::chrono::seconds(30));
        {
          std::lock_guard lock(gate->mutex);
          gate->waiting.push_back(timer);
        }
        gate->entered.fetch_add(1);
        co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
        co_return Response::json(boost::json::object{{"released", true}});
      },
      gate_doc);

  auto fail_doc = doc("Throws an unexpected exception");
  fail_doc.consumes = {};
  router.add(
      Method::get, "/test/crash",
      [](Request&) -> asio::awaitable<Response> {
        throw std::runtime_error("secret internal detail /etc/passwd");
        co_return Response{};
      },
      fail_doc);

  router.websocket(
      "/test/ws",
      [](Request&) -> asio::awaitable<std::shared_ptr<http::WsEndpoint>> { co_return std::make_shared<EchoEndpoint>(); },
      RouteDoc{.summary = "Echo WebSocket", .tags = {"test"}, .responses = {{101, "Switching protocols", {}}}});
}

}  // namespace parley::testing
