#pragma once
// Private to src/markdown: cmark-gfm set up once for the whole process, and the one place that
// parses.
#include <cmark-gfm.h>

#include <string_view>

namespace parley::markdown::detail {

// Node types the GFM extensions register at run time (resolved once, after registration).
struct ExtensionNodeTypes {
  cmark_node_type table = CMARK_NODE_NONE;
  cmark_node_type table_row = CMARK_NODE_NONE;
  cmark_node_type table_cell = CMARK_NODE_NONE;
  cmark_node_type strikethrough = CMARK_NODE_NONE;
};

// The extension node types; registers the GFM extensions on first use (std::call_once).
const ExtensionNodeTypes& extension_node_types();

// Parses `body` as CommonMark with the table, strikethrough and autolink extensions, invalid UTF-8
// replaced by U+FFFD, adjacent text nodes merged. The caller owns the returned document (free it
// with cmark_node_free). Thread-safe: cmark-gfm's parse is serialized by a process-wide mutex
// because its extensions toggle a global table of special characters while parsing.
cmark_node* parse_document(std::string_view body);

}  // namespace parley::markdown::detail
