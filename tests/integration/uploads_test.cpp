// Uploads and downloads (docs/api.md "Uploads"; docs/uploads.md) over real HTTP against the
// in-process server, on SQLite and, when PARLEY_TEST_PG_URL is set, PostgreSQL: multipart parsing,
// type sniffing, hostile names, size limits, access checks, dropped clients, bounded memory.
#include "harness.hpp"

#include "db/pg_test_database.hpp"
#include "db/repositories/attachment_repository.hpp"
#include "db/repositories/conversation_repository.hpp"
#include "db/repositories/member_repository.hpp"
#include "db/repositories/message_repository.hpp"
#include "db/testing.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <random>
#include <regex>
#include <thread>

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
namespace repo = db::repositories;

constexpr const char* kPassword = "a perfectly long passphrase 7781";
constexpr std::string_view kBoundary = "----ParleyTestBoundary8f3a";

// A 1x1 RGBA PNG.
const std::string kPng(
    "\x89\x50\x4E\x47\x0D\x0A\x1A\x0A\x00\x00\x00\x0D\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    "\x00\x1F\x15\xC4\x89\x00\x00\x00\x0A\x49\x44\x41\x54\x78\x9C\x63\x00\x01\x00\x00\x05\x00\x01\x0D\x0A\x2D\xB4\x00"
    "\x00\x00\x00\x49\x45\x4E\x44\xAE\x42\x60\x82",
    67);
const std::string kHtml = "<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n";

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// The head of a file part: `disposition` is the rest of Content-Disposition after form-data.
std::string file_part_head(std::string_view disposition, std::string_view declared_type = "application/octet-stream") {
  return "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; " + std::string(disposition) +
         "\r\nContent-Type: " + std::string(declared_type) + "\r\n\r\n";
}
std::string closing() { return "\r\n--" + std::string(kBoundary) + "--\r\n"; }

// A form with the file `content` named `filename` (quoted as is) in the field `file`.
std::string form(std::string_view filename, std::string_view content,
                 std::string_view declared_type = "application/octet-stream") {
  return file_part_head("name=\"file\"; filename=\"" + std::string(filename) + "\"", declared_type) +
         std::string(content) + closing();
}

std::string multipart_type() { return "multipart/form-data; boundary=" + std::string(kBoundary); }

// Every regular file under `dir`, relative to it. The server creates and removes files while a
// test looks (a stalled upload's .part file goes when its connection is dropped), so nothing here
// may throw for a file that vanished between listing and looking at it: non-throwing overloads,
// and a purely lexical relative path (fs::relative canonicalises, which needs the file to exist).
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) out.push_back(it->path().lexically_relative(dir).string());
  }
  return out;
}

class UploadsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      auto admin_url = db::testing::PgTestDatabase::admin_url_from_env();
      if (!admin_url) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
      pg_ = std::make_unique<db::testing::PgTestDatabase>(*admin_url);
    }
    start();
  }

  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    pg_.reset();
  }

  void start(std::map<std::string, std::string> env = {}) {
    if (server_) server_->stop();
    server_.reset();
    env["PARLEY_UPLOAD_DIR"] = dir_.path().string();
    if (!env.contains("PARLEY_UPLOAD_MAX_BYTES")) env["PARLEY_UPLOAD_MAX_BYTES"] = "21MiB";
    if (pg_) {
      env["PARLEY_DATABASE_URL"] = pg_->url();
      env["PARLEY_AUTO_MIGRATE"] = "1";
    } else {
      // A file, not :memory:, so a restarted server keeps its users.
      env["PARLEY_DATABASE_URL"] = "sqlite:" + (db_dir_.path() / "uploads.db").string();
    }
    server_ = std::make_unique<TestServer>(test_config(env));
  }

  std::uint16_t port() const { return server_->port(); }
  db::Database& database() { return server_->app().database(); }

  HttpResult call(const std::string& method, const std::string& target, const std::string& token = {},
                  std::map<std::string, std::string> headers = {}, std::string body = {}) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return http_request(port(), method, target, headers, std::move(body));
  }

  // Registers and logs in `username`; returns {id, access token}.
  std::pair<std::int64_t, std::string> user(const std::string& username) {
    auto r = call("POST", "/api/v1/auth/register", {}, {},
                  json::serialize(json::object{
                      {"username", username}, {"email", username + "@example.com"}, {"password", kPassword}}));
    EXPECT_EQ(r.status, 201) << r.body;
    auto id = r.json().at("id").as_int64();
    auto t = call("POST", "/api/v1/auth/token", {}, {},
                  json::serialize(json::object{{"login", username}, {"password", kPassword}}));
    EXPECT_EQ(t.status, 200) << t.body;
    return {id, std::string(t.json().at("access").as_string())};
  }

  HttpResult upload_form(const std::string& token, std::string body, std::string content_type = multipart_type()) {
    return call("POST", "/api/v1/uploads", token, {{"Content-Type", content_type}}, std::move(body));
  }
  HttpResult upload(const std::string& token, std::string_view filename, std::string_view content,
                    std::string_view declared_type = "application/octet-stream") {
    return upload_form(token, form(filename, content, declared_type));
  }

  // The blobs stored (not counting temporary files), and the temporary files.
  std::vector<std::string> blobs() {
    std::vector<std::string> out;
    for (auto& f : files_under(dir_.path())) {
      if (!f.starts_with("tmp/")) out.push_back(f);
    }
    return out;
  }
  std::vector<std::string> temp_files() { return files_under(dir_.path() / "tmp"); }

  // Posts attachment `attachment_id` (uploaded by `sender`) in a new message of a new group with
  // `members` (the sender first); returns {conversation id, message id}.
  std::pair<std::int64_t, std::int64_t> post_in_group(std::int64_t sender, std::vector<std::int64_t> members,
                                                      std::int64_t attachment_id) {
    auto dialect = database().dialect();
    repo::ConversationRepository conversations(dialect);
    repo::MemberRepository member_repo(dialect);
    repo::MessageRepository messages(dialect);
    repo::AttachmentRepository attachments(dialect);
    auto conversation = run_db(conversations.create(
        database(), repo::NewConversation{.kind = "group", .name = "g", .topic = "", .created_by = sender}));
    for (std::size_t i = 0; i < members.size(); ++i)
      run_db(member_repo.add(database(), conversation.id, members[i], i == 0 ? "owner" : "member"));
    auto message = run_db(messages.insert(
        database(),
        repo::NewMessage{
            .conversation_id = conversation.id, .sender_id = sender, .body = "see file", .html = "<p>see file</p>"}));
    std::vector<std::int64_t> ids{attachment_id};
    run_db([&]() -> asio::awaitable<bool> {
      co_await attachments.attach_to_message(database(), message.message.id, sender, ids);
      co_return true;
    }());
    return {conversation.id, message.message.id};
  }

  db::testing::TempDir dir_;     // the upload folder
  db::testing::TempDir db_dir_;  // the SQLite file
  std::unique_ptr<db::testing::PgTestDatabase> pg_;
  std::unique_ptr<TestServer> server_;
};

// ------------------------------------------------------------------------------- round trip

