#pragma once
// The response headers of a download (GET /api/v1/uploads/{id}/{filename}): what makes serving
// user files from the API's own origin safe.
#include "db/repositories/attachment_repository.hpp"
#include "http/response.hpp"

#include <string>
#include <string_view>

namespace parley::uploads {

// The strong ETag of an attachment: its SHA-256 in quotes.
std::string attachment_etag(const db::repositories::Attachment& attachment);

// Whether an If-None-Match header value matches `etag` (RFC 9110 13.1.2: "*", or any listed tag by
// weak comparison, so W/"x" matches "x").
bool if_none_match(std::string_view header, std::string_view etag);

// Sets, on a download response:
//  - Content-Disposition: `inline` for PNG, JPEG, GIF and WebP, `attachment` for everything else
//    (HTML, SVG, PDF, text, unknown), with the safe filename forms of content_disposition();
//  - Content-Security-Policy: sandbox; default-src 'none' (no script, no plugins, opaque origin,
//    should a browser render it anyway);
//  - Cache-Control: private (browsers may cache; shared caches must not);
//  - ETag.
// X-Content-Type-Options: nosniff comes from the security-headers middleware on every response.
void set_download_headers(http::Response& response, const db::repositories::Attachment& attachment);

}  // namespace parley::uploads
