#include "db/repositories/search_repository.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class SearchRepoTest : public RepoTest {
 protected:
  void SetUp() override {
    RepoTest::SetUp();
    if (IsSkipped()) return;
    alice_ = make_user("alice");
    bob_ = make_user("bob");
    general_ = make_group({alice_.id, bob_.id}, "general");
  }

  std::vector<SearchHit> search(SearchQuery query) { return run(search_.search(*db_, query)); }

  // Ids of the hits of `text` for alice, best first.
  std::vector<std::int64_t> ids(std::string text, std::int64_t viewer = 0) {
    std::vector<std::int64_t> out;
    for (const SearchHit& hit : search({.viewer_id = viewer ? viewer : alice_.id, .text = std::move(text)})) {
      out.push_back(hit.message_id);
    }
    return out;
  }

  void set_created_at(std::int64_t message_id, const std::string& time) {
    const Query update{"", dialect() == Dialect::postgres
                               ? "UPDATE messages SET created_at = CAST($2 AS timestamptz) WHERE id = $1"
                               : "UPDATE messages SET created_at = $2 WHERE id = $1"};
    std::array<Value, 2> params{message_id, time};
    run(db_->execute(update, params));
  }

  SearchRepository search_{GetParam()};
  User alice_, bob_;
  Conversation general_;
};

using Ids = std::vector<std::int64_t>;

TEST_P(SearchRepoTest, MoreMatchesRankHigher) {
  const Message once = post(general_.id, alice_.id, "apple banana cherry");
  const Message thrice = post(general_.id, bob_.id, "apple apple apple banana");
  post(general_.id, bob_.id, "nothing to see");
  const std::vector<SearchHit> hits = search({.viewer_id = alice_.id, .text = "apple"});
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].message_id, thrice.id);
  EXPECT_EQ(hits[1].message_id, once.id);
  EXPECT_GT(hits[0].rank, hits[1].rank);
  EXPECT_GT(hits[1].rank, 0.0);
  EXPECT_EQ(hits[0].conversation_id, general_.id);
}

TEST_P(SearchRepoTest, EqualRanksAreNewestFirst) {
  const Message older = post(general_.id, alice_.id, "same words here");
  const Message newer = post(general_.id, alice_.id, "same words here");
  EXPECT_EQ(ids("words"), (Ids{newer.id, older.id}));
}

TEST_P(SearchRepoTest, CaseInsensitiveWordsAreAnded) {
  const Message both = post(general_.id, alice_.id, "The Quick brown fox");
  post(general_.id, alice_.id, "quick thinking");
  EXPECT_EQ(ids("QUICK fox"), Ids{both.id});
}

TEST_P(SearchRepoTest, PhraseMatchesAdjacentWordsInOrder) {
  const Message red_fox = post(general_.id, alice_.id, "a red fox jumped");
  post(general_.id, alice_.id, "the fox was red");
  post(general_.id, alice_.id, "red and a fox");
  EXPECT_EQ(ids("\"red fox\""), Ids{red_fox.id});
  EXPECT_EQ(ids("\"red fox"), Ids{red_fox.id}) << "unclosed quote";
}

TEST_P(SearchRepoTest, ExclusionRemovesMatches) {
  const Message plain = post(general_.id, alice_.id, "apple pie");
  post(general_.id, alice_.id, "apple banana split");
  post(general_.id, alice_.id, "apple with lazy cat");
  EXPECT_EQ(ids("apple -banana -\"lazy cat\""), Ids{plain.id});
  EXPECT_TRUE(ids("-banana").empty()) << "exclusions alone match nothing";
}

TEST_P(SearchRepoTest, OrMatchesEitherSide) {
  const Message kiwi = post(general_.id, alice_.id, "kiwi smoothie");
  const Message mango = post(general_.id, alice_.id, "mango lassi");
  post(general_.id, alice_.id, "papaya");
  const Ids found = ids("kiwi OR mango");
  EXPECT_EQ(std::set<std::int64_t>(found.begin(), found.end()), (std::set<std::int64_t>{kiwi.id, mango.id}));
  EXPECT_EQ(ids("kiwi smoothie or mango tea"), Ids{kiwi.id}) << "AND binds tighter than OR";
}

