#pragma once
// The type of an upload, from its first bytes, by libmagic (the `file` command's database). Never
// from the client's Content-Type or file name.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

struct magic_set;

namespace parley::uploads {

class MimeSniffer {
 public:
  // How many leading bytes sniff() looks at at most.
  static constexpr std::size_t kSniffBytes = 64 * 1024;

  // Opens libmagic and loads its default database once. Throws std::runtime_error naming the
  // problem when the database cannot be loaded (the server refuses to start).
  MimeSniffer();
  ~MimeSniffer();
  MimeSniffer(const MimeSniffer&) = delete;
  MimeSniffer& operator=(const MimeSniffer&) = delete;

  // The MIME type ("image/png", "text/html", ...) of content that starts with `head` (only the
  // first kSniffBytes count). "application/octet-stream" when libmagic has no better answer, for
  // empty content, and for anything that is not a plain type/subtype. Thread-safe: libmagic's
  // handle is not, so calls take turns on one handle. Blocking (microseconds to a few milliseconds):
  // call it on a blocking pool, not on an I/O thread.
  std::string sniff(std::string_view head) const;

 private:
  magic_set* cookie_ = nullptr;
  mutable std::mutex mutex_;
};

// Whether browsers may show `content_type` inline: PNG, JPEG, GIF and WebP only (never SVG, which
// runs scripts, nor HTML, PDF or text).
bool is_inline_image(std::string_view content_type);

}  // namespace parley::uploads
