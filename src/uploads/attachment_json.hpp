#pragma once
// The API shape of an attachment (docs/api.md "Uploads"), for the upload response and for the
// `attachments` of messages.
#include "db/repositories/attachment_repository.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace parley::uploads {

// `{id, filename, content_type, size, sha256, url}`; url = attachment_url(attachment).
boost::json::object attachment_json(const db::repositories::Attachment& attachment);
// Its OpenAPI schema.
boost::json::value attachment_schema();
// Where the file downloads: `/api/v1/uploads/{id}/{filename, percent-encoded}`.
std::string attachment_url(const db::repositories::Attachment& attachment);

}  // namespace parley::uploads
