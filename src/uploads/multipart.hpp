#pragma once
// A streaming multipart/form-data parser (RFC 7578 over RFC 2046's multipart syntax).
//
// Incremental: feed() takes the body in pieces of any size (a delimiter may be split across
// pieces at any byte) and hands each part's content to a MultipartHandler as it arrives, so a file
// part is never held whole. Bounded memory: between feeds it keeps at most one delimiter's worth
// of bytes (a possible delimiter prefix) plus a part's header block while that is incomplete
// (MultipartLimits::max_header_bytes); parts are counted (max_parts).
//
// Accepted syntax: an optional preamble (ignored), parts separated by "--boundary" lines (transport
// padding of spaces/tabs allowed before the CRLF), the closing "--boundary--" and an epilogue
// (ignored). Each part's header block must carry `Content-Disposition: form-data; name="..."`;
// `filename` (quoted-string or token) and `filename*` (RFC 5987: UTF-8 or ISO-8859-1, percent-
// encoded; it wins over `filename`, as RFC 6266 says) make the part a file; the part's
// Content-Type is reported but proves nothing. Refused with AppError 400 (`malformed_multipart`):
// headers that do not parse or exceed the limit, obsolete line folding, a missing or non-form-data
// Content-Disposition, a repeated parameter, an encoding other than 7bit/8bit/binary, too many
// parts, a delimiter followed by anything but "--", padding and CRLF, and a body that ends before
// the closing delimiter (finish()). Not thread-safe; one per request.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::uploads {

// What a part's header block says.
struct PartInfo {
  std::string name;                     // the form field name
  std::optional<std::string> filename;  // set for file parts; as the client sent it (not sanitized)
  std::string content_type;             // the part's declared Content-Type, or empty
};

// Receives the parts as the parser finds them. May throw (e.g. AppError to refuse a part); the
// exception propagates out of feed() and the parser must not be used any more.
class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  virtual void on_part_begin(const PartInfo& part) = 0;
  // The next bytes of the current part's content; the view is valid during the call only.
  virtual void on_part_data(std::string_view bytes) = 0;
  virtual void on_part_end() = 0;
};

struct MultipartLimits {
  std::size_t max_header_bytes = 8 * 1024;  // one part's header block
  std::size_t max_parts = 8;
};

class MultipartParser {
 public:
  // `boundary` as returned by multipart_boundary(). Throws AppError 400 for an invalid one.
  explicit MultipartParser(std::string_view boundary, MultipartLimits limits = {});
  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;

  // Parses the next piece of the body, calling `handler` for what it completes. Throws AppError 400
  // for malformed input (and whatever the handler throws).
  void feed(std::string_view data, MultipartHandler& handler);
  // The body is over: throws AppError 400 unless the closing delimiter was seen.
  void finish() const;
  // Whether the closing delimiter was seen (the rest is epilogue).
  bool done() const noexcept { return state_ == State::epilogue; }
  // Bytes held between feeds (a possible delimiter prefix and an incomplete header block).
  std::size_t buffered_bytes() const noexcept { return carry_.size() + header_block_.size(); }

 private:
  enum class State { preamble, after_delimiter, close_dash, padding, expect_lf, headers, data, epilogue };

  // Consumes `input` up to and including the next delimiter, passing the bytes before it to
  // `handler` (null: discard). True when a delimiter was consumed; false when `input` ran out
  // (a possible delimiter prefix at its end is kept in carry_).
  bool scan_to_delimiter(std::string_view& input, MultipartHandler* handler);
  // Collects the header block; true once it is complete and the part began.
  bool read_headers(std::string_view& input, MultipartHandler& handler);
  PartInfo parse_part_headers(std::string_view block) const;

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartLimits limits_;
  State state_ = State::preamble;
  std::string carry_;         // a proper prefix of delimiter_ seen at the end of the last piece
  std::string header_block_;  // "\r\n" + the header lines so far
  std::size_t padding_ = 0;
  std::size_t parts_ = 0;
};

// The boundary parameter of a multipart/form-data Content-Type (token or quoted-string, 1 to 70
// characters from RFC 2046's bchars, not ending in a space). Throws AppError 400
// (`malformed_multipart`) when it is missing or invalid, or the type is not multipart/form-data.
std::string multipart_boundary(std::string_view content_type);

}  // namespace parley::uploads