TEST_P(SearchRepoTest, FiltersByConversationAndSender) {
  const Conversation other = make_group({alice_.id, bob_.id}, "other");
  const Message a_general = post(general_.id, alice_.id, "budget review");
  const Message b_general = post(general_.id, bob_.id, "budget draft");
  const Message a_other = post(other.id, alice_.id, "budget final");
  auto found = [&](SearchQuery q) {
    q.viewer_id = alice_.id;
    q.text = "budget";
    std::set<std::int64_t> out;
    for (const SearchHit& hit : search(q)) out.insert(hit.message_id);
    return out;
  };
  EXPECT_EQ(found({}), (std::set<std::int64_t>{a_general.id, b_general.id, a_other.id}));
  EXPECT_EQ(found({.conversation_id = general_.id}), (std::set<std::int64_t>{a_general.id, b_general.id}));
  EXPECT_EQ(found({.sender_id = alice_.id}), (std::set<std::int64_t>{a_general.id, a_other.id}));
  EXPECT_EQ(found({.conversation_id = other.id, .sender_id = bob_.id}), std::set<std::int64_t>{});
}

TEST_P(SearchRepoTest, FiltersByTime) {
  const Message early = post(general_.id, alice_.id, "report one");
  const Message middle = post(general_.id, alice_.id, "report two");
  const Message late = post(general_.id, alice_.id, "report three");
  set_created_at(early.id, "2026-01-01T10:00:00.000Z");
  set_created_at(middle.id, "2026-01-02T10:00:00.000Z");
  set_created_at(late.id, "2026-01-03T10:00:00.000Z");
  auto found = [&](std::optional<std::string> after, std::optional<std::string> before) {
    std::set<std::int64_t> out;
    for (const SearchHit& hit :
         search({.viewer_id = alice_.id, .text = "report", .before = std::move(before), .after = std::move(after)})) {
      out.insert(hit.message_id);
    }
    return out;
  };
  EXPECT_EQ(found("2026-01-01T10:00:00.000Z", std::nullopt), (std::set<std::int64_t>{middle.id, late.id}))
      << "after is exclusive";
  EXPECT_EQ(found(std::nullopt, "2026-01-03T10:00:00Z"), (std::set<std::int64_t>{early.id, middle.id}))
      << "before is exclusive";
  EXPECT_EQ(found("2026-01-01T12:00:00+02:00", "2026-01-02t12:00:00.5z"), std::set<std::int64_t>{middle.id})
      << "offsets and lower-case letters are read";
  EXPECT_EQ(found("2026-01-02T11:00:00.123456+01:00", std::nullopt), (std::set<std::int64_t>{late.id}))
      << "10:00:00.123 UTC is after 10:00:00.000";
  for (std::string bad : {"yesterday", "2026-02-30T00:00:00Z", "2026-01-01T10:00:00",
                          "2026-01-01T25:00:00Z", "2026-01-01T10:00:00+0200", "'; DROP TABLE messages; --",
                          "2026-01-01T10:00:00.Z", "+026-01-01T10:00:00Z"}) {
    PARLEY_EXPECT_APP_ERROR(search({.viewer_id = alice_.id, .text = "report", .before = bad}), 400);
    PARLEY_EXPECT_APP_ERROR(search({.viewer_id = alice_.id, .text = "report", .after = bad}), 400);
  }
}

TEST_P(SearchRepoTest, OnlyUnbannedMembersSeeMessages) {
  const User carol = make_user("carol");
  const User dave = make_user("dave");
  const Conversation secret = make_group({alice_.id, dave.id}, "secret");
  const Message hidden = post(secret.id, alice_.id, "classified plans");
  EXPECT_EQ(ids("classified", alice_.id), Ids{hidden.id}) << "a member sees it";
  EXPECT_EQ(ids("classified", dave.id), Ids{hidden.id});
  EXPECT_TRUE(ids("classified", carol.id).empty()) << "a non-member sees nothing";
  EXPECT_TRUE(ids("classified", bob_.id).empty());
  run(members_.ban(*db_, secret.id, dave.id));
  EXPECT_TRUE(ids("classified", dave.id).empty()) << "a banned member sees nothing";
  EXPECT_TRUE(search({.viewer_id = carol.id, .text = "classified", .conversation_id = secret.id}).empty())
      << "naming the conversation does not help";
}

