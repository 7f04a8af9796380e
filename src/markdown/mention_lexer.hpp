#pragma once
// Private to src/markdown: finding mentions in a run of plain text, and deciding which text of a
// parsed document may hold mentions. Shared by scan_mentions and the HTML renderer so both always
// agree on what is a mention.
#include <cmark-gfm.h>

#include <cstddef>
#include <string_view>

#include "markdown/markdown.hpp"

namespace parley::markdown::detail {

struct MentionToken {
  enum class Kind { user, channel, here };
  Kind kind = Kind::user;
  std::size_t begin = 0;  // offset of '@' in the text
  std::size_t end = 0;    // one past the name
  std::string_view name;  // as typed, without '@' (not lower-cased)
};

// Calls on_mention(const MentionToken&) for every mention in `text`, in order.
// `prev_is_name_char` says whether the character before `text` (in the rendered flow of the same
// block) is a username character; it is updated to describe the last character of `text`.
template <class OnMention>
void lex_mentions(std::string_view text, bool& prev_is_name_char, OnMention&& on_mention) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '@' || prev_is_name_char) {
      prev_is_name_char = is_username_char(c);
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && is_username_char(text[end])) ++end;
    const bool followed_by_at = end < text.size() && text[end] == '@';
    std::size_t name_end = end;
    while (name_end > i + 1 && text[name_end - 1] == '.') --name_end;  // a sentence ends, not the name
    const std::size_t length = name_end - (i + 1);
    if (length >= 1 && length <= kMaxUsernameLength && !followed_by_at) {
      MentionToken token{.begin = i, .end = name_end, .name = text.substr(i + 1, length)};
      auto equals_lower = [&](std::string_view word) {
        if (token.name.size() != word.size()) return false;
        for (std::size_t k = 0; k < word.size(); ++k) {
          char n = token.name[k];
          if (n >= 'A' && n <= 'Z') n = static_cast<char>(n - 'A' + 'a');
          if (n != word[k]) return false;
        }
        return true;
      };
      if (equals_lower("channel")) token.kind = MentionToken::Kind::channel;
      if (equals_lower("here")) token.kind = MentionToken::Kind::here;
      on_mention(token);
    }
    // Whatever it was, the run after '@' is consumed: "@a@b" holds no mention of "b".
    prev_is_name_char = is_username_char(text[end - 1]);
    i = end - 1;
  }
}

// Tracks, during a walk over a document (cmark_iter events), whether the current text may hold
// mentions and what precedes it: text inside links and images never does, code never does, and
// every block starts a fresh run.
class MentionContext {
 public:
  // Call for every iterator event before handling the node.
  void on_event(cmark_event_type event, cmark_node* node) noexcept {
    const cmark_node_type type = cmark_node_get_type(node);
    if (type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE) {
      anchor_depth_ += event == CMARK_EVENT_ENTER ? 1 : -1;
    } else if ((type & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK) {
      prev_is_name_char_ = false;
    } else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK) {
      prev_is_name_char_ = false;
    }
  }

  // Text of a TEXT node may hold mentions (when this is true) and moves the "previous character".
  bool mentionable() const noexcept { return anchor_depth_ == 0; }
  bool& prev_is_name_char() noexcept { return prev_is_name_char_; }
  // Code and raw HTML are never mentionable, but their last character still precedes what follows.
  void passed_over(std::string_view literal) noexcept {
    if (!literal.empty()) prev_is_name_char_ = is_username_char(literal.back());
  }
  bool inside_anchor() const noexcept { return anchor_depth_ > 0; }

 private:
  int anchor_depth_ = 0;
  bool prev_is_name_char_ = false;
};

}  // namespace parley::markdown::detail
