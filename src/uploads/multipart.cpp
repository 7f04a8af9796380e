#include "uploads/multipart.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace parley::uploads {
namespace {

AppError malformed(std::string detail) { return AppError::bad_request(std::move(detail), "malformed_multipart"); }

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bchars.
bool is_bchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

struct Parameter {
  std::string name;  // lower-cased
  std::string value;
};

// Parses `*( OWS ";" OWS name "=" value )` after a media type or disposition type. A value is a
// quoted-string (a backslash escapes only `"` and `\`, so Windows paths sent unescaped survive) or,
// leniently, everything up to the next ';' with surrounding whitespace trimmed.
std::vector<Parameter> parse_parameters(std::string_view rest, std::string_view what) {
  std::vector<Parameter> params;
  while (true) {
    rest = trim(rest);
    if (rest.empty()) return params;
    if (rest.front() != ';') throw malformed("Malformed " + std::string(what) + " parameters.");
    rest = trim(rest.substr(1));
    if (rest.empty()) return params;  // a trailing ';'
    std::size_t name_end = 0;
    while (name_end < rest.size() && is_tchar(rest[name_end])) ++name_end;
    if (name_end == 0) throw malformed("Malformed " + std::string(what) + " parameter name.");
    Parameter p;
    for (char c : rest.substr(0, name_end)) p.name += ascii_lower(c);
    rest = trim(rest.substr(name_end));
    if (rest.empty() || rest.front() != '=')
      throw malformed("The " + std::string(what) + " parameter '" + p.name + "' has no value.");
    rest = trim(rest.substr(1));
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i + 1 < rest.size() && (rest[i + 1] == '"' || rest[i + 1] == '\\')) c = rest[++i];
        p.value += c;
      }
      if (!closed) throw malformed("Unterminated quoted " + std::string(what) + " parameter '" + p.name + "'.");
      rest.remove_prefix(i + 1);
    } else {
      auto semi = rest.find(';');
      p.value = std::string(trim(rest.substr(0, semi)));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi);
    }
    for (const auto& seen : params) {
      if (seen.name == p.name) throw malformed("The " + std::string(what) + " parameter '" + p.name + "' repeats.");
    }
    params.push_back(std::move(p));
  }
}

const std::string* find_parameter(const std::vector<Parameter>& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.name == name) return &p.value;
  }
  return nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// An RFC 5987 ext-value (charset'language'percent-encoded) as UTF-8. ISO-8859-1 bytes are
// converted; the UTF-8 bytes are returned as sent (the caller sanitizes them).
std::string decode_ext_value(std::string_view value) {
  auto first = value.find('\'');
  auto second = first == std::string_view::npos ? first : value.find('\'', first + 1);
  if (second == std::string_view::npos) throw malformed("filename* must be charset'language'value (RFC 5987).");
  auto charset = value.substr(0, first);
  bool latin1 = iequals(charset, "iso-8859-1");
  if (!latin1 && !iequals(charset, "utf-8")) throw malformed("filename* must use the UTF-8 or ISO-8859-1 charset.");
  std::string out;
  auto encoded = value.substr(second + 1);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    unsigned char byte = static_cast<unsigned char>(encoded[i]);
    if (byte == '%') {
      if (i + 2 >= encoded.size()) throw malformed("filename* has a malformed percent escape.");
      int hi = hex_value(encoded[i + 1]);
      int lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) throw malformed("filename* has a malformed percent escape.");
      byte = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    if (latin1 && byte >= 0x80) {
      out += static_cast<char>(0xC0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3F));
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  auto semi = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semi)), "multipart/form-data"))
    throw malformed("The body must be multipart/form-data.");
  if (semi == std::string_view::npos) throw malformed("The multipart/form-data Content-Type has no boundary.");
  auto params = parse_parameters(content_type.substr(semi), "Content-Type");
  const std::string* boundary = find_parameter(params, "boundary");
  if (boundary == nullptr) throw malformed("The multipart/form-data Content-Type has no boundary.");
  if (boundary->empty() || boundary->size() > 70 || boundary->back() == ' ' ||
      !std::all_of(boundary->begin(), boundary->end(), is_bchar))
    throw malformed("The multipart boundary must be 1 to 70 characters of RFC 2046's bchars.");
  return *boundary;
}

MultipartParser::MultipartParser(std::string_view boundary, MultipartLimits limits)
    : delimiter_("\r\n--" + std::string(boundary)), limits_(limits) {
  if (boundary.empty() || boundary.size() > 70 || !std::all_of(boundary.begin(), boundary.end(), is_bchar))
    throw malformed("The multipart boundary must be 1 to 70 characters of RFC 2046's bchars.");
  // The first delimiter may open the body without a CRLF before it: parse as if one were there.
  carry_ = "\r\n";
}

bool MultipartParser::scan_to_delimiter(std::string_view& input, MultipartHandler* handler) {
  // A delimiter can start only at a CR: its only CR is its first byte (bchars exclude CR). So a
  // carried prefix either completes into a delimiter or is all content.
  if (!carry_.empty()) {
    std::size_t need = delimiter_.size() - carry_.size();
    std::size_t take = std::min(need, input.size());
    if (input.substr(0, take) == std::string_view(delimiter_).substr(carry_.size(), take)) {
      if (take == need) {
        carry_.clear();
        input.remove_prefix(take);
        return true;
      }
      carry_.append(input.substr(0, take));
      input.remove_prefix(take);
      return false;
    }
    if (handler != nullptr) handler->on_part_data(carry_);
    carry_.clear();
  }
  auto at = input.find(delimiter_);
  if (at != std::string_view::npos) {
    if (handler != nullptr && at > 0) handler->on_part_data(input.substr(0, at));
    input.remove_prefix(at + delimiter_.size());
    return true;
  }
  // Keep a tail that may be the start of a delimiter; it can only begin at the last CR.
  std::size_t keep = 0;
  auto cr = input.rfind('\r');
  if (cr != std::string_view::npos && input.size() - cr < delimiter_.size() &&
      std::string_view(delimiter_).starts_with(input.substr(cr))) {
    keep = input.size() - cr;
  }
  if (handler != nullptr && input.size() > keep) handler->on_part_data(input.substr(0, input.size() - keep));
  carry_.assign(input.substr(input.size() - keep));
  input = {};
  return false;
}