TEST_P(SearchRepoTest, DeletedMessagesNeverMatch) {
  const Message kept = post(general_.id, alice_.id, "ephemeral note kept");
  const Message gone = post(general_.id, alice_.id, "ephemeral note gone");
  ASSERT_TRUE(run(messages_.soft_delete(*db_, gone.id)));
  EXPECT_EQ(ids("ephemeral"), Ids{kept.id});
}

TEST_P(SearchRepoTest, EditedBodiesAreReindexed) {
  const Message m = post(general_.id, alice_.id, "original wording");
  ASSERT_TRUE(run(messages_.edit(*db_, m.id, alice_.id, "revised phrasing", "<p>revised phrasing</p>")));
  EXPECT_TRUE(ids("original").empty());
  EXPECT_EQ(ids("revised"), Ids{m.id});
}

TEST_P(SearchRepoTest, RepliesAreSearchable) {
  const Message parent = post(general_.id, alice_.id, "thread start");
  const Message reply = post(general_.id, bob_.id, "a reply about zebras", parent.id);
  EXPECT_EQ(ids("zebras"), Ids{reply.id});
}

TEST_P(SearchRepoTest, SnippetsEscapeHtmlAndMarkMatches) {
  post(general_.id, alice_.id, "<script>alert('x')</script> kappa & <b>bold</b> \"q\"");
  const std::vector<SearchHit> hits = search({.viewer_id = alice_.id, .text = "kappa"});
  ASSERT_EQ(hits.size(), 1u);
  const std::string& snippet = hits[0].snippet;
  EXPECT_EQ(snippet.find("<script"), std::string::npos) << snippet;
  EXPECT_EQ(snippet.find("<b>"), std::string::npos) << snippet;
  EXPECT_NE(snippet.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos) << snippet;
  EXPECT_NE(snippet.find("<mark>kappa</mark>"), std::string::npos) << snippet;
  EXPECT_NE(snippet.find("&amp; &lt;b&gt;bold&lt;/b&gt; &quot;q&quot;"), std::string::npos) << snippet;
  EXPECT_EQ(snippet, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>kappa</mark> &amp; &lt;b&gt;bold&lt;/b&gt; "
                     "&quot;q&quot;");
}

TEST_P(SearchRepoTest, SnippetsOfLongBodiesAreCutWithEllipses) {
  std::string body;
  for (int i = 0; i < 80; ++i) body += "filler" + std::to_string(i) + " ";
  body += "needle";
  for (int i = 80; i < 160; ++i) body += " filler" + std::to_string(i);
  post(general_.id, alice_.id, body);
  const std::vector<SearchHit> hits = search({.viewer_id = alice_.id, .text = "needle"});
  ASSERT_EQ(hits.size(), 1u);
  const std::string& snippet = hits[0].snippet;
  EXPECT_NE(snippet.find("<mark>needle</mark>"), std::string::npos) << snippet;
  EXPECT_TRUE(snippet.starts_with("…")) << snippet;
  EXPECT_TRUE(snippet.ends_with("…")) << snippet;
  EXPECT_LT(snippet.size(), body.size() / 2) << snippet;
}

TEST_P(SearchRepoTest, SnippetsOfShortBodiesAreWhole) {
  post(general_.id, alice_.id, "just a short needle line");
  const std::vector<SearchHit> hits = search({.viewer_id = alice_.id, .text = "needle"});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].snippet, "just a short <mark>needle</mark> line");
}

