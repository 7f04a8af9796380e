#include "amqp/table.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace parley::amqp::detail {

Encoder::Encoder() { init_amqp_pool(&pool_, 4096); }
Encoder::~Encoder() { empty_amqp_pool(&pool_); }

amqp_bytes_t Encoder::bytes(std::string_view text) {
  amqp_bytes_t out;
  out.len = text.size();
  out.bytes = text.empty() ? nullptr : amqp_pool_alloc(&pool_, text.size());
  if (!text.empty()) {
    if (out.bytes == nullptr) throw std::bad_alloc();
    std::memcpy(out.bytes, text.data(), text.size());
  }
  return out;
}

amqp_field_value_t Encoder::value(const boost::json::value& value) {
  amqp_field_value_t out{};
  switch (value.kind()) {
    case boost::json::kind::string:
      out.kind = AMQP_FIELD_KIND_UTF8;
      out.value.bytes = bytes(value.get_string());
      break;
    case boost::json::kind::int64:
      out.kind = AMQP_FIELD_KIND_I64;
      out.value.i64 = value.get_int64();
      break;
    case boost::json::kind::uint64:
      if (value.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        throw std::invalid_argument("an AMQP table holds integers up to 2^63-1; got " +
                                    std::to_string(value.get_uint64()));
      }
      out.kind = AMQP_FIELD_KIND_I64;
      out.value.i64 = static_cast<std::int64_t>(value.get_uint64());
      break;
    case boost::json::kind::double_:
      out.kind = AMQP_FIELD_KIND_F64;
      out.value.f64 = value.get_double();
      break;
    case boost::json::kind::bool_:
      out.kind = AMQP_FIELD_KIND_BOOLEAN;
      out.value.boolean = value.get_bool() ? 1 : 0;
      break;
    case boost::json::kind::null:
      out.kind = AMQP_FIELD_KIND_VOID;
      break;
    case boost::json::kind::array: {
      const auto& array = value.get_array();
      out.kind = AMQP_FIELD_KIND_ARRAY;
      out.value.array.num_entries = static_cast<int>(array.size());
      out.value.array.entries = static_cast<amqp_field_value_t*>(
          array.empty() ? nullptr : amqp_pool_alloc(&pool_, sizeof(amqp_field_value_t) * array.size()));
      if (!array.empty() && out.value.array.entries == nullptr) throw std::bad_alloc();
      for (std::size_t i = 0; i < array.size(); ++i) out.value.array.entries[i] = this->value(array[i]);
      break;
    }
    case boost::json::kind::object:
      out.kind = AMQP_FIELD_KIND_TABLE;
      out.value.table = table(value.get_object());
      break;
  }
  return out;
}

amqp_table_t Encoder::table(const Table& table) {
  amqp_table_t out{};
  out.num_entries = static_cast<int>(table.size());
  if (table.empty()) return out;
  out.entries = static_cast<amqp_table_entry_t*>(amqp_pool_alloc(&pool_, sizeof(amqp_table_entry_t) * table.size()));
  if (out.entries == nullptr) throw std::bad_alloc();
  std::size_t i = 0;
  for (const auto& [key, value] : table) {
    if (key.size() > 255) throw std::invalid_argument("an AMQP table key is at most 255 bytes");
    out.entries[i].key = bytes(key);
    out.entries[i].value = this->value(value);
    ++i;
  }
  return out;
}

amqp_basic_properties_t Encoder::properties(const Properties& p) {
  amqp_basic_properties_t out{};
  const auto text = [&](const std::string& value, amqp_bytes_t& field, amqp_flags_t flag) {
    if (value.empty()) return;
    field = bytes(value);
    out._flags |= flag;
  };
  text(p.content_type, out.content_type, AMQP_BASIC_CONTENT_TYPE_FLAG);
  text(p.content_encoding, out.content_encoding, AMQP_BASIC_CONTENT_ENCODING_FLAG);
  text(p.message_id, out.message_id, AMQP_BASIC_MESSAGE_ID_FLAG);
  text(p.correlation_id, out.correlation_id, AMQP_BASIC_CORRELATION_ID_FLAG);
  text(p.type, out.type, AMQP_BASIC_TYPE_FLAG);
  text(p.app_id, out.app_id, AMQP_BASIC_APP_ID_FLAG);
  text(p.reply_to, out.reply_to, AMQP_BASIC_REPLY_TO_FLAG);
  if (!p.headers.empty()) {
    out.headers = table(p.headers);
    out._flags |= AMQP_BASIC_HEADERS_FLAG;
  }
  if (p.priority) {
    out.priority = *p.priority;
    out._flags |= AMQP_BASIC_PRIORITY_FLAG;
  }
  if (p.expiration) {
    if (p.expiration->count() < 0) throw std::invalid_argument("a message expiration cannot be negative");
    text(std::to_string(p.expiration->count()), out.expiration, AMQP_BASIC_EXPIRATION_FLAG);
  }
  if (p.timestamp) {
    out.timestamp = static_cast<std::uint64_t>(*p.timestamp);
    out._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
  }
  out.delivery_mode = p.persistent ? 2 : 1;
  out._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
  return out;
}

