#include "markdown/html_renderer.hpp"

#include <cmark-gfm-core-extensions.h>

#include <charconv>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/html_escape.hpp"
#include "markdown/cmark_parser.hpp"
#include "markdown/mention_lexer.hpp"
#include "markdown/url_policy.hpp"

namespace parley::markdown::detail {
namespace {

constexpr std::string_view kLinkRel = "nofollow noopener noreferrer";
constexpr std::string_view kLineBreak = "<br />\n";

std::string_view literal_of(cmark_node* node) noexcept {
  const char* literal = cmark_node_get_literal(node);
  return literal ? std::string_view(literal) : std::string_view();
}

std::string_view url_of(cmark_node* node) noexcept {
  const char* url = cmark_node_get_url(node);
  return url ? std::string_view(url) : std::string_view();
}

class HtmlRenderer {
 public:
  HtmlRenderer(const ResolvedMentions& resolved, std::string& out)
      : resolved_(resolved), out_(out), types_(extension_node_types()) {}

  void render(cmark_node* root) {
    cmark_iter* iter = cmark_iter_new(root);
    cmark_event_type event;
    while ((event = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
      cmark_node* node = cmark_iter_get_node(iter);
      const bool was_inside_anchor = context_.inside_anchor();
      context_.on_event(event, node);
      if (event == CMARK_EVENT_ENTER) {
        enter(node, was_inside_anchor);
      } else {
        exit(node);
      }
    }
    cmark_iter_free(iter);
  }

 private:
  void enter(cmark_node* node, bool was_inside_anchor) {
    const cmark_node_type type = cmark_node_get_type(node);
    switch (type) {
      case CMARK_NODE_TEXT: text(literal_of(node)); return;
      case CMARK_NODE_SOFTBREAK:
      case CMARK_NODE_LINEBREAK: out_.append(kLineBreak); return;
      case CMARK_NODE_CODE: {
        const std::string_view code = literal_of(node);
        out_.append("<code>");
        append_html_escaped(out_, code);
        out_.append("</code>");
        context_.passed_over(code);
        return;
      }
      case CMARK_NODE_HTML_INLINE: {
        const std::string_view html = literal_of(node);
        append_html_escaped(out_, html);  // shown as the text the user typed
        context_.passed_over(html);
        return;
      }
      case CMARK_NODE_EMPH: out_.append("<em>"); return;
      case CMARK_NODE_STRONG: out_.append("<strong>"); return;
      case CMARK_NODE_LINK: open_anchor(node, was_inside_anchor, false); return;
      case CMARK_NODE_IMAGE: open_anchor(node, was_inside_anchor, true); return;
      case CMARK_NODE_PARAGRAPH:
        if (!in_tight_list(node)) {
          cr();
          out_.append("<p>");
        }
        return;
      case CMARK_NODE_HEADING:
        cr();
        out_.append("<h");
        out_.push_back(heading_digit(node));
        out_.push_back('>');
        return;
      case CMARK_NODE_BLOCK_QUOTE:
        cr();
        out_.append("<blockquote>\n");
        return;
      case CMARK_NODE_LIST: open_list(node); return;
      case CMARK_NODE_ITEM:
        cr();
        out_.append("<li>");
        return;
      case CMARK_NODE_CODE_BLOCK: code_block(node); return;
      case CMARK_NODE_HTML_BLOCK: html_block(literal_of(node)); return;
      case CMARK_NODE_THEMATIC_BREAK:
        cr();
        out_.append("<hr />\n");
        return;
      default: break;
    }
    if (type == types_.strikethrough) {
      out_.append("<del>");
    } else if (type == types_.table) {
      cr();
      out_.append("<table>\n");
      table_alignments_ = cmark_gfm_extensions_get_table_alignments(node);
      table_columns_ = cmark_gfm_extensions_get_table_columns(node);
      in_table_body_ = false;
    } else if (type == types_.table_row) {
      in_header_row_ = cmark_gfm_extensions_get_table_row_is_header(node) != 0;
      if (in_header_row_) {
        out_.append("<thead>\n");
      } else if (!in_table_body_) {
        out_.append("<tbody>\n");
        in_table_body_ = true;
      }
      out_.append("<tr>\n");
      column_ = 0;
    } else if (type == types_.table_cell) {
      out_.append(in_header_row_ ? "<th" : "<td");
      const std::uint8_t alignment = table_alignments_ && column_ < table_columns_ ? table_alignments_[column_] : 0;
      if (alignment == 'l') out_.append(" align=\"left\"");
      if (alignment == 'c') out_.append(" align=\"center\"");
      if (alignment == 'r') out_.append(" align=\"right\"");
      out_.push_back('>');
      ++column_;
    }
    // Anything else (footnotes and custom nodes cannot come from the parser as configured)
    // contributes its children only.
  }

  void exit(cmark_node* node) {
    const cmark_node_type type = cmark_node_get_type(node);
    switch (type) {
      case CMARK_NODE_EMPH: out_.append("</em>"); return;
      case CMARK_NODE_STRONG: out_.append("</strong>"); return;
      case CMARK_NODE_LINK:
      case CMARK_NODE_IMAGE:
        if (open_anchors_.back()) out_.append("</a>");
        open_anchors_.pop_back();
        return;
      case CMARK_NODE_PARAGRAPH:
        if (!in_tight_list(node)) out_.append("</p>\n");
        return;
      case CMARK_NODE_HEADING:
        out_.append("</h");
        out_.push_back(heading_digit(node));
        out_.append(">\n");
        return;
      case CMARK_NODE_BLOCK_QUOTE:
        cr();
        out_.append("</blockquote>\n");
        return;
      case CMARK_NODE_LIST:
        cr();
        out_.append(cmark_node_get_list_type(node) == CMARK_ORDERED_LIST ? "</ol>\n" : "</ul>\n");
        return;
      case CMARK_NODE_ITEM: out_.append("</li>\n"); return;
      default: break;
    }
    if (type == types_.strikethrough) {
      out_.append("</del>");
    } else if (type == types_.table) {
      if (in_table_body_) out_.append("</tbody>\n");
      out_.append("</table>\n");
      table_alignments_ = nullptr;
      table_columns_ = 0;
    } else if (type == types_.table_row) {
      out_.append("</tr>\n");
      if (in_header_row_) out_.append("</thead>\n");
    } else if (type == types_.table_cell) {
      out_.append(in_header_row_ ? "</th>\n" : "</td>\n");
    }
  }

  // Text, with the mentions it holds turned into markup when they resolve.
  void text(std::string_view literal) {
    if (!context_.mentionable()) {
      append_html_escaped(out_, literal);
      context_.passed_over(literal);
      return;
    }
    std::size_t plain_from = 0;
    lex_mentions(literal, context_.prev_is_name_char(), [&](const MentionToken& token) {
      std::int64_t user_id = 0;
      if (token.kind == MentionToken::Kind::user) {
        lower_name_.assign(token.name);
        for (char& c : lower_name_) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        const auto found = resolved_.find(lower_name_);
        if (found == resolved_.end()) return;  // unresolved: stays plain text
        user_id = found->second;
      }
      append_html_escaped(out_, literal.substr(plain_from, token.begin - plain_from));
      out_.append("<span class=\"mention\" ");
      switch (token.kind) {
        case MentionToken::Kind::user: {
          out_.append("data-user-id=\"");
          char digits[24];
          const auto result = std::to_chars(std::begin(digits), std::end(digits), user_id);
          out_.append(digits, result.ptr);
          break;
        }
        case MentionToken::Kind::channel: out_.append("data-mention=\"channel"); break;
        case MentionToken::Kind::here: out_.append("data-mention=\"here"); break;
      }
      out_.append("\">");
      append_html_escaped(out_, literal.substr(token.begin, token.end - token.begin));
      out_.append("</span>");
      plain_from = token.end;
    });
    append_html_escaped(out_, literal.substr(plain_from));
  }

  // A link, or an image rendered as a link. Only an allowed URL outside another anchor opens an
  // <a>; otherwise the children render as plain text.
  void open_anchor(cmark_node* node, bool was_inside_anchor, bool is_image) {
    const std::string_view url = url_of(node);
    const bool anchor = !was_inside_anchor && is_allowed_url(url);
    open_anchors_.push_back(anchor);
    if (anchor) {
      out_.append("<a href=\"");
      append_href(out_, url);
      out_.append("\" rel=\"");
      out_.append(kLinkRel);
      out_.push_back('"');
      const char* title = cmark_node_get_title(node);
      if (title && *title) {
        out_.append(" title=\"");
        append_html_escaped(out_, title);
        out_.push_back('"');
      }
      out_.push_back('>');
    }
    // An image without alt text is labelled with its URL.
    if (is_image && !cmark_node_first_child(node)) append_html_escaped(out_, url);
  }

  void open_list(cmark_node* node) {
    cr();
    if (cmark_node_get_list_type(node) != CMARK_ORDERED_LIST) {
      out_.append("<ul>\n");
      return;
    }
    const int start = cmark_node_get_list_start(node);
    if (start == 1) {
      out_.append("<ol>\n");
      return;
    }
    out_.append("<ol start=\"");
    out_.append(std::to_string(start));
    out_.append("\">\n");
  }

  void code_block(cmark_node* node) {
    cr();
    const char* info = cmark_node_get_fence_info(node);
    std::string_view language = info ? std::string_view(info) : std::string_view();
    language = language.substr(0, language.find_first_of(" \t"));
    if (language.empty()) {
      out_.append("<pre><code>");
    } else {
      out_.append("<pre><code class=\"language-");
      append_html_escaped(out_, language);
      out_.append("\">");
    }
    append_html_escaped(out_, literal_of(node));
    out_.append("</code></pre>\n");
  }

  // A raw HTML block is shown as the text the user typed, in a paragraph, line by line.
  void html_block(std::string_view html) {
    while (!html.empty() && (html.back() == '\n' || html.back() == '\r')) html.remove_suffix(1);
    cr();
    out_.append("<p>");
    std::size_t line_start = 0;
    while (true) {
      const std::size_t newline = html.find('\n', line_start);
      append_html_escaped(out_, html.substr(line_start, newline - line_start));
      if (newline == std::string_view::npos) break;
      out_.append(kLineBreak);
      line_start = newline + 1;
    }
    out_.append("</p>\n");
  }

  // Paragraphs directly in an item of a tight list are written without <p>.
  static bool in_tight_list(cmark_node* paragraph) noexcept {
    cmark_node* item = cmark_node_parent(paragraph);
    if (!item || cmark_node_get_type(item) != CMARK_NODE_ITEM) return false;
    cmark_node* list = cmark_node_parent(item);
    return list && cmark_node_get_type(list) == CMARK_NODE_LIST && cmark_node_get_list_tight(list) != 0;
  }

  static char heading_digit(cmark_node* node) noexcept {
    const int level = cmark_node_get_heading_level(node);
    return static_cast<char>('0' + (level >= 1 && level <= 6 ? level : 6));
  }

  void cr() {
    if (!out_.empty() && out_.back() != '\n') out_.push_back('\n');
  }

  const ResolvedMentions& resolved_;
  std::string& out_;
  const ExtensionNodeTypes& types_;
  MentionContext context_;
  std::vector<bool> open_anchors_;  // per link/image being walked: did it open an <a>?
  std::string lower_name_;          // reused lookup key
  std::uint8_t* table_alignments_ = nullptr;
  std::uint16_t table_columns_ = 0;
  std::uint16_t column_ = 0;
  bool in_header_row_ = false;
  bool in_table_body_ = false;
};

}  // namespace

void render_document_html(cmark_node* root, const ResolvedMentions& resolved, std::string& out) {
  HtmlRenderer(resolved, out).render(root);
}

}  // namespace parley::markdown::detail
