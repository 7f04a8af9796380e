#pragma once
// Test-only helpers of the mail suites: private temporary folders and message parsing.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::mail::testing {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-mail-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A message split into unfolded headers (name -> value; the last one wins) and its raw body.
// Accepts LF or CRLF line endings (the body keeps whatever it had).
struct ParsedMessage {
  std::map<std::string, std::string> headers;
  std::string body;
};

inline ParsedMessage parse_message(std::string_view text) {
  ParsedMessage message;
  std::string last;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !last.empty()) {
      message.headers[last] += std::string(line);  // folded continuation
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("not a header line: " + std::string(line));
    last = std::string(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    message.headers[last] = std::string(value);
  }
  message.body = std::string(text);
  return message;
}

// Decodes quoted-printable text; line breaks come out as LF.
inline std::string decode_quoted_printable(std::string_view text) {
  auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] != '=') {
      out += text[i];
    } else if (i + 1 < text.size() && (text[i + 1] == '\r' || text[i + 1] == '\n')) {
      i += text[i + 1] == '\r' ? 2 : 1;  // soft line break
    } else if (i + 2 < text.size()) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    }
  }
  return out;
}

}  // namespace parley::mail::testing