std::string to_string(amqp_bytes_t bytes) {
  if (bytes.len == 0 || bytes.bytes == nullptr) return {};
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

namespace {

boost::json::value to_json(const amqp_field_value_t& field) {
  switch (field.kind) {
    case AMQP_FIELD_KIND_BOOLEAN:
      return field.value.boolean != 0;
    case AMQP_FIELD_KIND_I8:
      return std::int64_t{field.value.i8};
    case AMQP_FIELD_KIND_U8:
      return std::int64_t{field.value.u8};
    case AMQP_FIELD_KIND_I16:
      return std::int64_t{field.value.i16};
    case AMQP_FIELD_KIND_U16:
      return std::int64_t{field.value.u16};
    case AMQP_FIELD_KIND_I32:
      return std::int64_t{field.value.i32};
    case AMQP_FIELD_KIND_U32:
      return std::int64_t{field.value.u32};
    case AMQP_FIELD_KIND_I64:
      return field.value.i64;
    case AMQP_FIELD_KIND_U64:
      if (field.value.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(field.value.u64);
      }
      return field.value.u64;
    case AMQP_FIELD_KIND_TIMESTAMP:
      return static_cast<std::int64_t>(field.value.u64);
    case AMQP_FIELD_KIND_F32:
      return double{field.value.f32};
    case AMQP_FIELD_KIND_F64:
      return field.value.f64;
    case AMQP_FIELD_KIND_DECIMAL:
      return field.value.decimal.value / std::pow(10.0, field.value.decimal.decimals);
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      return boost::json::string(to_string(field.value.bytes));
    case AMQP_FIELD_KIND_ARRAY: {
      boost::json::array out;
      out.reserve(static_cast<std::size_t>(field.value.array.num_entries));
      for (int i = 0; i < field.value.array.num_entries; ++i) out.push_back(to_json(field.value.array.entries[i]));
      return out;
    }
    case AMQP_FIELD_KIND_TABLE:
      return to_table(field.value.table);
    case AMQP_FIELD_KIND_VOID:
    default:
      return nullptr;
  }
}

}  // namespace

Table to_table(const amqp_table_t& table) {
  Table out;
  for (int i = 0; i < table.num_entries; ++i) {
    out[to_string(table.entries[i].key)] = to_json(table.entries[i].value);
  }
  return out;
}

Properties to_properties(const amqp_basic_properties_t& p) {
  Properties out;
  const auto has = [&](amqp_flags_t flag) { return (p._flags & flag) != 0; };
  if (has(AMQP_BASIC_CONTENT_TYPE_FLAG)) out.content_type = to_string(p.content_type);
  if (has(AMQP_BASIC_CONTENT_ENCODING_FLAG)) out.content_encoding = to_string(p.content_encoding);
  if (has(AMQP_BASIC_MESSAGE_ID_FLAG)) out.message_id = to_string(p.message_id);
  if (has(AMQP_BASIC_CORRELATION_ID_FLAG)) out.correlation_id = to_string(p.correlation_id);
  if (has(AMQP_BASIC_TYPE_FLAG)) out.type = to_string(p.type);
  if (has(AMQP_BASIC_APP_ID_FLAG)) out.app_id = to_string(p.app_id);
  if (has(AMQP_BASIC_REPLY_TO_FLAG)) out.reply_to = to_string(p.reply_to);
  if (has(AMQP_BASIC_HEADERS_FLAG)) out.headers = to_table(p.headers);
  if (has(AMQP_BASIC_PRIORITY_FLAG)) out.priority = p.priority;
  if (has(AMQP_BASIC_EXPIRATION_FLAG)) {
    // RabbitMQ only accepts a decimal number of milliseconds here; anything else is kept out.
    const std::string text = to_string(p.expiration);
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 19) {
      out.expiration = std::chrono::milliseconds(std::stoll(text));
    }
  }
  if (has(AMQP_BASIC_TIMESTAMP_FLAG)) out.timestamp = static_cast<std::int64_t>(p.timestamp);
  out.persistent = has(AMQP_BASIC_DELIVERY_MODE_FLAG) && p.delivery_mode == 2;
  return out;
}

}  // namespace parley::amqp::detail
