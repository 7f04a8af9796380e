// The graphql-transport-ws subprotocol (see transport_ws.hpp).
#include "api/graphql/transport_ws.hpp"

#include "accounts/permissions.hpp"
#include "core/error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <unordered_map>

namespace parley::api::graphql {

namespace asio = boost::asio;
namespace json = boost::json;
namespace gql = parley::graphql;

namespace {

constexpr std::size_t kMaxIdLength = 256;

std::shared_ptr<const std::string> frame(json::object message) {
  return std::make_shared<const std::string>(json::serialize(message));
}

json::array errors_of(const json::object& response) {
  const auto* errors = response.if_contains("errors");
  return errors != nullptr && errors->is_array() ? errors->as_array() : json::array();
}

class TransportWsEndpoint final : public http::WsEndpoint,
                                  public std::enable_shared_from_this<TransportWsEndpoint> {
 public:
  TransportWsEndpoint(Transports& transport, std::optional<http::Principal> principal, std::string client_ip)
      : transport_(transport) {
    context_.principal = std::move(principal);
    context_.client_ip = std::move(client_ip);
  }

  std::string subprotocol() const override { return std::string(kTransportWsProtocol); }

  asio::awaitable<void> on_open(http::WsConnection& connection) override {
    connection_ = &connection;
    auto executor = co_await asio::this_coro::executor;
    init_timer_.emplace(executor, transport_.init_timeout);
    asio::co_spawn(executor, wait_for_init(shared_from_this()), asio::detached);
  }

  asio::awaitable<void> on_message(http::WsConnection& connection, std::string_view text, bool binary) override {
    boost::system::error_code ec;
    auto parsed = binary ? json::value() : json::parse(text, ec);
    const auto* message = parsed.if_object();
    const auto* type = message != nullptr ? message->if_contains("type") : nullptr;
    if (ec || type == nullptr || !type->is_string()) {
      connection.close(4400, "Invalid message received");
      co_return;
    }
    const std::string_view kind = type->as_string();
    if (kind == "connection_init") {
      co_await initialise(connection, *message);
    } else if (kind == "ping") {
      connection.send(frame({{"type", "pong"}}));
    } else if (kind == "pong") {
      // an answer to a ping we never send: nothing to do
    } else if (kind == "subscribe") {
      co_await subscribe(connection, *message);
    } else if (kind == "complete") {
      const auto* id = message->if_contains("id");
      if (id == nullptr || !id->is_string()) {
        connection.close(4400, "Invalid message received");
        co_return;
      }
      stop(std::string(id->as_string()));
    } else {
      connection.close(4400, "Invalid message received");
    }
  }

  void on_close(std::uint16_t) override {
    connection_ = nullptr;
    if (init_timer_) init_timer_->cancel();
    for (auto& [id, running] : running_) cancel(*running);
    running_.clear();
  }

 private:
  struct Running {
    bool cancelled = false;
    std::shared_ptr<gql::Subscription> subscription;
  };

  static void cancel(Running& running) {
    running.cancelled = true;
    if (running.subscription) running.subscription->close();
  }

  static asio::awaitable<void> wait_for_init(std::shared_ptr<TransportWsEndpoint> self) {
    boost::system::error_code ec;
    co_await self->init_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !self->init_received_ && self->connection_ != nullptr) {
      self->connection_->close(4408, "Connection initialisation timeout");
    }
  }

  asio::awaitable<void> initialise(http::WsConnection& connection, const json::object& message) {
    if (init_received_) {
      connection.close(4429, "Too many initialisation requests");
      co_return;
    }
    init_received_ = true;
    if (init_timer_) init_timer_->cancel();
    std::optional<std::string> credential;
    if (const auto* payload = message.if_contains("payload"); payload != nullptr && payload->is_object()) {
      for (std::string_view key : {"authorization", "Authorization"}) {
        const auto* value = payload->as_object().if_contains(key);
        if (value == nullptr) continue;
        std::string_view text = value->is_string() ? std::string_view(value->as_string()) : std::string_view();
        if (!text.starts_with("Bearer ") || text.size() <= 7) {
          connection.close(4403, "Forbidden: authorization must be \"Bearer <token>\"");
          co_return;
        }
        credential = std::string(text.substr(7));
      }
    }
    if (credential) {
      bool refused = false;
      try {
        auto credential_text = std::move(*credential);
        context_.principal = co_await transport_.authenticate(std::move(credential_text));
      } catch (const AppError&) {
        refused = true;
      }
      if (refused) {
        connection.close(4403, "Forbidden: the credentials are invalid, expired or revoked");
        co_return;
      }
    }
    if (!context_.principal) {
      connection.close(4403, "Forbidden: no credentials (connection_init payload.authorization)");
      co_return;
    }
    context_.throttle = transport_.throttle_for(*context_.principal);
    acknowledged_ = true;
    connection.send(frame({{"type", "connection_ack"}}));
  }

