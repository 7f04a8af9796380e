#include "amqp/table.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>
#include <vector>

namespace parley::amqp {
namespace {

// Encodes `table` the way a publish does, to the wire format and back, as a receiver decodes it.
Table through_the_wire(const Table& table) {
  detail::Encoder encoder;
  amqp_table_t c_table = encoder.table(table);
  std::vector<char> buffer(65536);
  amqp_bytes_t encoded{buffer.size(), buffer.data()};
  std::size_t offset = 0;
  EXPECT_EQ(amqp_encode_table(encoded, &c_table, &offset), AMQP_STATUS_OK);
  amqp_pool_t pool;
  init_amqp_pool(&pool, 4096);
  amqp_table_t decoded{};
  encoded.len = offset;
  std::size_t read = 0;
  EXPECT_EQ(amqp_decode_table(encoded, &pool, &decoded, &read), AMQP_STATUS_OK);
  Table out = detail::to_table(decoded);
  empty_amqp_pool(&pool);
  return out;
}

TEST(AmqpTable, EveryKindSurvivesTheWire) {
  const Table table = boost::json::parse(R"({
    "job": "mail.send", "attempt": 3, "negative": -9000000000, "ratio": 0.25, "urgent": true,
    "nothing": null, "tags": ["a", 1, false], "nested": {"x-death": [{"count": 2, "reason": "expired"}]},
    "empty": "", "empty_table": {}
  })")
                          .as_object();
  EXPECT_EQ(boost::json::serialize(through_the_wire(table)), boost::json::serialize(table));
}

TEST(AmqpTable, UnsignedIntegersFitOrAreRefused) {
  Table fits;
  fits["n"] = std::uint64_t{42};
  EXPECT_EQ(through_the_wire(fits).at("n").as_int64(), 42);
  Table too_big;
  too_big["n"] = std::uint64_t{1} << 63;
  detail::Encoder encoder;
  EXPECT_THROW(encoder.table(too_big), std::invalid_argument);
}

TEST(AmqpTable, ReceivedIntegerKindsBecomeInt64) {
  amqp_table_entry_t entries[4]{};
  entries[0].key = amqp_cstring_bytes("i8");
  entries[0].value.kind = AMQP_FIELD_KIND_I8;
  entries[0].value.value.i8 = -5;
  entries[1].key = amqp_cstring_bytes("u32");
  entries[1].value.kind = AMQP_FIELD_KIND_U32;
  entries[1].value.value.u32 = 4000000000u;
  entries[2].key = amqp_cstring_bytes("time");
  entries[2].value.kind = AMQP_FIELD_KIND_TIMESTAMP;
  entries[2].value.value.u64 = 1700000000;
  entries[3].key = amqp_cstring_bytes("decimal");
  entries[3].value.kind = AMQP_FIELD_KIND_DECIMAL;
  entries[3].value.value.decimal = {2, 1234};
  const amqp_table_t table{4, entries};
  const Table out = detail::to_table(table);
  EXPECT_EQ(out.at("i8").as_int64(), -5);
  EXPECT_EQ(out.at("u32").as_int64(), 4000000000);
  EXPECT_EQ(out.at("time").as_int64(), 1700000000);
  EXPECT_DOUBLE_EQ(out.at("decimal").as_double(), 12.34);
}

TEST(AmqpTable, PropertiesRoundTrip) {
  Properties in;
  in.content_type = "application/json";
  in.content_encoding = "identity";
  in.message_id = "job-1";
  in.correlation_id = "c-1";
  in.type = "mail.send";
  in.app_id = "parley";
  in.reply_to = "replies";
  in.headers["attempt"] = 2;
  in.priority = 7;
  in.expiration = std::chrono::milliseconds(1500);
  in.timestamp = 1700000000;
  in.persistent = true;
  detail::Encoder encoder;
  const amqp_basic_properties_t c_properties = encoder.properties(in);
  EXPECT_EQ(detail::to_string(c_properties.expiration), "1500");
  const Properties out = detail::to_properties(c_properties);
  EXPECT_EQ(out.content_type, in.content_type);
  EXPECT_EQ(out.content_encoding, in.content_encoding);
  EXPECT_EQ(out.message_id, in.message_id);
  EXPECT_EQ(out.correlation_id, in.correlation_id);
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.app_id, in.app_id);
  EXPECT_EQ(out.reply_to, in.reply_to);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.priority, in.priority);
  EXPECT_EQ(out.expiration, in.expiration);
  EXPECT_EQ(out.timestamp, in.timestamp);
  EXPECT_TRUE(out.persistent);
}

TEST(AmqpTable, EmptyPropertiesSendOnlyTheDeliveryMode) {
  Properties in;
  in.persistent = false;
  detail::Encoder encoder;
  const amqp_basic_properties_t c_properties = encoder.properties(in);
  EXPECT_EQ(c_properties._flags, AMQP_BASIC_DELIVERY_MODE_FLAG);
  EXPECT_EQ(c_properties.delivery_mode, 1);
  EXPECT_FALSE(detail::to_properties(c_properties).persistent);
}

TEST(AmqpTable, QueueOptionsBecomeXArguments) {
  QueueOptions options;
  options.dead_letter_exchange = "dead";
  options.dead_letter_routing_key = "jobs.dead";
  options.message_ttl = std::chrono::seconds(30);
  options.max_priority = 10;
  options.queue_type = "classic";
  options.arguments["x-max-length"] = 1000;
  options.arguments["x-message-ttl"] = 1;  // the typed field wins
  const Table arguments = options.to_arguments();
  EXPECT_EQ(arguments.at("x-dead-letter-exchange").as_string(), "dead");
  EXPECT_EQ(arguments.at("x-dead-letter-routing-key").as_string(), "jobs.dead");
  EXPECT_EQ(arguments.at("x-message-ttl").as_int64(), 30000);
  EXPECT_EQ(arguments.at("x-max-priority").as_int64(), 10);
  EXPECT_EQ(arguments.at("x-queue-type").as_string(), "classic");
  EXPECT_EQ(arguments.at("x-max-length").as_int64(), 1000);
  EXPECT_TRUE(QueueOptions{}.to_arguments().empty());
}

}  // namespace
}  // namespace parley::amqp
