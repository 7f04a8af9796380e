#pragma once
// The values AMQP operations take and return: exchange and queue options, message properties,
// messages to publish and deliveries received.
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace parley::amqp {

// An AMQP field table (message headers, queue and exchange arguments) as a JSON object.
// Sent: strings as long strings, integers as signed 64-bit ('l'; an unsigned one above INT64_MAX is
// refused), doubles, booleans, null (void), arrays and nested objects (tables). Received: every
// integer kind as int64 (an unsigned 64-bit one above INT64_MAX as uint64), timestamps as int64
// seconds, floats and decimals as double, byte arrays as strings.
using Table = boost::json::object;

enum class ExchangeType { direct, fanout, topic, headers };

struct ExchangeOptions {
  ExchangeType type = ExchangeType::direct;
  bool durable = true;       // survives a broker restart
  bool auto_delete = false;  // deleted when its last binding goes
  Table arguments;           // e.g. {"alternate-exchange", "..."}
};

struct QueueOptions {
  bool durable = true;       // survives a broker restart (its persistent messages too)
  bool exclusive = false;    // this connection's only; deleted when it closes
  bool auto_delete = false;  // deleted when its last consumer goes
  // x-dead-letter-exchange: where rejected (nack/reject without requeue), expired and overflowing
  // messages go; "" is the default exchange (routing by queue name).
  std::optional<std::string> dead_letter_exchange;
  // x-dead-letter-routing-key: the routing key they get there (default: their own).
  std::optional<std::string> dead_letter_routing_key;
  // x-message-ttl: messages expire this long after they entered the queue (a delay queue).
  std::optional<std::chrono::milliseconds> message_ttl;
  // x-max-priority: message priorities 0..max_priority are honoured (RabbitMQ advises at most 10).
  std::optional<std::uint8_t> max_priority;
  // x-queue-type: "classic" (RabbitMQ's default), "quorum" or "stream".
  std::optional<std::string> queue_type;
  // Any other argument (x-max-length, x-overflow, x-expires, ...); the fields above win over these.
  Table arguments;

  // The x-arguments the server receives: `arguments` with the fields above set.
  Table to_arguments() const;
};

struct QueueInfo {
  std::string name;            // the server's name for a queue declared with ""
  std::uint32_t messages = 0;  // ready messages (not those delivered and unacknowledged)
  std::uint32_t consumers = 0;
};

// Basic content properties. Empty strings and empty optionals are not sent.
struct Properties {
  std::string content_type;
  std::string content_encoding;
  std::string message_id;
  std::string correlation_id;
  std::string type;
  std::string app_id;
  std::string reply_to;
  Table headers;
  std::optional<std::uint8_t> priority;                 // 0..9 by convention; needs a queue with max_priority
  std::optional<std::chrono::milliseconds> expiration;  // per-message TTL in the queue (a delay)
  std::optional<std::int64_t> timestamp;                // seconds since the epoch
  bool persistent = true;                               // delivery mode 2: written to disk in durable queues
};

// A message to publish.
struct Message {
  std::string exchange;  // "" is the default exchange: routing_key names the queue
  std::string routing_key;
  std::string body;
  Properties properties;
  bool mandatory = true;  // an unroutable message fails the publish (ErrorKind::unroutable)
};

struct ConsumeOptions {
  // Deliveries unacknowledged at once, at most (basic.qos on the consumer's channel); at least 1, so
  // the consumer's buffer stays bounded.
  std::uint16_t prefetch = 1;
  bool exclusive = false;    // the queue's only consumer
  std::string consumer_tag;  // "" lets the server choose one
  Table arguments;           // e.g. {"x-priority", 5}
};

// A message a consumer received. Acknowledge it through the consumer it came from, by delivery_tag.
struct Delivery {
  std::string body;
  std::uint64_t delivery_tag = 0;  // unique on its consumer's channel
  bool redelivered = false;        // delivered before and not acknowledged (requeued, or its consumer died)
  std::string exchange;            // where it was published
  std::string routing_key;
  std::string consumer_tag;
  Properties properties;
};

}  // namespace parley::amqp