  asio::awaitable<void> subscribe(http::WsConnection& connection, const json::object& message) {
    if (!acknowledged_) {
      connection.close(4401, "Unauthorized");
      co_return;
    }
    const auto* id_value = message.if_contains("id");
    const auto* payload = message.if_contains("payload");
    if (id_value == nullptr || !id_value->is_string() || id_value->as_string().empty() ||
        id_value->as_string().size() > kMaxIdLength || payload == nullptr || !payload->is_object()) {
      connection.close(4400, "Invalid message received");
      co_return;
    }
    std::string id(id_value->as_string());
    if (running_.contains(id)) {
      connection.close(4409, "Subscriber for " + id + " already exists");
      co_return;
    }
    auto refuse = [&](json::array errors) {
      connection.send(frame({{"id", id}, {"type", "error"}, {"payload", std::move(errors)}}));
    };
    if (running_.size() >= transport_.max_operations) {
      refuse(errors_of(error_response("Too many operations on this connection: complete some first.",
                                      "TOO_MANY_OPERATIONS")));
      co_return;
    }
    auto read = read_operation(*payload);
    if (auto* error = std::get_if<RequestError>(&read)) {
      refuse(errors_of(error_response(error->message, "BAD_REQUEST")));
      co_return;
    }
    auto& operation = std::get<Operation>(read);
    auto text = transport_.service.query_text(operation);
    if (auto* refusal = std::get_if<Service::Refusal>(&text)) {
      refuse(errors_of(refusal->response));
      co_return;
    }
    auto prepared = transport_.service.engine().prepare(std::get<std::string>(text));
    if (!prepared.errors.empty()) {
      refuse(gql::errors_to_json(prepared.errors));
      co_return;
    }
    gql::Request request{.query = std::move(std::get<std::string>(text)),
                         .operation_name = std::move(operation.operation_name),
                         .variables = std::move(operation.variables),
                         .context = &context_};
    const auto* selected = Service::select(*prepared.document, request.operation_name);
    const bool is_subscription = selected != nullptr && selected->operation == gql::OperationType::Subscription;
    const char* scope = selected != nullptr && selected->operation == gql::OperationType::Mutation ? "write" : "read";
    if (!accounts::has_scope(*context_.principal, scope)) {
      refuse(errors_of(error_response(std::string("This token lacks the '") + scope + "' scope.",
                                      "PERMISSION_DENIED")));
      co_return;
    }
    if (!is_subscription) request.deadline = std::chrono::steady_clock::now() + transport_.service.options().timeout;
    auto running = std::make_shared<Running>();
    running_.emplace(id, running);
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, run(shared_from_this(), std::move(id), std::move(running), std::move(prepared),
                                 std::move(request), is_subscription),
                   asio::detached);
  }

  // One operation until it ends, fails, or is stopped (client complete, connection gone).
  static asio::awaitable<void> run(std::shared_ptr<TransportWsEndpoint> self, std::string id,
                                   std::shared_ptr<Running> running, gql::Prepared prepared, gql::Request request,
                                   bool is_subscription) {
    const auto& engine = self->transport_.service.engine();
    try {
      if (!is_subscription) {
        auto response = co_await engine.execute(prepared, std::move(request));
        if (!running->cancelled) self->send({{"id", id}, {"type", "next"}, {"payload", std::move(response)}});
      } else {
        auto result = co_await engine.subscribe(prepared, std::move(request));
        if (!result.subscription) {
          if (!running->cancelled) self->send({{"id", id}, {"type", "error"}, {"payload", errors_of(result.response)}});
          self->finish(id, running);
          co_return;
        }
        running->subscription = result.subscription;
        if (running->cancelled) result.subscription->close();  // stopped while it was being set up
        while (!running->cancelled) {
          auto next = co_await result.subscription->next();
          if (!next || running->cancelled) break;
          self->send({{"id", id}, {"type", "next"}, {"payload", std::move(*next)}});
        }
      }
    } catch (const std::exception&) {
      // The engine answers every failure of a request in its response; what escapes is a bug of
      // ours. The client learns that the operation failed, never why.
      if (!running->cancelled) {
        self->send({{"id", id}, {"type", "error"}, {"payload", errors_of(error_response("Internal server error",
                                                                                        gql::codes::kInternal))}});
      }
      self->finish(id, running);
      co_return;
    }
    if (!running->cancelled) self->send({{"id", id}, {"type", "complete"}});
    self->finish(id, running);
  }

  void send(json::object message) {
    if (connection_ != nullptr) connection_->send(frame(std::move(message)));
  }

  // Forgets `id` if it is still this run's (the client may have reused the id after a complete).
  void finish(const std::string& id, const std::shared_ptr<Running>& running) {
    auto it = running_.find(id);
    if (it != running_.end() && it->second == running) running_.erase(it);
  }

  void stop(const std::string& id) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    cancel(*it->second);
    running_.erase(it);
  }

  Transports& transport_;
  RequestContext context_;  // every operation's Request::context; lives as long as the runs (shared_from_this)
  http::WsConnection* connection_ = nullptr;  // null once closed
  std::optional<asio::steady_timer> init_timer_;
  bool init_received_ = false;
  bool acknowledged_ = false;
  // Everything runs on the connection's executor (on_message, on_close, run()): no lock.
  std::unordered_map<std::string, std::shared_ptr<Running>> running_;
};

}  // namespace

bool offers_transport_ws(std::string_view protocols) {
  while (!protocols.empty()) {
    auto comma = protocols.find(',');
    auto item = protocols.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == kTransportWsProtocol) return true;
    if (comma == std::string_view::npos) break;
    protocols.remove_prefix(comma + 1);
  }
  return false;
}

std::shared_ptr<http::WsEndpoint> make_transport_ws_endpoint(Transports& transport,
                                                             std::optional<http::Principal> principal,
                                                             std::string client_ip) {
  return std::make_shared<TransportWsEndpoint>(transport, std::move(principal), std::move(client_ip));
}

}  // namespace parley::api::graphql
