#include <unordered_set>

#include "markdown/cmark_parser.hpp"
#include "markdown/html_renderer.hpp"
#include "markdown/markdown.hpp"
#include "markdown/mention_lexer.hpp"

namespace parley::markdown {

void Document::NodeDeleter::operator()(cmark_node* node) const noexcept { cmark_node_free(node); }

Document::Document(cmark_node* root, std::size_t source_size) noexcept : root_(root), source_size_(source_size) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Document Document::parse(std::string_view body) { return Document(detail::parse_document(body), body.size()); }

MentionScan Document::mentions() const {
  MentionScan scan;
  detail::MentionContext context;
  std::string lower;
  std::unordered_set<std::string> seen;
  cmark_iter* iter = cmark_iter_new(root_.get());
  cmark_event_type event;
  while ((event = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter);
    context.on_event(event, node);
    if (event != CMARK_EVENT_ENTER) continue;
    const cmark_node_type type = cmark_node_get_type(node);
    if (type != CMARK_NODE_TEXT && type != CMARK_NODE_CODE && type != CMARK_NODE_HTML_INLINE) continue;
    const char* literal_text = cmark_node_get_literal(node);
    const std::string_view literal = literal_text ? std::string_view(literal_text) : std::string_view();
    if (type != CMARK_NODE_TEXT || !context.mentionable()) {
      context.passed_over(literal);
      continue;
    }
    detail::lex_mentions(literal, context.prev_is_name_char(), [&](const detail::MentionToken& token) {
      switch (token.kind) {
        case detail::MentionToken::Kind::channel: scan.channel = true; return;
        case detail::MentionToken::Kind::here: scan.here = true; return;
        case detail::MentionToken::Kind::user: break;
      }
      lower.assign(token.name);
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      if (seen.insert(lower).second) scan.usernames.push_back(lower);
    });
  }
  cmark_iter_free(iter);
  return scan;
}

std::string Document::render_html(const ResolvedMentions& resolved) const {
  std::string html;
  // Markup adds roughly a quarter to typical chat text; one allocation in the common case.
  html.reserve(source_size_ + source_size_ / 4 + 64);
  detail::render_document_html(root_.get(), resolved, html);
  return html;
}

MentionScan scan_mentions(std::string_view body) { return Document::parse(body).mentions(); }

std::string render_html(std::string_view body, const ResolvedMentions& resolved) {
  return Document::parse(body).render_html(resolved);
}

}  // namespace parley::markdown
