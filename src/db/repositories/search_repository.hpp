#pragma once
// Full-text search over message bodies (GET /search): ranked hits among the messages a viewer can
// see, with highlighted, HTML-safe snippets.
//
// PostgreSQL: messages.search_vector (to_tsvector('simple', body), GIN index) matched by
// websearch_to_tsquery('simple', ...), ranked by ts_rank_cd, snippets from ts_headline.
// SQLite: the messages_fts FTS5 table (unicode61, remove_diacritics 2) matched by an FTS5
// expression built from the parsed query, ranked by bm25, snippets from snippet().
// The query syntax is the same on both (search_text.hpp): words, "quoted phrases", -exclusion, or.
// Known dialect differences: PostgreSQL's parser does not index HTML-like tags ("<b>") or split
// hosts and paths ("example.com") as FTS5 does; FTS5 folds diacritics ("cafe" finds "café").
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

inline constexpr int kMaxSearchOffset = 10000;

struct SearchQuery {
  std::int64_t viewer_id = 0;  // only messages in conversations where the viewer is a member and not banned
  std::string text;            // web-search syntax (see search_text.hpp)
  std::optional<std::int64_t> conversation_id;
  std::optional<std::int64_t> sender_id;
  std::optional<std::string> before;  // RFC 3339 time: created_at < before
  std::optional<std::string> after;   // RFC 3339 time: created_at > after
  int offset = 0;                     // clamped to 0..kMaxSearchOffset
  int limit = 50;                     // clamped to 1..200
};

struct SearchHit {
  std::int64_t message_id = 0;
  std::int64_t conversation_id = 0;
  double rank = 0;  // higher is better; comparable within one result list and dialect only
  // HTML-safe excerpt of the body (a few dozen words around the matches): the text HTML-escaped,
  // matched words in <mark>...</mark>, "…" where the excerpt cuts the body.
  std::string snippet;
};

class SearchRepository {
 public:
  explicit SearchRepository(Dialect dialect);

  // Hits best first (rank descending, then message id descending), skipping `offset` of them.
  // Returns up to limit + 1 hits: one more than the page when a next page exists (the caller drops
  // it and offers offset + limit as the next cursor). Deleted messages never match. A query with
  // no searchable term (empty, punctuation only, only exclusions) returns no hits; any text is
  // accepted (it never reaches either engine's query syntax unquoted). Throws AppError 400
  // (code "invalid_time") when before/after is not an RFC 3339 time.
  boost::asio::awaitable<std::vector<SearchHit>> search(Executor& db, const SearchQuery& query);

 private:
  Dialect dialect_;
  Query search_;
};

}  // namespace parley::db::repositories
