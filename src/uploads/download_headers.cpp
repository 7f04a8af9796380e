#include "uploads/download_headers.hpp"

#include "uploads/filename.hpp"
#include "uploads/mime_sniffer.hpp"

namespace parley::uploads {

std::string attachment_etag(const db::repositories::Attachment& attachment) { return "\"" + attachment.sha256 + "\""; }

bool if_none_match(std::string_view header, std::string_view etag) {
  auto opaque = [](std::string_view tag) {
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  auto wanted = opaque(etag);
  while (!header.empty()) {
    auto comma = header.find(',');
    auto tag = opaque(header.substr(0, comma));
    if (tag == "*" || (tag.size() >= 2 && tag.front() == '"' && tag == wanted)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

void set_download_headers(http::Response& response, const db::repositories::Attachment& attachment) {
  auto disposition = is_inline_image(attachment.content_type) ? "inline" : "attachment";
  response.set_header("Content-Disposition", content_disposition(disposition, attachment.filename));
  response.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  response.set_header("Cache-Control", "private");
  response.set_header("ETag", attachment_etag(attachment));
}

}  // namespace parley::uploads
