#include "uploads/multipart.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <random>

namespace parley::uploads {
namespace {

struct Part {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;
  std::string data;
  bool ended = false;
  bool operator==(const Part&) const = default;
};

// Records every event; checks they come in a sane order.
class Recorder final : public MultipartHandler {
 public:
  void on_part_begin(const PartInfo& info) override {
    EXPECT_TRUE(parts.empty() || parts.back().ended) << "a part began before the last one ended";
    parts.push_back(Part{info.name, info.filename, info.content_type, {}, false});
  }
  void on_part_data(std::string_view bytes) override {
    ASSERT_FALSE(parts.empty());
    ASSERT_FALSE(parts.back().ended);
    EXPECT_FALSE(bytes.empty()) << "no empty data events";
    parts.back().data.append(bytes);
  }
  void on_part_end() override {
    ASSERT_FALSE(parts.empty());
    parts.back().ended = true;
  }
  std::vector<Part> parts;
};

constexpr std::string_view kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

// A form with a text field, a file with CRLFs and dashes in it, and a part with no headers but
// its disposition.
std::string sample_body() {
  std::string b = "--" + std::string(kBoundary) + "\r\n";
  b += "Content-Disposition: form-data; name=\"title\"\r\n\r\n";
  b += "Holiday\r\n";
  b += "--" + std::string(kBoundary) + "\r\n";
  b += "Content-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\n";
  b += "Content-Type: image/png\r\n\r\n";
  b += "line one\r\n--not the boundary\r\n\r\n--" + std::string(kBoundary.substr(0, 10)) + "\r\r\nend\r\n";
  b += "--" + std::string(kBoundary) + "\r\n";
  b += "content-disposition: FORM-DATA; name=empty\r\n\r\n";
  b += "\r\n--" + std::string(kBoundary) + "--\r\n";
  return b;
}

std::vector<Part> expected_sample() {
  return {Part{"title", std::nullopt, "", "Holiday", true},
          Part{"file", std::string("photo.png"), "image/png",
               "line one\r\n--not the boundary\r\n\r\n--" + std::string(kBoundary.substr(0, 10)) + "\r\r\nend", true},
          Part{"empty", std::nullopt, "", "", true}};
}

std::vector<Part> parse_in_pieces(std::string_view body, const std::vector<std::size_t>& cuts,
                                  std::string_view boundary = kBoundary) {
  MultipartParser parser(boundary);
  Recorder recorder;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    parser.feed(body.substr(from, cut - from), recorder);
    from = cut;
  }
  parser.feed(body.substr(from), recorder);
  parser.finish();
  EXPECT_TRUE(parser.done());
  return recorder.parts;
}

std::vector<Part> parse(std::string_view body, std::string_view boundary = kBoundary) {
  return parse_in_pieces(body, {}, boundary);
}

// The AppError a body causes (fed whole, then finished).
AppError refusal(std::string_view body, MultipartLimits limits = {}) {
  try {
    MultipartParser parser(kBoundary, limits);
    Recorder recorder;
    parser.feed(body, recorder);
    parser.finish();
  } catch (const AppError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return AppError::internal("accepted");
}

std::string part(std::string_view headers, std::string_view data) {
  return "--" + std::string(kBoundary) + "\r\n" + std::string(headers) + "\r\n\r\n" + std::string(data) + "\r\n";
}
std::string closing() { return "--" + std::string(kBoundary) + "--\r\n"; }

TEST(MultipartParser, ParsesFieldsFilesAndEmptyParts) { EXPECT_EQ(parse(sample_body()), expected_sample()); }

TEST(MultipartParser, EverySplitPositionGivesTheSameParts) {
  const std::string body = sample_body();
  for (std::size_t i = 0; i <= body.size(); ++i) {
    ASSERT_EQ(parse_in_pieces(body, {i}), expected_sample()) << "split at " << i;
  }
}

TEST(MultipartParser, EveryPairOfSplitPositionsGivesTheSameParts) {
  const std::string body = sample_body();
  for (std::size_t i = 0; i <= body.size(); ++i) {
    for (std::size_t j = i; j <= body.size(); j += 3) {
      ASSERT_EQ(parse_in_pieces(body, {i, j}), expected_sample()) << "splits at " << i << " and " << j;
    }
  }
}

TEST(MultipartParser, ByteByByteAndRandomPieces) {
  const std::string body = sample_body();
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < body.size(); ++i) every.push_back(i);
  EXPECT_EQ(parse_in_pieces(body, every), expected_sample());
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0;;) {
      at += std::uniform_int_distribution<std::size_t>(1, 40)(rng);
      if (at >= body.size()) break;
      cuts.push_back(at);
    }
    ASSERT_EQ(parse_in_pieces(body, cuts), expected_sample()) << "round " << round;
  }
}

