#include "http/serialize.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

namespace parley::http {
namespace {

std::string serialize(const Response& response, bool head = false, bool keep_alive = true) {
  std::string out = "stale bytes that must be cleared";
  serialize_response(response, head, keep_alive, out);
  return out;
}

// The header block (status line excluded) split into lines, and the body after the blank line.
struct Parsed {
  std::string status_line;
  std::vector<std::string> headers;
  std::string body;
  bool has(std::string_view line) const { return std::find(headers.begin(), headers.end(), line) != headers.end(); }
  bool has_name(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.size() > name.size() && h.compare(0, name.size(), name) == 0 && h[name.size()] == ':') return true;
    }
    return false;
  }
};

Parsed parse(const std::string& wire) {
  Parsed p;
  auto end = wire.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << wire;
  std::string head = wire.substr(0, end);
  p.body = wire.substr(end + 4);
  std::size_t pos = 0;
  bool first = true;
  while (pos <= head.size()) {
    auto eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (first) {
      p.status_line = line;
      first = false;
    } else {
      p.headers.push_back(line);
    }
    if (eol == std::string::npos) break;
    pos = eol + 2;
  }
  return p;
}

TEST(Serialize, StatusLineDateLengthAndBody) {
  auto wire = serialize(Response::text("hello"));
  auto p = parse(wire);
  EXPECT_EQ(p.status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(p.has("Content-Type: text/plain; charset=utf-8"));
  EXPECT_TRUE(p.has("Content-Length: 5"));
  EXPECT_EQ(p.body, "hello");
  EXPECT_FALSE(p.has_name("Connection"));
  ASSERT_TRUE(p.has_name("Date"));
  bool date_ok = false;
  static const std::regex kImfFixdate(
      R"(Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT)");
  for (const auto& h : p.headers) date_ok |= std::regex_match(h, kImfFixdate);
  EXPECT_TRUE(date_ok) << wire;
}

TEST(Serialize, ReasonPhrases) {
  EXPECT_EQ(parse(serialize(Response::text("", "text/plain", 404))).status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(parse(serialize(Response::text("", "text/plain", 405))).status_line, "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(parse(serialize(Response::text("", "text/plain", 431))).status_line,
            "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(parse(serialize(Response::text("", "text/plain", 599))).status_line, "HTTP/1.1 599 Unknown");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
}

TEST(Serialize, EmptyBodyStillHasContentLengthZero) {
  auto p = parse(serialize(Response::text("", "text/plain", 200)));
  EXPECT_TRUE(p.has("Content-Length: 0"));
  EXPECT_EQ(p.body, "");
}

TEST(Serialize, ConnectionCloseOnlyWhenNotKeepAlive) {
  auto kept = parse(serialize(Response::text("x"), false, true));
  EXPECT_FALSE(kept.has_name("Connection"));
  auto closed = parse(serialize(Response::text("x"), false, false));
  EXPECT_TRUE(closed.has("Connection: close"));
  EXPECT_EQ(closed.body, "x");
}

TEST(Serialize, HeadKeepsTheLengthButDropsTheBody) {
  auto wire = serialize(Response::text("twelve bytes"), true);
  auto p = parse(wire);
  EXPECT_TRUE(p.has("Content-Length: 12"));
  EXPECT_EQ(p.body, "");
  EXPECT_TRUE(wire.ends_with("\r\n\r\n"));
}

TEST(Serialize, NoContentHasNoLengthNoTypeAndNoBody) {
  Response r = Response::no_content();
  r.body = "should never be sent";
  auto p = parse(serialize(r));
  EXPECT_EQ(p.status_line, "HTTP/1.1 204 No Content");
  EXPECT_FALSE(p.has_name("Content-Length"));
  EXPECT_FALSE(p.has_name("Content-Type"));
  EXPECT_EQ(p.body, "");
}

TEST(Serialize, NotModifiedAndInformationalHaveNoLength) {
  EXPECT_FALSE(parse(serialize(Response{304, {}, {}, {}})).has_name("Content-Length"));
  EXPECT_FALSE(parse(serialize(Response{101, {}, {}, {}})).has_name("Content-Length"));
}

TEST(Serialize, HeadersAreWrittenInOrder) {
  Response r = Response::text("x");
  r.set_header("X-One", "1");
  r.set_header("X-Two", "2");
  auto wire = serialize(r);
  auto one = wire.find("X-One: 1\r\n");
  auto two = wire.find("X-Two: 2\r\n");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  EXPECT_LT(one, two);
}

TEST(Serialize, CrLfInHeaderValuesCannotSplitTheResponse) {
  Response r = Response::text("body");
  r.set_header("Location", "/next\r\nSet-Cookie: evil=1\r\n\r\n<html>");
  r.set_header("X-Evil\r\nInjected", "v");
  r.content_type = "text/plain\nX-Type-Injected: 1";
  r.headers.emplace_back("X-Nul", std::string("a\0b", 3));
  auto wire = serialize(r);
  auto p = parse(wire);
  // Exactly one blank line, and it is the one before the real body.
  EXPECT_EQ(p.body, "body");
  for (const auto& h : p.headers) {
    EXPECT_FALSE(h.starts_with("Set-Cookie")) << h;
    EXPECT_FALSE(h.starts_with("Injected")) << h;
    EXPECT_FALSE(h.starts_with("X-Type-Injected")) << h;
    EXPECT_EQ(h.find('\n'), std::string::npos);
    EXPECT_EQ(h.find('\r'), std::string::npos);
    EXPECT_EQ(h.find('\0'), std::string::npos);
  }
  EXPECT_TRUE(p.has("Location: /next  Set-Cookie: evil=1    <html>"));
  EXPECT_TRUE(p.has("X-Nul: a b"));
}

}  // namespace
}  // namespace parley::http
