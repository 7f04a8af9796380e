// The browser pages Parley serves (docs/operations.md, "Admin console", "API docs" and "GraphiQL"): the
// admin console at /admin/, Swagger UI at /api/docs/ and GraphiQL at /graphiql/, each a flat folder of
// PARLEY_WEB_DIR read into memory at start (a few files, about 2 MB each with Swagger UI's or GraphiQL's
// bundle). They use the public API only.
//
// Each answer carries a strong ETag (If-None-Match gives 304) and `Cache-Control: no-cache` (revalidated,
// so an upgrade is seen at once), and a Content-Security-Policy that allows this origin's scripts and
// styles only: no inline script, no CDN. Swagger UI and GraphiQL also set inline styles, so their
// pages allow inline styles.
#include <spdlog/logger.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "app/app.hpp"
#include "http/openapi.hpp"
#include "uploads/download_headers.hpp"

namespace parley {

using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
namespace schema = http::schema;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

constexpr std::string_view kConsolePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
constexpr std::string_view kDocsPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
// GraphiQL: 'unsafe-inline' styles because its dialogs (settings, shortcuts) insert a <style> element
// whose content varies with the scrollbar's width (no fixed hash); its stylesheet embeds its fonts as
// data: URIs (font-src data:); connect-src 'self' covers POST /graphql and the graphql-transport-ws
// socket to ws(s)://<this host>/graphql (CSP 3: 'self' matches ws/wss of the same host). Scripts stay
// 'self' only: no inline script, no eval.
constexpr std::string_view kGraphiqlPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string etag;
};

std::string content_type_of(const std::filesystem::path& path) {
  static const std::map<std::string, std::string, std::less<>> kTypes{
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},               {".png", "image/png"},
      {".json", "application/json"},           {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"}};
  auto it = kTypes.find(path.extension().string());
  return it == kTypes.end() ? std::string() : it->second;
}

// The files of `folder` whose type is known, by name; empty (with a warning) when it is missing.
std::shared_ptr<const std::map<std::string, StaticFile, std::less<>>> load_folder(const std::filesystem::path& folder,
                                                                                    spdlog::logger& logger) {
  auto files = std::make_shared<std::map<std::string, StaticFile, std::less<>>>();
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(folder, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    auto type = content_type_of(it->path());
    if (type.empty()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    StaticFile file{.content_type = std::move(type), .body = std::move(body).str()};
    char etag[24];
    std::snprintf(etag, sizeof etag, "\"%016zx\"", std::hash<std::string_view>{}(file.body));
    file.etag = etag;
    files->emplace(it->path().filename().string(), std::move(file));
  }
  if (files->empty()) logger.warn("static files: nothing to serve in {} (PARLEY_WEB_DIR)", folder.string());
  return files;
}

Response serve(const std::map<std::string, StaticFile, std::less<>>& files, std::string_view name,
               const Request& req, std::string_view policy) {
  auto it = files.find(name);
  if (it == files.end()) throw AppError::not_found("No such file.");
  const StaticFile& file = it->second;
  Response response;
  if (uploads::if_none_match(req.header("If-None-Match"), file.etag)) {
    response.status = 304;
  } else {
    response = Response::text(file.body, file.content_type);
  }
  response.set_header("ETag", file.etag);
  response.set_header("Cache-Control", "no-cache");
  response.set_header("Content-Security-Policy", std::string(policy));
  return response;
}

// GET <prefix> redirects to <prefix>/ (the pages' relative links need the slash); <prefix>/ serves
// index.html, <prefix>/{file} a file.
void add_folder(http::Router& router, const std::string& prefix, std::string_view policy,
                std::shared_ptr<const std::map<std::string, StaticFile, std::less<>>> files,
                const std::string& what) {
  auto doc = [&what](std::string summary) {
    return RouteDoc{.summary = std::move(summary),
                    .tags = {"console"},
                    .responses = {{200, what, schema::string()}, {304, "Not modified (If-None-Match)", nullptr}},
                    .consumes = {},
                    .produces = "",
                    .in_openapi = false};
  };
  router.add(
      Method::get, prefix,
      [location = prefix + "/"](Request&) -> Awaitable {
        Response response{301, {}, {}, {}};
        response.set_header("Location", location);
        co_return response;
      },
      RouteDoc{.summary = "Redirects to " + prefix + "/",
               .tags = {"console"},
               .responses = {{301, "To " + prefix + "/", nullptr}},
               .consumes = {},
               .in_openapi = false});
  router.add(
      Method::get, prefix + "/",
      [files, policy](Request& req) -> Awaitable { co_return serve(*files, "index.html", req, policy); },
      doc(what + ": its page"));
  router.add(
      Method::get, prefix + "/{file}",
      [files, policy](Request& req) -> Awaitable { co_return serve(*files, req.param("file"), req, policy); },
      doc(what + ": its scripts, styles and images (404 for any other name)"));
}

}  // namespace

void add_static_routes(http::Router& router, const std::string& web_dir, spdlog::logger& logger) {
  const std::filesystem::path root(web_dir);
  add_folder(router, "/admin", kConsolePolicy, load_folder(root / "admin", logger), "The admin console");
  add_folder(router, "/api/docs", kDocsPolicy, load_folder(root / "api-docs", logger),
             "Swagger UI for /api/schema.json");
  add_folder(router, "/graphiql", kGraphiqlPolicy, load_folder(root / "graphiql", logger), "GraphiQL for /graphql");
}

}  // namespace parley
