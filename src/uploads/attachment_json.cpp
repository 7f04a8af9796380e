#include "uploads/attachment_json.hpp"

#include "http/openapi.hpp"
#include "uploads/filename.hpp"

namespace parley::uploads {

namespace schema = http::schema;

std::string attachment_url(const db::repositories::Attachment& attachment) {
  return "/api/v1/uploads/" + std::to_string(attachment.id) + "/" + encode_path_segment(attachment.filename);
}

boost::json::object attachment_json(const db::repositories::Attachment& attachment) {
  return boost::json::object{
      {"id", attachment.id},     {"filename", attachment.filename}, {"content_type", attachment.content_type},
      {"size", attachment.size}, {"sha256", attachment.sha256},     {"url", attachment_url(attachment)}};
}

boost::json::value attachment_schema() {
  return schema::object({{"id", schema::integer()},
                         {"filename", schema::string()},
                         {"content_type", schema::string()},
                         {"size", schema::integer()},
                         {"sha256", schema::string()},
                         {"url", schema::string("uri-reference")}},
                        {"id", "filename", "content_type", "size", "sha256", "url"});
}

}  // namespace parley::uploads
