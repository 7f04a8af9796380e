// Upload and download routes (docs/api.md "Uploads"; docs/uploads.md). Handlers call one Uploads
// action and serialize the result; the upload's body is streamed (never buffered whole), and the
// download is streamed from disk.
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "http/openapi.hpp"
#include "uploads/attachment_json.hpp"
#include "uploads/download_headers.hpp"
#include "uploads/uploads.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

void add_upload_routes(http::Router& router, uploads::Uploads& uploads) {
  router.add(
      Method::post, "/api/v1/uploads",
      [&uploads](Request& req) -> Awaitable {
        auto uploader = *req.principal;
        std::string content_type(req.header("Content-Type"));
        http::BodyStream& body = req.body_stream();
        auto attachment = co_await uploads.do_upload(uploader, content_type, body);
        auto response = Response::json(uploads::attachment_json(attachment), 201);
        response.set_header("Location", uploads::attachment_url(attachment));
        co_return response;
      },
      RouteDoc{.summary = "Upload a file: multipart/form-data with the file in the field `file` (other fields are "
                          "ignored). Its type is detected from its content, never from its name or the declared "
                          "type; its name is kept sanitized. Private to the uploader until posted in a message "
                          "(`attachment_ids`). Any signed-in user, guests included; personal tokens need `write`",
               .tags = {"attachments"},
               .auth = http::Auth::user,
               .request_schema =
                   schema::object({{"file", json::object{{"type", "string"}, {"format", "binary"}}}}, {"file"}),
               .responses = {{201, "The stored file", uploads::attachment_schema()},
                             {400, "Not valid multipart/form-data, or no file in the `file` field", json::value()},
                             {413, "The file is larger than PARLEY_UPLOAD_MAX_BYTES", json::value()},
                             {415, "The body is not multipart/form-data", json::value()}},
               .consumes = {"multipart/form-data"},
               .permissions = {accounts::authenticated()},
               .streamed_body = true,
               .max_body_bytes = uploads.max_request_bytes(),
               .rate_limit = "upload",
               .analytics_event = "upload"});

  router.add(
      Method::get, "/api/v1/uploads/{id:int}/{filename}",
      [&uploads](Request& req) -> Awaitable {
        auto viewer = *req.principal;
        auto id = req.int_param("id");
        std::string filename(req.param("filename"));
        auto attachment = co_await uploads.check_download(viewer, id, filename);
        if (uploads::if_none_match(req.header("If-None-Match"), uploads::attachment_etag(attachment))) {
          Response not_modified{304, {}, {}, {}};
          not_modified.set_header("ETag", uploads::attachment_etag(attachment));
          not_modified.set_header("Cache-Control", "private");
          co_return not_modified;
        }
        auto body = co_await uploads.open_download(attachment);
        auto response =
            Response::stream(attachment.content_type, std::move(body), static_cast<std::uint64_t>(attachment.size));
        uploads::set_download_headers(response, attachment);
        co_return response;
      },
      RouteDoc{.summary = "Download a file, streamed from disk with its detected Content-Type. For its uploader and "
                          "for members (not banned) of a conversation where a message that is not deleted carries "
                          "it; 404 for everyone else and for any other filename. Images (PNG, JPEG, GIF, WebP) are "
                          "inline, everything else `Content-Disposition: attachment`; sandboxed by CSP; ETag is the "
                          "SHA-256 (If-None-Match gives 304)",
               .tags = {"attachments"},
               .auth = http::Auth::user,
               .responses = {{200, "The file's bytes", schema::string("binary")},
                             {304, "Not modified (If-None-Match)", json::value()},
                             {404, "No such file, or not yours to see", json::value()}},
               .consumes = {},
               // Any type: the file's own, decided by its content.
               .produces = "",
               .permissions = {accounts::authenticated()}});
}

}  // namespace parley