TEST_P(SearchRepoTest, SentinelsTypedByUsersAreStrippedFromSnippets) {
  // Spaced: FTS5's tokenizer counts private-use characters as letters.
  post(general_.id, alice_.id, "x\uE000y \uE001 needle \uE001 z\uE002< \uE000");
  const std::vector<SearchHit> hits = search({.viewer_id = alice_.id, .text = "needle"});
  ASSERT_EQ(hits.size(), 1u);
  const std::string& snippet = hits[0].snippet;
  EXPECT_EQ(snippet.find("\uE000"), std::string::npos) << snippet;
  EXPECT_EQ(snippet.find("\uE001"), std::string::npos) << snippet;
  EXPECT_EQ(snippet.find("\uE002"), std::string::npos) << snippet;
  EXPECT_NE(snippet.find("xy"), std::string::npos) << snippet;
  EXPECT_NE(snippet.find("z&lt;"), std::string::npos) << snippet;
  // Every <mark> is closed and none nests.
  int depth = 0;
  for (std::size_t at = snippet.find("mark>"); at != std::string::npos; at = snippet.find("mark>", at + 1)) {
    depth += snippet[at - 1] == '/' ? -1 : 1;
    EXPECT_TRUE(depth == 0 || depth == 1) << snippet;
  }
  EXPECT_EQ(depth, 0) << snippet;
}

TEST_P(SearchRepoTest, HostileQueriesNeverFail) {
  const Message m = post(general_.id, alice_.id, "needle in the haystack, body x near y");
  std::string ten_kb;
  while (ten_kb.size() < 10240) ten_kb += "needle \" - * NEAR( ";
  std::string many_terms;
  while (many_terms.size() < 10240) many_terms += "needle haystack ";
  for (std::string query : {std::string("\""), std::string("-"), std::string("*"), std::string("NEAR("),
                            std::string("body:x"), std::string("')--"), std::string("'; DROP TABLE messages; --"),
                            std::string("needle NEAR(x y, 2)"), std::string("{body}: x"), std::string("needle*"),
                            std::string("^needle"), std::string("needle AND OR NOT"), std::string("(needle"),
                            std::string("\\\" OR 1=1 --"), std::string("\xff\xfe needle"), std::string("\xffneedle\xc3"), std::string("\uE000needle"),
                            std::string(1, '\0') + "needle", ten_kb, std::string(10240, '"'), std::string(10240, '-')}) {
    SCOPED_TRACE(query.substr(0, 40));
    EXPECT_NO_THROW(search({.viewer_id = alice_.id, .text = query}));
  }
  EXPECT_EQ(ids("needle NEAR("), Ids{m.id}) << "operators are words: near matches 'near'";
  EXPECT_EQ(ids("body:x"), Ids{m.id}) << "no column filter: the words body and x";
  EXPECT_TRUE(ids("\"").empty());
  EXPECT_TRUE(ids("").empty());
  EXPECT_EQ(ids(many_terms), Ids{m.id}) << "only the first terms are used";
}

TEST_P(SearchRepoTest, PagesByOffsetWithOneExtraRow) {
  Ids all;
  for (int i = 0; i < 5; ++i) all.push_back(post(general_.id, alice_.id, "paged result " + std::to_string(i)).id);
  Ids seen;
  for (int offset = 0; offset < 6; offset += 2) {
    const std::vector<SearchHit> page = search({.viewer_id = alice_.id, .text = "paged", .offset = offset, .limit = 2});
    const std::size_t remaining = all.size() - static_cast<std::size_t>(offset);
    EXPECT_EQ(page.size(), std::min<std::size_t>(remaining, 3)) << "limit + 1 while more exist, at offset " << offset;
    for (std::size_t i = 0; i < std::min<std::size_t>(page.size(), 2); ++i) seen.push_back(page[i].message_id);
  }
  // Equal ranks: newest first, each hit exactly once across the pages.
  EXPECT_EQ(seen, (Ids{all[4], all[3], all[2], all[1], all[0]}));
  EXPECT_EQ(search({.viewer_id = alice_.id, .text = "paged", .offset = -5, .limit = 0}).size(), 2u)
      << "offset clamped to 0, limit to 1";
  EXPECT_TRUE(search({.viewer_id = alice_.id, .text = "paged", .offset = 1000000}).empty());
  EXPECT_EQ(search({.viewer_id = alice_.id, .text = "paged", .limit = 1000}).size(), 5u);
}

PARLEY_INSTANTIATE_REPO_TEST(SearchRepoTest);

}  // namespace
}  // namespace parley::db::repositories