TEST_P(UploadsTest, UploadAndDownloadRoundTrip) {
  auto [alice_id, alice] = user("alice");
  std::string content = random_bytes(300'000, 1);
  auto r = upload(alice, "data.bin", content);
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = r.json().as_object();
  EXPECT_GT(body.at("id").as_int64(), 0);
  EXPECT_EQ(body.at("filename"), "data.bin");
  EXPECT_EQ(body.at("content_type"), "application/octet-stream");
  EXPECT_EQ(body.at("size"), content.size());
  EXPECT_EQ(body.at("sha256").as_string(), sha256_hex(content));
  std::string url(body.at("url").as_string());
  EXPECT_EQ(url, "/api/v1/uploads/" + std::to_string(body.at("id").as_int64()) + "/data.bin");
  EXPECT_EQ(r.header("Location"), url);
  EXPECT_EQ(body.size(), 6u) << "exactly the documented fields";

  // One blob on disk, named by a random key (not by the client's name), no temporary file.
  auto stored = blobs();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(std::regex_match(stored[0], std::regex("[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}"))) << stored[0];
  EXPECT_TRUE(temp_files().empty());

  auto d = call("GET", url, alice);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.body.size(), content.size());
  EXPECT_TRUE(d.body == content) << "the same bytes";
  EXPECT_EQ(sha256_hex(d.body), sha256_hex(content));
  EXPECT_EQ(d.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(d.header("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(d.header("Content-Disposition"), "attachment; filename=\"data.bin\"; filename*=UTF-8''data.bin");
  EXPECT_EQ(d.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(d.header("Content-Security-Policy"), "sandbox; default-src 'none'");
  EXPECT_EQ(d.header("Cache-Control"), "private");
  EXPECT_EQ(d.header("ETag"), "\"" + sha256_hex(content) + "\"");

  auto again = call("GET", url, alice, {{"If-None-Match", d.header("ETag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.header("ETag"), d.header("ETag"));

  RawConnection c(port());
  c.send("HEAD " + url + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice + "\r\n\r\nGET " + url +
         " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice + "\r\n\r\n");
  auto head = c.read_response(std::chrono::seconds(5), true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(head.body, "");
  EXPECT_TRUE(c.read_response().body == content) << "keep-alive after HEAD and after a streamed download";
}

TEST_P(UploadsTest, EmptyFileIsAFileToo) {
  auto [id, alice] = user("alice");
  auto r = upload(alice, "empty.txt", "");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("size"), 0);
  EXPECT_EQ(r.json().at("sha256").as_string(), sha256_hex(""));
  EXPECT_EQ(r.json().at("content_type"), "application/octet-stream");
  auto d = call("GET", std::string(r.json().at("url").as_string()), alice);
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.body, "");
}

// --------------------------------------------------------------------------- type from content

TEST_P(UploadsTest, TypeComesFromTheContentNotTheNameOrDeclaredType) {
  auto [id, alice] = user("alice");
  auto png = upload(alice, "evil.exe", kPng, "application/x-msdownload");
  ASSERT_EQ(png.status, 201) << png.body;
  EXPECT_EQ(png.json().at("content_type"), "image/png");
  EXPECT_EQ(png.json().at("filename"), "evil.exe");
  auto png_download = call("GET", std::string(png.json().at("url").as_string()), alice);
  EXPECT_EQ(png_download.header("Content-Type"), "image/png");
  EXPECT_TRUE(png_download.header("Content-Disposition").starts_with("inline; ")) << "a safe image shows inline";

  auto html = upload(alice, "pic.png", kHtml, "image/png");
  ASSERT_EQ(html.status, 201) << html.body;
  EXPECT_EQ(html.json().at("content_type"), "text/html");
  auto html_download = call("GET", std::string(html.json().at("url").as_string()), alice);
  EXPECT_EQ(html_download.status, 200);
  EXPECT_EQ(html_download.header("Content-Type"), "text/html");
  EXPECT_EQ(html_download.header("Content-Disposition"), "attachment; filename=\"pic.png\"; filename*=UTF-8''pic.png");
  EXPECT_EQ(html_download.header("Content-Security-Policy"), "sandbox; default-src 'none'");
  EXPECT_EQ(html_download.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(html_download.body, kHtml);

  auto svg = upload(alice, "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n",
                    "image/svg+xml");
  ASSERT_EQ(svg.status, 201) << svg.body;
  EXPECT_EQ(svg.json().at("content_type"), "image/svg+xml");
  auto svg_download = call("GET", std::string(svg.json().at("url").as_string()), alice);
  EXPECT_TRUE(svg_download.header("Content-Disposition").starts_with("attachment; ")) << "SVG is never inline";
}

// ------------------------------------------------------------------------------- size limits

TEST_P(UploadsTest, TooLargeFileIs413AndLeavesNothingBehind) {
  start({{"PARLEY_UPLOAD_MAX_BYTES", "1MiB"}});
  auto [id, alice] = user("alice");
  auto ok = upload(alice, "exact.bin", random_bytes(1024 * 1024, 2));
  EXPECT_EQ(ok.status, 201) << "exactly the limit is accepted";
  auto before = blobs();

  auto r = upload(alice, "big.bin", random_bytes(1024 * 1024 + 1, 3));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  EXPECT_NE(std::string(r.json().at("detail").as_string()).find("1 MiB"), std::string::npos) << r.body;
  EXPECT_TRUE(eventually([&] { return temp_files().empty(); })) << "the partial file is removed";
  EXPECT_EQ(blobs(), before);

  // Announced too large by Content-Length: refused before the body is read (none is sent).
  RawConnection c(port());
  c.send("POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
         "\r\nContent-Type: " + multipart_type() + "\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n");
  auto announced = c.read_response();
  EXPECT_EQ(announced.status, 413) << "no 100 Continue: the client need not send the body";
  EXPECT_EQ(announced.header("Connection"), "close");
  EXPECT_TRUE(temp_files().empty());
  EXPECT_EQ(blobs(), before);
}

// --------------------------------------------------------------------------- hostile file names

TEST_P(UploadsTest, HostileFilenamesAreSanitizedAndNeverReachTheDisk) {
  auto [id, alice] = user("alice");
  struct Case {
    std::string disposition;  // after `name="file"; `
    std::string stored;
  };
  std::vector<Case> cases = {
      {"filename=\"../../etc/passwd\"", "passwd"},
      {"filename=\"..\\\\..\\\\x\"", "x"},
      {"filename*=UTF-8''a%0D%0Ab", "ab"},
      {"filename=\"<script>.txt\"", "<script>.txt"},
      {"filename*=UTF-8''nul%00byte.txt", "nulbyte.txt"},
      {"filename=\"" + std::string(1000, 'n') + "\"", std::string(255, 'n')},
      {"filename=\"" + std::string(1000, 'n') + ".txt\"", std::string(251, 'n') + ".txt"},
      {"filename=\"...\"", "file"},
      {"filename=\"\"", "file"},
      {"filename=\"/\"", "file"},
      {"filename*=UTF-8''%2E%2E%2F%2E%2E%2Fescape", "escape"},
      {"filename*=UTF-8''r%C3%A9sum%C3%A9%E2%80%AEfdp.exe", "résuméfdp.exe"},
      {"filename*=UTF-8''bad%FF.txt", "bad\xEF\xBF\xBD.txt"},
  };
  for (const auto& test : cases) {
    std::string body = file_part_head("name=\"file\"; " + test.disposition) + "hello" + closing();
    auto r = upload_form(alice, body);
    ASSERT_EQ(r.status, 201) << test.disposition << ": " << r.body;
    std::string stored(r.json().at("filename").as_string());
    EXPECT_EQ(stored, test.stored) << test.disposition;
    EXPECT_EQ(stored.find_first_of(std::string("/\\\r\n\0", 5)), std::string::npos);
    // The URL encodes the name and downloads the file back.
    std::string url(r.json().at("url").as_string());
    EXPECT_EQ(url.find_first_of("<>\" \r\n"), std::string::npos) << url;
    auto d = call("GET", url, alice);
    EXPECT_EQ(d.status, 200) << url;
    EXPECT_EQ(d.body, "hello");
    EXPECT_EQ(d.header("Content-Disposition").find_first_of("\r\n"), std::string::npos);
  }
  // Nothing but random keys under the upload folder.
  for (const auto& f : files_under(dir_.path())) {
    EXPECT_TRUE(std::regex_match(f, std::regex("[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}"))) << f;
  }
  EXPECT_EQ(blobs().size(), cases.size());
  EXPECT_FALSE(fs::exists(dir_.path().parent_path() / "escape"));
}

// ------------------------------------------------------------------------------- access checks

TEST_P(UploadsTest, OnlyTheUploaderAndMembersWhereItWasPostedMayDownload) {
  auto [alice_id, alice] = user("alice");
  auto [bob_id, bob] = user("bob");
  auto [carol_id, carol] = user("carol");
  auto [dave_id, dave] = user("dave");
  auto r = upload(alice, "notes.txt", "secret notes\n");
  ASSERT_EQ(r.status, 201);
  auto id = r.json().at("id").as_int64();
  std::string url(r.json().at("url").as_string());

  EXPECT_EQ(call("GET", url).status, 401) << "unauthenticated";
  EXPECT_EQ(call("GET", url, alice).status, 200) << "the uploader";
  auto stranger = call("GET", url, bob);
  EXPECT_EQ(stranger.status, 404) << "not posted anywhere bob reads";
  EXPECT_EQ(stranger.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(call("GET", "/api/v1/uploads/" + std::to_string(id) + "/other.txt", alice).status, 404)
      << "the name is part of the address";
  EXPECT_EQ(call("GET", "/api/v1/uploads/" + std::to_string(id + 1000) + "/notes.txt", alice).status, 404);

  // Posted in a group of alice, bob and carol; carol is banned; dave is in none of it.
  auto [conversation, message] = post_in_group(alice_id, {alice_id, bob_id, carol_id}, id);
  repo::MemberRepository members(database().dialect());
  run_db(members.ban(database(), conversation, carol_id));
  EXPECT_EQ(call("GET", url, bob).status, 200) << "a member of the conversation";
  EXPECT_EQ(call("GET", url, carol).status, 404) << "banned";
  EXPECT_EQ(call("GET", url, dave).status, 404) << "not a member";

  // Deleting the message withdraws the file from the conversation, not from its uploader.
  repo::MessageRepository messages(database().dialect());
  run_db(messages.soft_delete(database(), message));
  EXPECT_EQ(call("GET", url, bob).status, 404);
  EXPECT_EQ(call("GET", url, alice).status, 200);
}

TEST_P(UploadsTest, AuthenticationAndScopesComeBeforeTheBody) {
  auto [id, alice] = user("alice");
  // No credentials: 401 without reading the body; the connection closes after the answer.
  RawConnection c(port());
  c.send("POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: " + multipart_type() +
         "\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(5)));

  // A read-only personal token may download but not upload.
  auto token = call("POST", "/api/v1/auth/tokens", alice, {},
                    json::serialize(json::object{{"name", "ro"}, {"scopes", json::array{"read"}}}));
  ASSERT_EQ(token.status, 201) << token.body;
  std::string read_only(token.json().at("token").as_string());
  EXPECT_EQ(upload(read_only, "a.txt", "x").status, 403);
  auto mine = upload(alice, "a.txt", "x");
  EXPECT_EQ(call("GET", std::string(mine.json().at("url").as_string()), read_only).status, 200);
  EXPECT_TRUE(temp_files().empty());
}

// ----------------------------------------------------------------------------- malformed input

TEST_P(UploadsTest, MultipartErrorsAre400) {
  auto [id, alice] = user("alice");
  auto expect_400 = [&](std::string body, std::string content_type, std::string_view field = {}) {
    auto r = upload_form(alice, std::move(body), std::move(content_type));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    if (!field.empty()) {
      EXPECT_TRUE(r.json().at("errors").as_object().contains(field)) << r.body;
    }
    return r;
  };
  expect_400(form("a.txt", "x"), "multipart/form-data");  // no boundary
  expect_400(form("a.txt", "x"), "multipart/form-data; boundary=" + std::string(71, 'b'));
  expect_400("this is not multipart", multipart_type());
  expect_400(file_part_head("name=\"file\"; filename=\"a.txt\"") + "no closing boundary", multipart_type());
  expect_400(file_part_head("name=\"file\"; filename=\"a.txt\"") + "x\r\n--" + std::string(kBoundary) + "GARBAGE",
             multipart_type());
  auto no_file =
      "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhi" + closing();
  expect_400(no_file, multipart_type(), "file");
  auto plain_field =
      "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhi" + closing();
  expect_400(plain_field, multipart_type(), "file");
  auto two_files = file_part_head("name=\"file\"; filename=\"a\"") + "a\r\n" +
                   file_part_head("name=\"file\"; filename=\"b\"").substr(0) + "b" + closing();
  expect_400(two_files, multipart_type(), "file");
  expect_400("--" + std::string(kBoundary) + "\r\nContent-Type: text/plain\r\n\r\nx" + closing(), multipart_type());
  // Extra fields beside the file are ignored.
  auto with_extra = "--" + std::string(kBoundary) +
                    "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday\r\n" +
                    form("photo.png", kPng, "image/png");
  auto ok = upload_form(alice, with_extra);
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json().at("content_type"), "image/png");
  EXPECT_TRUE(eventually([&] { return temp_files().empty(); }));
  EXPECT_EQ(blobs().size(), 1u) << "only the accepted upload is stored";
}

TEST_P(UploadsTest, WrongContentTypeIs415) {
  auto [id, alice] = user("alice");
  auto json_body = upload_form(alice, "{\"file\":\"x\"}", "application/json");
  EXPECT_EQ(json_body.status, 415) << json_body.body;
  EXPECT_EQ(upload_form(alice, "x", "text/plain").status, 415);
  EXPECT_EQ(upload_form(alice, form("a", "x"), "multipart/mixed; boundary=" + std::string(kBoundary)).status, 415);
  EXPECT_TRUE(temp_files().empty());
  EXPECT_TRUE(blobs().empty());
}

// ------------------------------------------------------------------- large and interrupted uploads

// Reads `name` from the Prometheus text at /metrics.
double metric(std::uint16_t port, const std::string& name) {
  auto text = http_request(port, "GET", "/metrics").body;
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST_P(UploadsTest, TwentyMegabytesStreamWithBoundedMemory) {
  auto [id, alice] = user("alice");
  std::string content = random_bytes(20 * 1024 * 1024, 4);
  // Sent chunked, so neither side knows the size up front.
  std::string body = form("big.bin", content);
  std::string wire;
  for (std::size_t at = 0; at < body.size(); at += 100'000) {
    auto piece = std::string_view(body).substr(at, 100'000);
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    wire += size;
    wire += piece;
    wire += "\r\n";
  }
  wire += "0\r\n\r\n";
  RawConnection c(port());
  c.send("POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
         "\r\nContent-Type: " + multipart_type() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + wire);
  auto r = c.read_response(std::chrono::seconds(60));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("size"), content.size());
  EXPECT_EQ(r.json().at("sha256").as_string(), sha256_hex(content));
  // The server never held more than one read chunk (64 KiB) plus a delimiter's worth of upload bytes.
  double peak = metric(port(), "parley_upload_buffered_bytes_peak");
  EXPECT_GT(peak, 0);
  EXPECT_LE(peak, 64 * 1024 + 128);
  auto d = call("GET", std::string(r.json().at("url").as_string()), alice);
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(sha256_hex(d.body), sha256_hex(content));
}

TEST_P(UploadsTest, ClientThatDisconnectsMidBodyLeavesNoFile) {
  auto [id, alice] = user("alice");
  std::string body = form("partial.bin", random_bytes(2 * 1024 * 1024, 5));
  {
    RawConnection c(port());
    c.send("POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
           "\r\nContent-Type: " + multipart_type() + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    c.send(std::string_view(body).substr(0, 1024 * 1024));
    // The server has started writing the file...
    ASSERT_TRUE(eventually([&] { return temp_files().size() == 1; }));
  }  // ...and the client goes away.
  EXPECT_TRUE(eventually([&] { return temp_files().empty(); })) << "the temporary file is removed";
  EXPECT_TRUE(blobs().empty());
  EXPECT_EQ(upload(alice, "after.txt", "still serving").status, 201);
}

TEST_P(UploadsTest, StalledClientIsDroppedAndLeavesNoFile) {
  start({{"PARLEY_READ_TIMEOUT", "300ms"}});
  auto [id, alice] = user("alice");
  std::string body = form("stalled.bin", random_bytes(512 * 1024, 6));
  RawConnection c(port());
  c.send("POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
         "\r\nContent-Type: " + multipart_type() + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  c.send(std::string_view(body).substr(0, 300 * 1024));
  ASSERT_TRUE(eventually([&] { return temp_files().size() == 1; }));
  // Nothing more comes: the read timeout (per read, not per request) drops the connection.
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(5)));
  EXPECT_TRUE(eventually([&] { return temp_files().empty(); }));
  EXPECT_TRUE(blobs().empty());
}

// ------------------------------------------------------------------------------- retention

TEST_P(UploadsTest, OldUploadsNoMessageCarriesArePurgedWithTheirFiles) {
  auto [alice, token] = user("alice");
  auto id_of = [](const HttpResult& r) { return r.json().at("id").as_int64(); };
  auto sent = upload(token, "sent.txt", "sent long ago");
  auto fresh = upload(token, "fresh.txt", "uploaded just now");
  auto abandoned = upload(token, "abandoned.txt", "never sent");
  ASSERT_EQ(abandoned.status, 201) << abandoned.body;
  post_in_group(alice, {alice}, id_of(sent));
  // Two of them are days old (older than PARLEY_UPLOAD_ORPHAN_AGE, 24h by default).
  const std::string backdate = "UPDATE attachments SET created_at = '2000-01-01T00:00:00.000Z' WHERE id IN (" +
                               std::to_string(id_of(sent)) + ", " + std::to_string(id_of(abandoned)) + ")";
  run_db(database().execute(db::Query{"", backdate}));
  ASSERT_EQ(blobs().size(), 3u);

  auto& app = server_->app();
  auto job = run_db(app.jobs().enqueue(database(), "uploads.purge_orphans", json::object{}));
  ASSERT_TRUE(job);
  app.jobs().committed();
  EXPECT_TRUE(eventually([&] { return blobs().size() == 2; }, std::chrono::seconds(10))) << blobs().size() << " files";
  auto remaining = run_db(database().execute(db::Query{"", "SELECT filename FROM attachments ORDER BY filename"}));
  ASSERT_EQ(remaining.rows.size(), 2u);
  EXPECT_EQ(remaining.rows[0].text(0), "fresh.txt");
  EXPECT_EQ(remaining.rows[1].text(0), "sent.txt");
  EXPECT_EQ(call("GET", "/api/v1/uploads/" + std::to_string(id_of(fresh)) + "/fresh.txt", token).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, UploadsTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
