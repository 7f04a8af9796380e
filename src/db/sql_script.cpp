#include "db/sql_script.hpp"

#include <cctype>
#include <string>

namespace parley::db {
namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// True when the statement holds something other than whitespace and comments.
bool has_code(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      std::size_t nl = s.find('\n', i);
      i = nl == std::string_view::npos ? s.size() : nl + 1;
    } else if (s.substr(i, 2) == "/*") {
      std::size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string_view> split_sql_script(std::string_view script) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  std::size_t i = 0;
  int block_depth = 0;      // BEGIN/CASE ... END nesting inside a CREATE TRIGGER statement
  bool in_trigger = false;  // the current statement is a CREATE [TEMP] TRIGGER
  std::vector<std::string> words;  // the first words of the current statement
  auto flush = [&](std::size_t end) {
    std::string_view stmt = script.substr(start, end - start);
    if (has_code(stmt)) out.push_back(trim(stmt));
    start = end + 1;
    block_depth = 0;
    in_trigger = false;
    words.clear();
  };
  while (i < script.size()) {
    char c = script[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < script.size()) {
        if (script[j] == c) {
          if (j + 1 < script.size() && script[j + 1] == c) {
            j += 2;  // doubled quote is an escaped quote
            continue;
          }
          break;
        }
        ++j;
      }
      i = j + 1;
    } else if (script.substr(i, 2) == "--") {
      std::size_t nl = script.find('\n', i);
      i = nl == std::string_view::npos ? script.size() : nl + 1;
    } else if (script.substr(i, 2) == "/*") {
      std::size_t end = script.find("*/", i + 2);
      i = end == std::string_view::npos ? script.size() : end + 2;
    } else if (c == '$' && (i == 0 || !is_word_char(script[i - 1]))) {
      std::size_t j = i + 1;
      while (j < script.size() && is_word_char(script[j]) && !std::isdigit(static_cast<unsigned char>(script[i + 1])))
        ++j;
      if (j < script.size() && script[j] == '$') {
        std::string_view tag = script.substr(i, j - i + 1);
        std::size_t end = script.find(tag, j + 1);
        i = end == std::string_view::npos ? script.size() : end + tag.size();
      } else {
        i = j;  // a $1 parameter or a lone '$'
      }
    } else if (is_word_char(c)) {
      std::size_t j = i;
      while (j < script.size() && is_word_char(script[j])) ++j;
      std::string word = upper(script.substr(i, j - i));
      if (words.size() < 3) {
        words.push_back(word);
        in_trigger = words.size() >= 2 && words[0] == "CREATE" &&
                     (words[1] == "TRIGGER" || (words.size() == 3 && (words[1] == "TEMP" || words[1] == "TEMPORARY") &&
                                                 words[2] == "TRIGGER"));
      }
      if (in_trigger) {
        if (word == "BEGIN" || word == "CASE") ++block_depth;
        if (word == "END" && block_depth > 0) --block_depth;
      }
      i = j;
    } else if (c == ';') {
      if (block_depth == 0) flush(i);
      ++i;
    } else {
      ++i;
    }
  }
  if (start < script.size()) flush(script.size());
  return out;
}

}  // namespace parley::db