TEST(MultipartParser, CrlfEdgeCases) {
  // Content ending in CR, in CRLF, in "\r\n-", and a lone LF: the delimiter's CRLF is not content.
  for (std::string data : {"a\r", "a\r\n", "a\r\n-", "a\r\n--", "\n", "\r\n\r\n", "", "-", "--"}) {
    auto parts = parse(part("Content-Disposition: form-data; name=\"f\"", data) + closing());
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].data, data);
  }
  // Transport padding after a delimiter, an epilogue after the close, no CRLF after the close.
  std::string padded = "--" + std::string(kBoundary) +
                       " \t \r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--" + std::string(kBoundary) +
                       "--";
  EXPECT_EQ(parse(padded).at(0).data, "v");
  EXPECT_EQ(parse(part("Content-Disposition: form-data; name=\"x\"", "v") + closing() + "epilogue --" +
                  std::string(kBoundary) + "\r\nignored")
                .size(),
            1u);
}

TEST(MultipartParser, PreambleIsIgnored) {
  auto parts = parse("This is the preamble.\r\nIt is ignored.\r\n" +
                     part("Content-Disposition: form-data; name=\"x\"", "v") + closing());
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].data, "v");
}

TEST(MultipartParser, BoundaryTextInsideALineIsContent) {
  std::string data = "x--" + std::string(kBoundary) + "\r\n y --" + std::string(kBoundary) + "--";
  auto parts = parse(part("Content-Disposition: form-data; name=\"f\"; filename=\"a\"", data) + closing());
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].data, data);
}

TEST(MultipartParser, DelimiterFollowedByGarbageIsRefused) {
  // A line starting with the delimiter must be one: "--boundaryX" in the content is malformed.
  auto e =
      refusal(part("Content-Disposition: form-data; name=\"f\"", "a\r\n--" + std::string(kBoundary) + "X") + closing());
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.code(), "malformed_multipart");
  EXPECT_EQ(refusal("--" + std::string(kBoundary) + "-x").status(), 400);
  EXPECT_EQ(refusal("--" + std::string(kBoundary) + "\rx").status(), 400);
}

TEST(MultipartParser, MissingClosingDelimiterIsRefused) {
  EXPECT_EQ(refusal(part("Content-Disposition: form-data; name=\"f\"", "data")).status(), 400);
  EXPECT_EQ(
      refusal("--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nda").status(),
      400);
  EXPECT_EQ(refusal("").status(), 400);
  EXPECT_EQ(refusal("no multipart here at all").status(), 400);
  auto e = refusal(part("Content-Disposition: form-data; name=\"f\"", "data") + "--" + std::string(kBoundary) + "-");
  EXPECT_NE(std::string(e.public_message()).find("closing boundary"), std::string::npos) << e.public_message();
}

TEST(MultipartParser, FilenamesPlainQuotedAndExtended) {
  auto one = [](std::string disposition) {
    auto parts = parse(part("Content-Disposition: " + disposition, "x") + closing());
    EXPECT_EQ(parts.size(), 1u);
    return parts.empty() ? Part{} : parts[0];
  };
  EXPECT_EQ(one("form-data; name=\"file\"; filename=\"a b.txt\"").filename, "a b.txt");
  EXPECT_EQ(one("form-data; name=file; filename=plain.txt").filename, "plain.txt");
  EXPECT_EQ(one("form-data; name=\"file\"; filename=\"\"").filename, "") << "present but empty";
  EXPECT_EQ(one("form-data; name=\"field\"").filename, std::nullopt) << "no filename: a plain field";
  EXPECT_EQ(one("form-data; name=\"f\"; filename=\"say \\\"hi\\\".txt\"").filename, "say \"hi\".txt");
  EXPECT_EQ(one("form-data; name=\"f\"; filename=\"C:\\Users\\x\\f.txt\"").filename, "C:\\Users\\x\\f.txt")
      << "a backslash before anything but a quote or backslash stays";
  EXPECT_EQ(one("form-data; name=\"f\"; filename=\"a;b=c.txt\"").filename, "a;b=c.txt");
  EXPECT_EQ(one("form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt").filename,
            "na\xC3\xAFve r\xC3\xA9sum\xC3\xA9.txt");
  EXPECT_EQ(one("form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=utf-8'en'%E2%82%AC.txt").filename,
            "\xE2\x82\xAC.txt")
      << "filename* wins over filename";
  EXPECT_EQ(one("form-data; name=\"f\"; filename*=ISO-8859-1''caf%E9.txt").filename, "caf\xC3\xA9.txt");
  EXPECT_EQ(one("Form-Data ; NAME=\"f\" ; FileName=\"x.bin\" ;").filename, "x.bin");
}

