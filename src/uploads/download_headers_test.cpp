#include "uploads/download_headers.hpp"

#include <gtest/gtest.h>

namespace parley::uploads {
namespace {

db::repositories::Attachment file(std::string type, std::string name = "a.bin") {
  return db::repositories::Attachment{.id = 7,
                                      .uploader_id = 1,
                                      .filename = std::move(name),
                                      .content_type = std::move(type),
                                      .size = 3,
                                      .sha256 = std::string(64, 'a'),
                                      .storage_key = std::string(32, 'b')};
}

TEST(DownloadHeaders, OnlySafeImagesAreInline) {
  for (auto type : {"image/png", "image/jpeg", "image/gif", "image/webp"}) {
    http::Response r;
    set_download_headers(r, file(type, "p.png"));
    EXPECT_EQ(r.header("Content-Disposition"), "inline; filename=\"p.png\"; filename*=UTF-8''p.png") << type;
  }
  for (auto type : {"image/svg+xml", "text/html", "application/pdf", "text/plain", "application/octet-stream"}) {
    http::Response r;
    set_download_headers(r, file(type, "x.html"));
    EXPECT_TRUE(r.header("Content-Disposition").starts_with("attachment; ")) << type;
  }
}

TEST(DownloadHeaders, SandboxPrivateCacheAndETag) {
  http::Response r;
  set_download_headers(r, file("text/html"));
  EXPECT_EQ(r.header("Content-Security-Policy"), "sandbox; default-src 'none'");
  EXPECT_EQ(r.header("Cache-Control"), "private");
  EXPECT_EQ(r.header("ETag"), "\"" + std::string(64, 'a') + "\"");
}

TEST(IfNoneMatch, ComparesWeaklyAndAcceptsListsAndStar) {
  const std::string etag = "\"abc\"";
  EXPECT_TRUE(if_none_match("\"abc\"", etag));
  EXPECT_TRUE(if_none_match("W/\"abc\"", etag));
  EXPECT_TRUE(if_none_match("\"x\", \"abc\"", etag));
  EXPECT_TRUE(if_none_match(" \"x\" ,W/\"abc\" ", etag));
  EXPECT_TRUE(if_none_match("*", etag));
  EXPECT_FALSE(if_none_match("", etag));
  EXPECT_FALSE(if_none_match("\"abcd\"", etag));
  EXPECT_FALSE(if_none_match("abc", etag)) << "unquoted is not an entity tag";
  EXPECT_FALSE(if_none_match("\"x\", \"y\"", etag));
}

}  // namespace
}  // namespace parley::uploads
