#pragma once
// Uploaded file names: what is kept of the client's name, and how it is sent back.
//
// The name is metadata only. Files are stored under a random key the server chooses
// (blob_store.hpp), so no name ever becomes a path on disk; these functions make the name safe to
// show, to put in a URL and in a Content-Disposition header. Pure and thread-safe.
#include <string>
#include <string_view>

namespace parley::uploads {

inline constexpr std::size_t kMaxFilenameBytes = 255;

// The name to keep for an upload the client called `raw`:
//  - invalid UTF-8 becomes U+FFFD;
//  - any path is dropped: only what follows the last '/' or '\' is kept;
//  - control characters (C0, DEL, C1, so NUL, CR and LF too), bidirectional-text controls (U+200E,
//    U+200F, U+202A..U+202E, U+2066..U+2069: "evil\u202Etxt.exe") and U+FEFF are removed;
//  - leading dots and spaces and trailing spaces are trimmed (no hidden files, no "..");
//  - at most 255 bytes, cut on a UTF-8 boundary, keeping a short extension (up to 32 bytes);
//  - an empty result becomes "file".
// Other characters (quotes, '<', ':', '%') are kept: the name is never interpreted, and the
// functions below encode it wherever it goes.
std::string sanitize_filename(std::string_view raw);

// A Content-Disposition value: `<type>; filename="<ASCII fallback>"; filename*=UTF-8''<encoded>`
// (RFC 6266). The fallback keeps printable ASCII other than '"' and '\', writes '_' for each
// other character and removes control characters ("file" when nothing is left); filename* carries
// the whole name percent-encoded (RFC 5987 attr-chars kept). `type` is "inline" or "attachment".
std::string content_disposition(std::string_view type, std::string_view filename);

// `text` as one URL path segment: RFC 3986 unreserved characters kept, every other byte %XX.
std::string encode_path_segment(std::string_view text);

}  // namespace parley::uploads
