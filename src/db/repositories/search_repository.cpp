#include "db/repositories/search_repository.hpp"

#include <array>
#include <random>

#include "core/error.hpp"
#include "core/html_escape.hpp"
#include "core/time.hpp"
#include "db/repositories/search_text.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// Snippet markup. The engines wrap matches in a start and a stop marker, each a private-use
// sentinel pair around a random nonce chosen per query, so text a user typed can never pass for a
// marker; sentinel characters in bodies are removed from snippets. PostgreSQL's ts_headline would
// also drop anything that looks like an HTML tag, so there '<' travels as kLtSentinel and comes back.
#define PARLEY_SENTINEL_OPEN "\uE000"
#define PARLEY_SENTINEL_CLOSE "\uE001"
#define PARLEY_SENTINEL_LT "\uE002"
constexpr std::string_view kLtSentinel = PARLEY_SENTINEL_LT;
constexpr std::array<std::string_view, 3> kSentinels{PARLEY_SENTINEL_OPEN, PARLEY_SENTINEL_CLOSE, PARLEY_SENTINEL_LT};
constexpr std::string_view kEllipsis = "…";
// Words in a snippet: SQLite's snippet() takes a token count (at most 64) and shows short bodies
// whole. ts_headline, given one fragment, centres a window of about as many words on the best
// match as snippet() does, but trims punctuation at the window's edges even when the body fits, so
// bodies of up to PARLEY_HEADLINE_WHOLE_BODY_CHARS characters are highlighted whole instead.
#define PARLEY_SNIPPET_TOKENS "32"
#define PARLEY_HEADLINE_WINDOW "MaxFragments=1, MaxWords=32, MinWords=16, ShortWord=0"
#define PARLEY_HEADLINE_WHOLE_BODY_CHARS "240"

// Parameters (both dialects): $1 viewer, $2 query (PostgreSQL: websearch text; SQLite: FTS5
// expression), $3 conversation, $4 sender, $5 before, $6 after (canonical RFC 3339 UTC), $7 limit,
// $8 offset, $9 start marker, $10 stop marker.
// The page of ids is chosen first and only its rows get snippets (headlines are the costly part).
// Visibility is a join on the viewer's unbanned membership, so pages are counted over visible rows.
constexpr std::string_view kPostgresSearch =
    "WITH q AS (SELECT websearch_to_tsquery('simple', $2) AS query), "
    "hits AS ("
    " SELECT m.id, m.conversation_id, ts_rank_cd(m.search_vector, q.query) AS score"
    " FROM q JOIN messages m ON m.search_vector @@ q.query"
    " JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1"
    " AND cm.banned_at IS NULL"
    " WHERE m.deleted_at IS NULL"
    " AND (CAST($3 AS bigint) IS NULL OR m.conversation_id = $3)"
    " AND (CAST($4 AS bigint) IS NULL OR m.sender_id = $4)"
    " AND (CAST($5 AS timestamptz) IS NULL OR m.created_at < CAST($5 AS timestamptz))"
    " AND (CAST($6 AS timestamptz) IS NULL OR m.created_at > CAST($6 AS timestamptz))"
    " ORDER BY score DESC, m.id DESC LIMIT $7 OFFSET $8), "
    "shown AS ("
    " SELECT hits.id, hits.conversation_id, hits.score, b.text AS body,"
    " ts_headline('simple', b.text, q.query, 'StartSel=\"' || CAST($9 AS text) || '\", StopSel=\"' ||"
    " CAST($10 AS text) || '\", ' || CASE WHEN char_length(b.text) <= " PARLEY_HEADLINE_WHOLE_BODY_CHARS
    " THEN 'HighlightAll=true' ELSE '" PARLEY_HEADLINE_WINDOW "' END) AS headline"
    " FROM hits JOIN messages m ON m.id = hits.id CROSS JOIN q"
    " CROSS JOIN LATERAL (SELECT replace(translate(m.body, '" PARLEY_SENTINEL_OPEN PARLEY_SENTINEL_CLOSE
    PARLEY_SENTINEL_LT "', ''), '<', '" PARLEY_SENTINEL_LT "') AS text) b) "
    // Where the headline sits in the body tells whether it cuts the start or the end.
    "SELECT id, conversation_id, score, headline,"
    " strpos(body, replace(replace(headline, $9, ''), $10, '')),"
    " char_length(replace(replace(headline, $9, ''), $10, '')), char_length(body) "
    "FROM shown ORDER BY score DESC, id DESC";

// bm25() is lower for better matches; the rank returned is its negation.
constexpr std::string_view kSqliteSearch =
    "WITH hits AS ("
    " SELECT m.id AS id, m.conversation_id AS conversation_id, bm25(messages_fts) AS score"
    " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
    " JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1"
    " AND cm.banned_at IS NULL"
    " WHERE messages_fts MATCH $2 AND m.deleted_at IS NULL"
    " AND ($3 IS NULL OR m.conversation_id = $3)"
    " AND ($4 IS NULL OR m.sender_id = $4)"
    " AND ($5 IS NULL OR m.created_at < $5)"
    " AND ($6 IS NULL OR m.created_at > $6)"
    " ORDER BY score, m.id DESC LIMIT $7 OFFSET $8) "
    "SELECT hits.id, hits.conversation_id, -hits.score,"
    " snippet(messages_fts, 0, $9, $10, '…', " PARLEY_SNIPPET_TOKENS ") "
    "FROM hits JOIN messages_fts ON messages_fts.rowid = hits.id "
    "WHERE messages_fts MATCH $2 ORDER BY hits.score, hits.id DESC";

