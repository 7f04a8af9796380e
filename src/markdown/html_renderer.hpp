#pragma once
// Private to src/markdown: writes a parsed document as HTML by walking its nodes, emitting only
// markup it knows to be safe (see markdown.hpp for the rules). The renderer never uses cmark-gfm's
// own HTML renderer, so nothing a user typed reaches the output unescaped.
#include <cmark-gfm.h>

#include <string>

#include "markdown/markdown.hpp"

namespace parley::markdown::detail {

// Appends the HTML of the document rooted at `root` to `out`.
void render_document_html(cmark_node* root, const ResolvedMentions& resolved, std::string& out);

}  // namespace parley::markdown::detail
