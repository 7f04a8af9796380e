#include "uploads/filename.hpp"

#include <gtest/gtest.h>

namespace parley::uploads {
namespace {

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(SanitizeFilename, KeepsOrdinaryNames) {
  EXPECT_EQ(sanitize_filename("photo.png"), "photo.png");
  EXPECT_EQ(sanitize_filename("Résumé 2026 (final).pdf"), "Résumé 2026 (final).pdf");
  EXPECT_EQ(sanitize_filename("日本語.txt"), "日本語.txt");
  EXPECT_EQ(sanitize_filename("<script>.txt"), "<script>.txt") << "metadata only: encoded wherever it goes";
  EXPECT_EQ(sanitize_filename("a\"b;c%20.txt"), "a\"b;c%20.txt");
}

TEST(SanitizeFilename, DropsPathsOfEitherKind) {
  EXPECT_EQ(sanitize_filename("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_filename("..\\..\\x"), "x");
  EXPECT_EQ(sanitize_filename("C:\\Users\\me\\Desktop\\report.docx"), "report.docx");
  EXPECT_EQ(sanitize_filename("/absolute/path/"), "file");
  EXPECT_EQ(sanitize_filename("dir/.."), "file");
  EXPECT_EQ(sanitize_filename(".."), "file");
  EXPECT_EQ(sanitize_filename("."), "file");
}

TEST(SanitizeFilename, RemovesControlAndBidiCharacters) {
  EXPECT_EQ(sanitize_filename("a\r\nb"), "ab");
  EXPECT_EQ(sanitize_filename(std::string("nul\0byte.txt", 12)), "nulbyte.txt");
  EXPECT_EQ(sanitize_filename("tab\there\x7f.txt"), "tabhere.txt");
  EXPECT_EQ(sanitize_filename("c1\xC2\x85.txt"), "c1.txt");
  EXPECT_EQ(sanitize_filename("evil\xE2\x80\xAEtxt.exe"), "eviltxt.exe") << "U+202E right-to-left override";
  EXPECT_EQ(sanitize_filename("\xEF\xBB\xBFname"), "name");
}

TEST(SanitizeFilename, TrimsLeadingDotsAndSpaces) {
  EXPECT_EQ(sanitize_filename(".bashrc"), "bashrc");
  EXPECT_EQ(sanitize_filename(" . .hidden. "), "hidden.");
  EXPECT_EQ(sanitize_filename("   "), "file");
  EXPECT_EQ(sanitize_filename(""), "file");
  EXPECT_EQ(sanitize_filename("\r\n\t"), "file");
}

TEST(SanitizeFilename, ReplacesInvalidUtf8) {
  EXPECT_EQ(sanitize_filename("bad\xFF.txt"), "bad\xEF\xBF\xBD.txt");
  EXPECT_EQ(sanitize_filename("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong '/' is not a separator";
  EXPECT_EQ(sanitize_filename("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "surrogate";
  EXPECT_EQ(sanitize_filename("cut\xE6\x97"), "cut\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(valid_utf8(sanitize_filename("\xF5\x80\x80\x80 \xF4\x90\x80\x80")));
}

TEST(SanitizeFilename, LimitsTo255BytesOnACharacterBoundaryKeepingTheExtension) {
  std::string long_name(1000, 'a');
  EXPECT_EQ(sanitize_filename(long_name), std::string(255, 'a'));
  auto with_extension = sanitize_filename(std::string(1000, 'b') + ".tar.gz");
  EXPECT_EQ(with_extension.size(), 255u);
  EXPECT_TRUE(with_extension.ends_with("b.gz")) << with_extension;
  // Three-byte characters: 255 is a multiple of 3, 254 is not.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "語";
  auto cut = sanitize_filename(wide);
  EXPECT_EQ(cut.size(), 255u);
  EXPECT_TRUE(valid_utf8(cut));
  auto uneven = sanitize_filename("x" + wide);
  EXPECT_EQ(uneven.size(), 253u);
  EXPECT_TRUE(valid_utf8(uneven));
  // An "extension" too long to keep is just cut.
  auto no_ext = sanitize_filename(std::string(300, 'c') + "." + std::string(100, 'd'));
  EXPECT_EQ(no_ext, std::string(255, 'c'));
}

TEST(ContentDisposition, HasAsciiFallbackAndEncodedName) {
  EXPECT_EQ(content_disposition("attachment", "report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  EXPECT_EQ(content_disposition("inline", "a b.png"), "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png");
  EXPECT_EQ(content_disposition("attachment", "Résumé \"q\" \\.txt"),
            "attachment; filename=\"R_sum_ _q_ _.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22q%22%20%5C.txt");
  EXPECT_EQ(content_disposition("attachment", "日本"),
            "attachment; filename=\"__\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC");
  EXPECT_EQ(content_disposition("attachment", "a\r\nb;c"),
            "attachment; filename=\"ab;c\"; filename*=UTF-8''a%0D%0Ab%3Bc");
  EXPECT_EQ(content_disposition("attachment", "\r\n"), "attachment; filename=\"file\"; filename*=UTF-8''%0D%0A");
}

TEST(EncodePathSegment, KeepsUnreservedOnly) {
  EXPECT_EQ(encode_path_segment("photo-1_a.b~c"), "photo-1_a.b~c");
  EXPECT_EQ(encode_path_segment("a b/c?d#e%f"), "a%20b%2Fc%3Fd%23e%25f");
  EXPECT_EQ(encode_path_segment("é"), "%C3%A9");
  EXPECT_EQ(encode_path_segment("<script>"), "%3Cscript%3E");
}

}  // namespace
}  // namespace parley::uploads
