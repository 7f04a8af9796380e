#include "markdown/cmark_parser.hpp"

#include <cmark-gfm-core-extensions.h>

#include <array>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>

namespace parley::markdown::detail {
namespace {

constexpr std::array<const char*, 3> kExtensions{"table", "strikethrough", "autolink"};

// CMARK_OPT_VALIDATE_UTF8: invalid sequences become U+FFFD instead of reaching the output.
// Raw HTML never reaches the output either way: the renderer (html_renderer.cpp) escapes it.
constexpr int kParseOptions = CMARK_OPT_VALIDATE_UTF8;

// Serializes feed + finish: cmark_parser_finish (and the table extension while feeding) add the
// extensions' special inline characters to a process-wide table and remove them afterwards, so two
// concurrent parses would see each other's changes (github/cmark-gfm#176).
std::mutex parse_mutex;

struct Setup {
  std::array<cmark_syntax_extension*, kExtensions.size()> extensions{};
  ExtensionNodeTypes types;
};

struct ParserDeleter {
  void operator()(cmark_parser* parser) const noexcept { cmark_parser_free(parser); }
};
struct NodeDeleter {
  void operator()(cmark_node* node) const noexcept { cmark_node_free(node); }
};

cmark_node* parse_with(const Setup& setup, std::string_view body) {
  std::unique_ptr<cmark_parser, ParserDeleter> parser(cmark_parser_new(kParseOptions));
  if (!parser) throw std::bad_alloc();
  for (cmark_syntax_extension* extension : setup.extensions) {
    cmark_parser_attach_syntax_extension(parser.get(), extension);
  }
  cmark_node* root = nullptr;
  {
    std::lock_guard lock(parse_mutex);
    cmark_parser_feed(parser.get(), body.data(), body.size());
    root = cmark_parser_finish(parser.get());
  }
  if (!root) throw std::bad_alloc();
  cmark_consolidate_text_nodes(root);
  return root;
}

// Finds the first node of the type string `name` under `root`.
cmark_node_type find_type(cmark_node* root, std::string_view name) {
  cmark_iter* iter = cmark_iter_new(root);
  cmark_node_type found = CMARK_NODE_NONE;
  while (cmark_iter_next(iter) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter);
    if (name == cmark_node_get_type_string(node)) {
      found = cmark_node_get_type(node);
      break;
    }
  }
  cmark_iter_free(iter);
  return found;
}

// Registration is not thread-safe in cmark-gfm: it runs once. The extension node types are only
// known after registration; a tiny sample document reveals them through the public API.
const Setup& setup() {
  static Setup instance;
  static std::once_flag once;
  std::call_once(once, [] {
    cmark_gfm_core_extensions_ensure_registered();
    for (std::size_t i = 0; i < kExtensions.size(); ++i) {
      instance.extensions[i] = cmark_find_syntax_extension(kExtensions[i]);
      if (!instance.extensions[i]) throw std::logic_error("cmark-gfm lacks a core extension");
    }
    std::unique_ptr<cmark_node, NodeDeleter> sample(parse_with(instance, "| a |\n| - |\n| b |\n\n~~s~~\n"));
    instance.types.table = find_type(sample.get(), "table");
    instance.types.table_row = find_type(sample.get(), "table_row");
    instance.types.table_cell = find_type(sample.get(), "table_cell");
    instance.types.strikethrough = find_type(sample.get(), "strikethrough");
    if (instance.types.table == CMARK_NODE_NONE || instance.types.table_row == CMARK_NODE_NONE ||
        instance.types.table_cell == CMARK_NODE_NONE || instance.types.strikethrough == CMARK_NODE_NONE) {
      throw std::logic_error("cmark-gfm extension node types not found");
    }
  });
  return instance;
}

}  // namespace

const ExtensionNodeTypes& extension_node_types() { return setup().types; }

cmark_node* parse_document(std::string_view body) { return parse_with(setup(), body); }

}  // namespace parley::markdown::detail
