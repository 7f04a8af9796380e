#include "messaging/views.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_dom_writer.hpp"
#include "http/openapi.hpp"
#include "uploads/attachment_json.hpp"

namespace parley::messaging {
namespace {

namespace json = boost::json;
namespace schema = http::schema;

json::value nullable(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}
json::value nullable(const std::optional<std::int64_t>& id) { return id ? json::value(*id) : json::value(nullptr); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string message_preview(std::string_view body) {
  std::string out;
  out.reserve(std::min(body.size(), kPreviewLength * 4));
  std::size_t code_points = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (!is_continuation(c)) {
      if (code_points + (pending_space ? 1 : 0) >= kPreviewLength) {
        out += "…";
        return out;
      }
      if (pending_space) {
        out.push_back(' ');
        ++code_points;
        pending_space = false;
      }
      ++code_points;
    }
    out.push_back(c);
  }
  return out;
}

json::object conversation_json(const db::repositories::ConversationSummary& s) {
  json::value last = nullptr;
  if (s.last_message) {
    const auto& m = *s.last_message;
    last = json::object{{"id", m.id},
                        {"sender_id", m.sender_id},
                        {"preview", m.deleted ? std::string() : message_preview(m.body)},
                        {"created_at", m.created_at},
                        {"deleted", m.deleted}};
  }
  json::object out = conversation_event_json(s.conversation, s.member_count);
  out["my_role"] = s.my_role.empty() ? json::value(nullptr) : json::value(s.my_role);
  out["muted"] = s.muted;
  out["unread_count"] = s.unread_count;
  out["last_message"] = std::move(last);
  return out;
}

json::value conversation_schema() {
  return schema::object({{"id", schema::integer()},
                         {"kind", schema::string()},
                         {"name", schema::nullable(schema::string())},
                         {"topic", schema::string()},
                         {"visibility", schema::string()},
                         {"created_by", schema::nullable(schema::integer())},
                         {"created_at", schema::string("date-time")},
                         {"archived_at", schema::nullable(schema::string("date-time"))},
                         {"member_count", schema::integer()},
                         {"my_role", schema::nullable(schema::string())},
                         {"muted", schema::boolean()},
                         {"unread_count", schema::integer()},
                         {"last_message", schema::nullable(schema::object({{"id", schema::integer()},
                                                                           {"sender_id", schema::integer()},
                                                                           {"preview", schema::string()},
                                                                           {"created_at", schema::string("date-time")},
                                                                           {"deleted", schema::boolean()}}))}});
}

json::object conversation_event_json(const db::repositories::Conversation& c, std::int64_t member_count) {
  return json::object{{"id", c.id},
                      {"kind", c.kind},
                      {"name", nullable(c.name)},
                      {"topic", c.topic},
                      {"visibility", c.visibility},
                      {"created_by", nullable(c.created_by)},
                      {"created_at", c.created_at},
                      {"archived_at", nullable(c.archived_at)},
                      {"member_count", member_count}};
}

json::object sender_json(const db::repositories::User& user) {
  return json::object{{"id", user.id}, {"username", user.username}, {"display_name", user.display_name}};
}

namespace {

// write_message's body for either writer (text or DOM): one list of a message's fields.
template <typename Writer>
void write_message_with(Writer& w, const MessageView& view) {
  const auto& m = view.message;
  w.begin_object(16);
  w.key("id");
  w.value(m.id);
  w.key("conversation_id");
  w.value(m.conversation_id);
  w.key("sender");
  w.begin_object(3);
  w.key("id");
  w.value(view.sender.id);
  w.key("username");
  w.value(view.sender.username);
  w.key("display_name");
  w.value(view.sender.display_name);
  w.end_object();
  w.key("body");
  w.value(m.body);
  w.key("html");
  w.value(m.html);
  w.key("parent_id");
  w.value(m.parent_id);
  w.key("reply_count");
  w.value(m.reply_count);
  w.key("last_reply_at");
  w.value(m.last_reply_at);
  w.key("reactions");
  w.begin_array();
  for (const auto& r : view.reactions) {
    w.begin_object(3);
    w.key("emoji");
    w.value(r.emoji);
    w.key("count");
    w.value(r.count);
    w.key("me");
    w.value(r.me);
    w.end_object();
  }
  w.end_array();
  w.key("mentions");
  w.begin_array();
  for (auto id : view.mentions) w.value(id);
  w.end_array();
  w.key("mentions_everyone");
  w.value(m.mentions_everyone);
  w.key("attachments");
  w.begin_array();
  for (const auto& a : view.attachments) w.dom(uploads::attachment_json(a));  // rare on a page
  w.end_array();
  w.key("created_at");
  w.value(m.created_at);
  w.key("edited_at");
  w.value(m.edited_at);
  w.key("deleted");
  w.value(m.deleted());
  w.key("client_msg_id");
  w.value(m.client_msg_id);
  w.end_object();
}

}  // namespace

void write_message(core::JsonWriter& w, const MessageView& view) { write_message_with(w, view); }

std::string message_json_text(const MessageView& view, core::KeyCase keys) {
  std::string out;
  out.reserve(400 + view.message.body.size() + view.message.html.size());
  core::JsonWriter w(out, keys);
  write_message(w, view);
  return out;
}

json::value message_dom(const MessageView& view, core::KeyCase keys, json::storage_ptr storage) {
  core::JsonDomWriter w(std::move(storage), keys);
  write_message_with(w, view);
  return w.release();
}

json::object message_json(const MessageView& view) { return std::move(message_dom(view).as_object()); }

json::value message_schema() {
  return schema::object(
      {{"id", schema::integer()},
       {"conversation_id", schema::integer()},
       {"sender", schema::object(
                      {{"id", schema::integer()}, {"username", schema::string()}, {"display_name", schema::string()}})},
       {"body", schema::string()},
       {"html", schema::string()},
       {"parent_id", schema::nullable(schema::integer())},
       {"reply_count", schema::integer()},
       {"last_reply_at", schema::nullable(schema::string("date-time"))},
       {"reactions", schema::array(schema::object(
                         {{"emoji", schema::string()}, {"count", schema::integer()}, {"me", schema::boolean()}}))},
       {"mentions", schema::array(schema::integer())},
       {"mentions_everyone", schema::boolean()},
       {"attachments", schema::array(uploads::attachment_schema())},
       {"created_at", schema::string("date-time")},
       {"edited_at", schema::nullable(schema::string("date-time"))},
       {"deleted", schema::boolean()},
       {"client_msg_id", schema::nullable(schema::string())}});
}

}  // namespace parley::messaging
