#include "uploads/mime_sniffer.hpp"

#include <magic.h>

#include <algorithm>
#include <stdexcept>

namespace parley::uploads {
namespace {

constexpr std::string_view kFallback = "application/octet-stream";

bool is_type_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
}

// A lower-case "type/subtype" of token characters; anything else is not trusted as a type.
bool is_plain_type(std::string_view type) {
  auto slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == type.size() || type.size() > 127) return false;
  auto major = type.substr(0, slash);
  auto minor = type.substr(slash + 1);
  return std::all_of(major.begin(), major.end(), is_type_char) && std::all_of(minor.begin(), minor.end(), is_type_char);
}

}  // namespace

MimeSniffer::MimeSniffer() {
  // MIME type only; no decompression (MAGIC_COMPRESS is off by default, and stays off).
  cookie_ = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
  if (cookie_ == nullptr) throw std::runtime_error("libmagic: cannot open a handle (out of memory?)");
  if (magic_load(cookie_, nullptr) != 0) {
    std::string why = magic_error(cookie_) ? magic_error(cookie_) : "unknown error";
    magic_close(cookie_);
    throw std::runtime_error("libmagic: cannot load its database (install libmagic-mgc): " + why);
  }
  std::size_t bytes_max = kSniffBytes;
  magic_setparam(cookie_, MAGIC_PARAM_BYTES_MAX, &bytes_max);
}

MimeSniffer::~MimeSniffer() { magic_close(cookie_); }

std::string MimeSniffer::sniff(std::string_view head) const {
  if (head.empty()) return std::string(kFallback);
  head = head.substr(0, kSniffBytes);
  std::string type;
  {
    std::lock_guard lock(mutex_);
    const char* found = magic_buffer(cookie_, head.data(), head.size());
    if (found != nullptr) type = found;
  }
  std::transform(type.begin(), type.end(), type.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  if (!is_plain_type(type) || type == "application/x-empty" || type == "inode/x-empty") return std::string(kFallback);
  return type;
}

bool is_inline_image(std::string_view content_type) {
  return content_type == "image/png" || content_type == "image/jpeg" || content_type == "image/gif" ||
         content_type == "image/webp";
}

}  // namespace parley::uploads
