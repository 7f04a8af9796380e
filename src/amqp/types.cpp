#include "amqp/types.hpp"

namespace parley::amqp {

Table QueueOptions::to_arguments() const {
  Table out = arguments;
  if (dead_letter_exchange) out["x-dead-letter-exchange"] = *dead_letter_exchange;
  if (dead_letter_routing_key) out["x-dead-letter-routing-key"] = *dead_letter_routing_key;
  if (message_ttl) out["x-message-ttl"] = static_cast<std::int64_t>(message_ttl->count());
  if (max_priority) out["x-max-priority"] = std::int64_t{*max_priority};
  if (queue_type) out["x-queue-type"] = *queue_type;
  return out;
}

}  // namespace parley::amqp
