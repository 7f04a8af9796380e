#pragma once
// Settings of an AMQP connection. The composition root builds it from PARLEY_BROKER_URL
// (parse_url); tests fill it directly.
#include <chrono>
#include <string>

#include "core/amqp_url.hpp"

namespace parley::amqp {

struct ConnectionConfig {
  Url url;
  // TCP connect, AMQP handshake and login together; beyond it open() fails (connect_failed).
  std::chrono::milliseconds connect_timeout{5000};
  // A reply to a method (declare, bind, consume, ...) later than this ends the connection
  // (connection_lost: the replies behind it would be out of step); a publish not confirmed within it
  // fails alone (timeout). close() waits this long at most for unconfirmed publishes.
  std::chrono::milliseconds operation_timeout{10000};
  // AMQP heartbeats (0: none); a silent peer is declared lost after about twice this.
  std::chrono::seconds heartbeat{30};
  // Shown by RabbitMQ (rabbitmqctl list_connections client_properties, the management UI).
  std::string connection_name = "parley";
  // Largest frame; bodies above it go in several frames.
  int frame_max = 131072;
};

}  // namespace parley::amqp
