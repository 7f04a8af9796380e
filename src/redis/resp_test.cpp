#include "redis/resp.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace parley::redis {
namespace {

// Every reply `bytes` holds, fed in one piece.
std::vector<Reply> parse_all(std::string_view bytes, ParserLimits limits = {}) {
  Parser parser(limits);
  parser.feed(bytes);
  std::vector<Reply> out;
  while (auto reply = parser.next()) out.push_back(std::move(*reply));
  EXPECT_EQ(parser.buffered(), 0u);
  return out;
}

// The internal detail of the protocol error that parsing `bytes` throws ("" when none).
std::string protocol_error(std::string_view bytes, ParserLimits limits = {}) {
  Parser parser(limits);
  parser.feed(bytes);
  try {
    while (parser.next()) {
    }
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "redis_protocol_error");
    return e.internal_detail();
  }
  return "";
}

// A stream holding every type, nested arrays, a binary bulk string and nulls.
const std::string kStream = std::string("+OK\r\n-ERR unknown command 'FOO'\r\n:0\r\n:-9223372036854775808\r\n") +
                            "$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n" + std::string("$5\r\na\r\n\0b\r\n", 11) +
                            "*3\r\n:1\r\n*2\r\n+x\r\n$-1\r\n*1\r\n*0\r\n" + "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhi!\r\n";

std::vector<Reply> expected_stream() {
  return {Reply::simple("OK"),
          Reply::error_reply("ERR unknown command 'FOO'"),
          Reply::number(0),
          Reply::number(INT64_MIN),
          Reply::bulk("hello"),
          Reply::bulk(""),
          Reply::nil(),
          Reply::nil(),
          Reply::array({}),
          Reply::bulk(std::string("a\r\n\0b", 5)),
          Reply::array({Reply::number(1), Reply::array({Reply::simple("x"), Reply::nil()}), Reply::array({Reply::array({})})}),
          Reply::array({Reply::bulk("message"), Reply::bulk("ch"), Reply::bulk("hi!")})};
}

TEST(RespParser, ParsesEveryType) {
  EXPECT_EQ(parse_all(kStream), expected_stream());
}

TEST(RespParser, NeedsMoreBytesUntilAReplyIsComplete) {
  Parser parser;
  parser.feed("$5\r\nhel");
  EXPECT_FALSE(parser.next());
  parser.feed("lo\r");
  EXPECT_FALSE(parser.next());
  parser.feed("\n+OK\r\n");
  EXPECT_EQ(parser.next(), Reply::bulk("hello"));
  EXPECT_EQ(parser.next(), Reply::simple("OK"));
  EXPECT_FALSE(parser.next());
}