TEST(MultipartParser, MalformedHeadersAreRefused) {
  auto refused = [](std::string headers) { return refusal(part(headers, "x") + closing()).status() == 400; };
  EXPECT_TRUE(refused("Content-Type: text/plain")) << "no Content-Disposition";
  EXPECT_TRUE(refused("Content-Disposition: attachment; name=\"f\""));
  EXPECT_TRUE(refused("Content-Disposition: form-data"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; filename=\"a\""));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"; name=\"g\""));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"; filename=\"unterminated"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"\r\nContent-Disposition: form-data; name=\"g\""));
  EXPECT_TRUE(refused("Content-Disposition: form-data;\r\n name=\"f\"")) << "obsolete folding";
  EXPECT_TRUE(refused("no colon here\r\nContent-Disposition: form-data; name=\"f\""));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"\r\nContent-Transfer-Encoding: base64"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''bad%zz"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''trunc%4"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"; filename*=KOI8-R''x"));
  EXPECT_TRUE(refused("Content-Disposition: form-data; name=\"f\"; filename*=noquotes"));
  EXPECT_EQ(refusal("--" + std::string(kBoundary) + "\r\n\r\nx\r\n" + closing()).status(), 400) << "no headers at all";
  // Content-Transfer-Encoding that changes nothing is fine.
  EXPECT_EQ(
      parse(part("Content-Disposition: form-data; name=\"f\"\r\nContent-Transfer-Encoding: binary", "x") + closing())
          .size(),
      1u);
}

TEST(MultipartParser, LimitsHeaderSizeAndPartCount) {
  std::string big = "Content-Disposition: form-data; name=\"f\"\r\nX-Padding: " + std::string(9000, 'a');
  auto e = refusal(part(big, "x") + closing());
  EXPECT_EQ(e.status(), 400);
  // Just under the limit is fine.
  std::string fits = "Content-Disposition: form-data; name=\"f\"\r\nX-Padding: " + std::string(8000, 'a');
  EXPECT_EQ(parse(part(fits, "x") + closing()).size(), 1u);

  std::string nine;
  for (int i = 0; i < 9; ++i) nine += part("Content-Disposition: form-data; name=\"f" + std::to_string(i) + "\"", "v");
  EXPECT_EQ(refusal(nine + closing()).status(), 400);
  MultipartParser roomier(kBoundary, MultipartLimits{.max_parts = 9});
  Recorder recorder;
  roomier.feed(nine + closing(), recorder);
  roomier.finish();
  EXPECT_EQ(recorder.parts.size(), 9u) << "accepted with a higher limit";
}

TEST(MultipartParser, MemoryStaysBoundedWhateverTheFileSize) {
  MultipartParser parser(kBoundary);
  Recorder sink;
  std::string head =
      "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big\"\r\n\r\n";
  parser.feed(head, sink);
  std::string piece(4096, 'z');
  piece[4095] = '\r';  // every piece ends in what could start a delimiter
  std::size_t most = 0;
  std::size_t total = 0;
  for (int i = 0; i < 256; ++i) {
    parser.feed(piece, sink);
    most = std::max(most, parser.buffered_bytes());
    total += piece.size();
    sink.parts.back().data.clear();  // the caller writes data away as it comes
  }
  parser.feed("\r\n--" + std::string(kBoundary) + "--", sink);
  parser.finish();
  EXPECT_LE(most, kBoundary.size() + 4) << "at most one delimiter's worth is held";
}

TEST(MultipartBoundary, ReadsQuotedAndUnquotedBoundaries) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;boundary=\"a b'()+_,-./:=?\""), "a b'()+_,-./:=?");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=x"), "x");
  EXPECT_EQ(multipart_boundary("multipart/form-data; BOUNDARY=" + std::string(70, 'b')), std::string(70, 'b'));
}

TEST(MultipartBoundary, RefusesMissingOrInvalidBoundaries) {
  for (const std::string& type : std::vector<std::string>{
           "multipart/form-data", "multipart/form-data;", "multipart/form-data; boundary=",
           "multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=" + std::string(71, 'b'),
           "multipart/form-data; boundary=\"ends with space \"", "multipart/form-data; boundary=a{b}",
           "multipart/form-data; boundary=\"a\rb\"", "multipart/mixed; boundary=abc", "application/json",
           "multipart/form-data; boundary=a; boundary=b"}) {
    try {
      multipart_boundary(type);
      ADD_FAILURE() << "accepted " << type;
    } catch (const AppError& e) {
      EXPECT_EQ(e.status(), 400) << type;
      EXPECT_EQ(e.code(), "malformed_multipart") << type;
    }
  }
}

TEST(MultipartParser, HandlerExceptionsPropagate) {
  class Refuser final : public MultipartHandler {
   public:
    void on_part_begin(const PartInfo&) override { throw AppError::payload_too_large("no"); }
    void on_part_data(std::string_view) override {}
    void on_part_end() override {}
  } refuser;
  MultipartParser parser(kBoundary);
  try {
    parser.feed(part("Content-Disposition: form-data; name=\"f\"", "x"), refuser);
    ADD_FAILURE() << "no exception";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 413);
  }
}

}  // namespace
}  // namespace parley::uploads
