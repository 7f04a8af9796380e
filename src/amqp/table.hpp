#pragma once
// Internal: conversions between the module's value types and rabbitmq-c's C structures. Used on a
// connection's own thread only; tested in table_test.cpp.
#include <amqp.h>

#include <string>
#include <string_view>

#include "amqp/types.hpp"

namespace parley::amqp::detail {

// Memory for the C structures of one outgoing method: the amqp_bytes_t and amqp_table_t it builds
// point into it, so it must outlive their use (the send). Not copyable: the pointers would dangle.
class Encoder {
 public:
  Encoder();
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  amqp_bytes_t bytes(std::string_view text);
  // Throws std::invalid_argument for a value it cannot send (an unsigned integer above INT64_MAX).
  amqp_table_t table(const Table& table);
  amqp_basic_properties_t properties(const Properties& properties);

 private:
  amqp_field_value_t value(const boost::json::value& value);
  amqp_pool_t pool_;
};

std::string to_string(amqp_bytes_t bytes);
Table to_table(const amqp_table_t& table);
Properties to_properties(const amqp_basic_properties_t& properties);

}  // namespace parley::amqp::detail
