#include "notifications/digest.hpp"

#include "core/html_escape.hpp"

namespace parley::notifications {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one UTF-8 sequence at `text[i]`: its code point and length, or (-1, 1) when invalid
// (truncated, overlong, a surrogate, past U+10FFFF).
std::pair<long, std::size_t> decode(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  long cp = 0;
  long min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {-1, 1};
  }
  if (i + len > text.size()) return {-1, 1};
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {-1, 1};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {-1, 1};
  return {cp, len};
}

bool blank(long cp) { return cp < 0x20 || cp == ' ' || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029; }

std::string conversation_title(const DigestItem& item) {
  if (item.conversation_kind == "direct") return "Direct message from " + one_line(item.sender_name, 64);
  const auto name = one_line(item.conversation_name, 80);
  return item.conversation_kind == "channel" ? "#" + name : name;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string subject_for(std::span<const DigestItem> items) {
  if (items.size() == 1) {
    const auto& item = items.front();
    const auto sender = one_line(item.sender_name, 64);
    if (item.conversation_kind == "direct") return "New direct message from " + sender;
    const auto where = item.conversation_kind == "channel" ? "#" + one_line(item.conversation_name, 80)
                                                           : one_line(item.conversation_name, 80);
    if (item.reason == "mention") return sender + " mentioned you in " + where;
    return "New message from " + sender + " in " + where;
  }
  std::size_t conversations = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i == 0 || items[i].conversation_id != items[i - 1].conversation_id) ++conversations;
  }
  return plural(items.size(), "unread message", "unread messages") + " in " +
         plural(conversations, "conversation", "conversations");
}

}  // namespace

std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars * 4 + kEllipsis.size()));
  std::size_t chars = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    auto [cp, len] = decode(text, i);
    const std::string_view piece = cp < 0 ? kReplacement : text.substr(i, len);
    i += len;
    if (cp >= 0 && blank(cp)) {
      pending_space = !out.empty();
      continue;
    }
    const std::size_t needed = pending_space ? 2 : 1;
    if (chars + needed > max_chars) {
      out += kEllipsis;
      return out;
    }
    if (pending_space) {
      out.push_back(' ');
      ++chars;
      pending_space = false;
    }
    out += piece;
    ++chars;
  }
  return out;
}

std::string message_url(std::string_view public_url, std::int64_t conversation_id, std::int64_t message_id) {
  return std::string(public_url) + "/conversations/" + std::to_string(conversation_id) +
         "?message=" + std::to_string(message_id);
}

DigestMail compose_digest(std::string_view recipient_name, std::span<const DigestItem> items,
                          const DigestOptions& options) {
  DigestMail mail;
  mail.unsubscribe_url = options.public_url + "/settings/notifications";
  mail.subject = subject_for(items);
  const auto name = one_line(recipient_name, 64);
  const auto listed = std::min(items.size(), options.max_listed);

  std::string& text = mail.text_body;
  std::string& html = mail.html_body;
  text =
      "Hello " + name + ",\n\nYou have " + plural(items.size(), "unread message", "unread messages") + " in Parley.\n";
  html = "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n<p>Hello " + html_escape(name) +
         ",</p>\n<p>You have " + plural(items.size(), "unread message", "unread messages") + " in Parley.</p>\n";
  for (std::size_t i = 0; i < listed; ++i) {
    const auto& item = items[i];
    if (i == 0 || item.conversation_id != items[i - 1].conversation_id) {
      const auto title = conversation_title(item);
      if (i > 0) html += "</ul>\n";
      text += "\n" + title + "\n";
      html += "<h3>" + html_escape(title) + "</h3>\n<ul>\n";
    }
    const auto sender = one_line(item.sender_name, 64);
    const auto preview = one_line(item.body, options.preview_chars);
    const auto url = message_url(options.public_url, item.conversation_id, item.message_id);
    const auto when = one_line(item.time_label, 40);
    text.append("  ").append(sender);
    if (!when.empty()) text.append(" (").append(when).append(")");
    text.append(": ").append(preview).append("\n  ").append(url).append("\n");
    html.append("<li><strong>").append(html_escape(sender)).append("</strong>");
    if (!when.empty()) html.append(" (").append(html_escape(when)).append(")");
    html.append(": ")
        .append(html_escape(preview))
        .append(" <a href=\"")
        .append(html_escape(url))
        .append("\">Open</a></li>\n");
  }
  if (listed > 0) html += "</ul>\n";
  if (items.size() > listed) {
    const auto more = "and " + plural(items.size() - listed, "more message", "more messages") + ".";
    text += "\n" + more + "\n";
    html += "<p>" + more + "</p>\n";
  }
  const auto setting = one_line(options.setting, 16);
  text += "\nOpen Parley: " + options.public_url +
          "/\n\n-- \nYou get these emails while you are away because your "
          "email notification setting is \"" +
          setting + "\". Change it: " + mail.unsubscribe_url + "\n";
  html += "<p><a href=\"" + html_escape(options.public_url + "/") +
          "\">Open Parley</a></p>\n"
          "<p style=\"color: #666; font-size: small\">You get these emails while you are away because your email "
          "notification setting is &quot;" +
          html_escape(setting) + "&quot;. <a href=\"" + html_escape(mail.unsubscribe_url) +
          "\">Change it</a>.</p>\n</body></html>\n";
  return mail;
}

}  // namespace parley::notifications