bool MultipartParser::read_headers(std::string_view& input, MultipartHandler& handler) {
  // header_block_ starts with the CRLF that ended the delimiter line, so an empty header block
  // ("\r\n" right away) and a full one both end at the first "\r\n\r\n".
  std::size_t limit = limits_.max_header_bytes + 4;
  std::size_t before = header_block_.size();
  std::size_t room = limit > before ? limit - before : 0;
  header_block_.append(input.substr(0, room));
  auto end = header_block_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (header_block_.size() >= limit) throw malformed("A part's headers are larger than this server accepts.");
    input.remove_prefix(std::min(room, input.size()));
    return false;
  }
  input.remove_prefix(end + 4 - before);
  std::string block = header_block_.substr(2, end >= 2 ? end - 2 : 0);
  header_block_.clear();
  if (++parts_ > limits_.max_parts)
    throw malformed("The form has more than " + std::to_string(limits_.max_parts) + " parts.");
  PartInfo part = parse_part_headers(block);
  handler.on_part_begin(part);
  return true;
}

PartInfo MultipartParser::parse_part_headers(std::string_view block) const {
  PartInfo part;
  bool has_disposition = false;
  while (!block.empty()) {
    auto eol = block.find("\r\n");
    auto line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') throw malformed("Folded part headers are not accepted.");
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) throw malformed("A part header line has no name.");
    auto name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_tchar)) throw malformed("A part header name is malformed.");
    auto value = trim(line.substr(colon + 1));
    if (value.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos)
      throw malformed("A part header value holds a control character.");
    if (iequals(name, "Content-Disposition")) {
      if (has_disposition) throw malformed("A part has two Content-Disposition headers.");
      has_disposition = true;
      auto semi = value.find(';');
      if (!iequals(trim(value.substr(0, semi)), "form-data"))
        throw malformed("A part's Content-Disposition must be form-data.");
      auto params = parse_parameters(semi == std::string_view::npos ? std::string_view{} : value.substr(semi),
                                     "Content-Disposition");
      const std::string* field = find_parameter(params, "name");
      if (field == nullptr) throw malformed("A part's Content-Disposition has no name.");
      part.name = *field;
      if (const std::string* extended = find_parameter(params, "filename*")) {
        part.filename = decode_ext_value(*extended);
      } else if (const std::string* plain = find_parameter(params, "filename")) {
        part.filename = *plain;
      }
    } else if (iequals(name, "Content-Type")) {
      part.content_type = std::string(value);
    } else if (iequals(name, "Content-Transfer-Encoding")) {
      if (!iequals(value, "binary") && !iequals(value, "8bit") && !iequals(value, "7bit"))
        throw malformed("Content-Transfer-Encoding " + std::string(value) + " is not accepted.");
    }
  }
  if (!has_disposition) throw malformed("A part has no Content-Disposition.");
  return part;
}

void MultipartParser::feed(std::string_view data, MultipartHandler& handler) {
  while (!data.empty()) {
    switch (state_) {
      case State::preamble:
        if (!scan_to_delimiter(data, nullptr)) return;
        state_ = State::after_delimiter;
        break;
      case State::data:
        if (!scan_to_delimiter(data, &handler)) return;
        handler.on_part_end();
        state_ = State::after_delimiter;
        break;
      case State::after_delimiter: {
        char c = data.front();
        data.remove_prefix(1);
        if (c == '-') {
          state_ = State::close_dash;
        } else if (c == '\r') {
          state_ = State::expect_lf;
        } else if (c == ' ' || c == '\t') {
          padding_ = 1;
          state_ = State::padding;
        } else {
          throw malformed("A multipart boundary is followed by unexpected bytes.");
        }
        break;
      }
      case State::close_dash:
        if (data.front() != '-') throw malformed("A multipart boundary is followed by unexpected bytes.");
        data.remove_prefix(1);
        state_ = State::epilogue;
        break;
      case State::padding: {
        char c = data.front();
        data.remove_prefix(1);
        if (c == '\r') {
          state_ = State::expect_lf;
        } else if ((c != ' ' && c != '\t') || ++padding_ > 256) {
          throw malformed("A multipart boundary is followed by unexpected bytes.");
        }
        break;
      }
      case State::expect_lf:
        if (data.front() != '\n') throw malformed("A multipart boundary line does not end in CRLF.");
        data.remove_prefix(1);
        header_block_ = "\r\n";
        state_ = State::headers;
        break;
      case State::headers:
        if (!read_headers(data, handler)) return;
        state_ = State::data;
        break;
      case State::epilogue:
        return;  // ignored, as RFC 2046 says
    }
  }
}

void MultipartParser::finish() const {
  if (state_ != State::epilogue) throw malformed("The multipart body ended before its closing boundary.");
}

}  // namespace parley::uploads