// The same stream split at every possible point into two pieces, and fed one byte at a time:
// the replies are the same as from one piece.
TEST(RespParser, SplitAtEveryByte) {
  const auto expected = expected_stream();
  for (std::size_t split = 0; split <= kStream.size(); ++split) {
    Parser parser;
    std::vector<Reply> got;
    parser.feed(std::string_view(kStream).substr(0, split));
    while (auto reply = parser.next()) got.push_back(std::move(*reply));
    parser.feed(std::string_view(kStream).substr(split));
    while (auto reply = parser.next()) got.push_back(std::move(*reply));
    ASSERT_EQ(got, expected) << "split at " << split;
  }
  Parser parser;
  std::vector<Reply> got;
  for (char c : kStream) {
    parser.feed(std::string_view(&c, 1));
    while (auto reply = parser.next()) got.push_back(std::move(*reply));
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(RespParser, ReadsThroughPrepareAndCommit) {
  Parser parser;
  const std::string bytes = "*2\r\n$3\r\nfoo\r\n:7\r\n";
  auto space = parser.prepare(4);
  ASSERT_GE(space.size(), 4u);
  std::copy_n(bytes.data(), 4, space.data());
  parser.commit(4);
  EXPECT_FALSE(parser.next());
  space = parser.prepare(bytes.size());
  std::copy(bytes.begin() + 4, bytes.end(), space.data());
  parser.commit(bytes.size() - 4);
  EXPECT_EQ(parser.next(), Reply::array({Reply::bulk("foo"), Reply::number(7)}));
}

TEST(RespParser, LargeBulkStringAcrossManyReads) {
  const std::string payload(1 << 20, 'x');
  const std::string bytes = "$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  Parser parser;
  std::optional<Reply> reply;
  for (std::size_t at = 0; at < bytes.size(); at += 4096) {
    ASSERT_FALSE(reply);
    parser.feed(std::string_view(bytes).substr(at, 4096));
    reply = parser.next();
  }
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->text, payload);
}

TEST(RespParser, RejectsMalformedInput) {
  EXPECT_EQ(protocol_error("?what\r\n"), "redis protocol error: unexpected type byte '?'");
  EXPECT_EQ(protocol_error(std::string("\x01\r\n", 3)), "redis protocol error: unexpected type byte 0x01");
  EXPECT_EQ(protocol_error("\r\n"), "redis protocol error: a line without a type byte");
  EXPECT_EQ(protocol_error("+OK\rX\n"), "redis protocol error: a CR not followed by LF");
  EXPECT_EQ(protocol_error("+OK\n"), "redis protocol error: a line ends in LF without CR");
  EXPECT_EQ(protocol_error("+O\nK\r\n"), "redis protocol error: a line holds a bare LF");
  EXPECT_EQ(protocol_error(":12a\r\n"), "redis protocol error: an invalid integer '12a'");
  EXPECT_EQ(protocol_error(":\r\n"), "redis protocol error: an invalid integer ''");
  EXPECT_EQ(protocol_error(":+1\r\n"), "redis protocol error: an invalid integer '+1'");
  EXPECT_EQ(protocol_error(":-\r\n"), "redis protocol error: an invalid integer '-'");
  EXPECT_EQ(protocol_error(":9223372036854775808\r\n"), "redis protocol error: an invalid integer '9223372036854775808'");
  EXPECT_EQ(protocol_error("$-2\r\n"), "redis protocol error: an invalid bulk string length '-2'");
  EXPECT_EQ(protocol_error("$x\r\n"), "redis protocol error: an invalid bulk string length 'x'");
  EXPECT_EQ(protocol_error("$3\r\nabcd\r\n"), "redis protocol error: a bulk string not followed by CRLF");
  EXPECT_EQ(protocol_error("*-5\r\n"), "redis protocol error: an invalid array length '-5'");
  EXPECT_EQ(protocol_error("*1\r\n?\r\n"), "redis protocol error: unexpected type byte '?'");
  // RESP3 types are not spoken: Parley never sends HELLO 3.
  EXPECT_EQ(protocol_error("%1\r\n+a\r\n+b\r\n"), "redis protocol error: unexpected type byte '%'");
}

TEST(RespParser, EnforcesLimits) {
  ParserLimits limits;
  limits.max_bulk_bytes = 10;
  limits.max_array_elements = 3;
  limits.max_depth = 2;
  limits.max_line_bytes = 16;
  EXPECT_EQ(parse_all("$10\r\n0123456789\r\n", limits).size(), 1u);
  EXPECT_EQ(protocol_error("$11\r\n", limits), "redis protocol error: a bulk string of 11 bytes (limit 10)");
  EXPECT_EQ(protocol_error("*4\r\n", limits), "redis protocol error: an array of 4 elements (limit 3)");
  EXPECT_EQ(parse_all("*1\r\n*1\r\n:1\r\n", limits).size(), 1u);
  EXPECT_EQ(protocol_error("*1\r\n*1\r\n*1\r\n:1\r\n", limits), "redis protocol error: arrays nested deeper than 2");
  // A line that cannot end within the limit fails before its CRLF arrives.
  EXPECT_EQ(protocol_error("+" + std::string(30, 'a'), limits), "redis protocol error: a line longer than 16 bytes");
  EXPECT_EQ(parse_all("+" + std::string(16, 'a') + "\r\n", limits).size(), 1u);
}

TEST(RespParser, RefusesUseAfterAnError) {
  Parser parser;
  parser.feed("?\r\n");
  EXPECT_THROW(parser.next(), AppError);
  parser.feed("+OK\r\n");
  EXPECT_THROW(parser.next(), AppError);
}

TEST(RespEncoder, EncodesCommandsAsArraysOfBulkStrings) {
  const std::vector<std::string> args{"SET", "key", std::string("a\r\n\0", 4), ""};
  EXPECT_EQ(encode_command(args), std::string("*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\na\r\n\0\r\n$0\r\n\r\n", 38));
  // What the encoder writes, the parser reads back as the same strings.
  const auto parsed = parse_all(encode_command(args));
  ASSERT_EQ(parsed.size(), 1u);
  ASSERT_EQ(parsed[0].elements.size(), 4u);
  for (std::size_t i = 0; i < args.size(); ++i) EXPECT_EQ(parsed[0].elements[i].text, args[i]);
}

TEST(Reply, ErrorCodeAndThrowIfError) {
  const Reply noscript = Reply::error_reply("NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(noscript.error_code(), "NOSCRIPT");
  EXPECT_THROW(noscript.throw_if_error(), AppError);
  EXPECT_EQ(Reply::simple("OK").throw_if_error(), Reply::simple("OK"));
  EXPECT_EQ(Reply::array({Reply::number(1), Reply::nil()}).debug_string(), "[(integer) 1, nil]");
}

}  // namespace
}  // namespace parley::redis