constexpr DualQuery kSearch{"search.messages", kPostgresSearch, kSqliteSearch};

Value time_param(const std::optional<std::string>& text, std::string_view name) {
  if (!text) return nullptr;
  auto time = parse_rfc3339(*text);
  if (!time) {
    throw AppError::bad_request(std::string(name) + " must be an RFC 3339 time, e.g. 2026-11-23T23:51:00.123Z.",
                                "invalid_time");
  }
  return format_rfc3339(*time);  // Parley's canonical UTC text with milliseconds
}

template <typename T>
Value opt(const std::optional<T>& v) {
  return v ? Value{*v} : Value{nullptr};
}

// A fresh random nonce for this query's markers (hex, so it is safe inside ts_headline options).
std::string marker_nonce() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::uint64_t bits = generator();
  std::string nonce(16, '0');
  for (char& c : nonce) {
    c = kHex[bits & 0xF];
    bits >>= 4;
  }
  return nonce;
}

// The engine's marked-up excerpt as HTML: markers become <mark>/</mark> (always balanced), the
// text between them is escaped, sentinel characters are removed (PostgreSQL: kLtSentinel is '<').
std::string snippet_html(std::string_view marked, std::string_view start, std::string_view stop, bool lt_sentinel) {
  std::string html;
  html.reserve(marked.size() + 32);
  bool open = false;
  auto append_text = [&](std::string_view text) {
    std::size_t from = 0;
    for (std::size_t i = 0; i < text.size();) {
      std::string_view found;
      for (std::string_view sentinel : kSentinels) {
        if (text.substr(i, sentinel.size()) == sentinel) found = sentinel;
      }
      if (found.empty()) {
        ++i;
        continue;
      }
      append_html_escaped(html, text.substr(from, i - from));
      if (lt_sentinel && found == kLtSentinel) html.append("&lt;");
      i += found.size();
      from = i;
    }
    append_html_escaped(html, text.substr(from));
  };
  std::size_t i = 0;
  while (i < marked.size()) {
    const std::size_t next_start = marked.find(start, i);
    const std::size_t next_stop = marked.find(stop, i);
    const std::size_t next = std::min(next_start, next_stop);
    append_text(marked.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i));
    if (next == std::string_view::npos) break;
    const bool is_start = next == next_start;
    if (is_start && !open) html.append("<mark>");
    if (!is_start && open) html.append("</mark>");
    open = is_start;
    i = next + (is_start ? start.size() : stop.size());
  }
  if (open) html.append("</mark>");
  return html;
}

}  // namespace

SearchRepository::SearchRepository(Dialect dialect) : dialect_(dialect), search_(kSearch.pick(dialect)) {}

awaitable<std::vector<SearchHit>> SearchRepository::search(Executor& db, const SearchQuery& query) {
  Value before = time_param(query.before, "before");
  Value after = time_param(query.after, "after");
  const SearchExpression expression = parse_search_text(query.text);
  if (expression.empty()) co_return std::vector<SearchHit>{};

  const std::int64_t limit = clamp_limit(query.limit);
  const std::int64_t offset = query.offset < 0 ? 0 : std::min(query.offset, kMaxSearchOffset);
  const std::string nonce = marker_nonce();
  const std::string start = PARLEY_SENTINEL_OPEN + nonce + PARLEY_SENTINEL_CLOSE;
  const std::string stop = PARLEY_SENTINEL_CLOSE + nonce + PARLEY_SENTINEL_OPEN;
  const bool postgres = dialect_ == Dialect::postgres;
  std::array<Value, 10> params{query.viewer_id,
                               postgres ? expression.to_websearch() : expression.to_fts5(),
                               opt(query.conversation_id),
                               opt(query.sender_id),
                               std::move(before),
                               std::move(after),
                               limit + 1,
                               offset,
                               start,
                               stop};
  const ResultSet rs = co_await db.execute(search_, params);

  std::vector<SearchHit> hits;
  hits.reserve(rs.rows.size());
  for (const Row& row : rs.rows) {
    SearchHit hit{.message_id = row.int64(0), .conversation_id = row.int64(1), .rank = row.float64(2)};
    hit.snippet = snippet_html(row.text(3), start, stop, postgres);
    if (postgres) {
      // ts_headline adds no ellipses: compare where the excerpt sits in the body (1-based, 0 = not
      // found) and its length with the body's.
      const std::int64_t shown_at = row.int64(4);
      const std::int64_t shown_chars = row.int64(5);
      const std::int64_t body_chars = row.int64(6);
      if (shown_at != 1 && shown_chars < body_chars) hit.snippet.insert(0, kEllipsis);
      if ((shown_at == 0 && shown_chars < body_chars) || (shown_at > 0 && shown_at - 1 + shown_chars < body_chars)) {
        hit.snippet.append(kEllipsis);
      }
    }
    hits.push_back(std::move(hit));
  }
  co_return hits;
}

}  // namespace parley::db::repositories
