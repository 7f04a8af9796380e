// render_html and scan_mentions from several threads at once give the same results as on one
// thread (cmark-gfm's process-wide parser state is serialized inside the module).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "markdown/markdown.hpp"

namespace parley::markdown {
namespace {

TEST(MarkdownConcurrency, ManyThreadsRenderTheSameAsOne) {
  const std::vector<std::string> bodies = {
      "~~struck~~ and www.example.com and @alice",
      "| a | b |\n|---|--:|\n| ~~1~~ | https://e.com |",
      "plain @bob text with `code` and **bold**",
      "<script>alert(1)</script> [x](javascript:y) bob@example.com",
  };
  const ResolvedMentions resolved{{"alice", 1}, {"bob", 2}};
  std::vector<std::string> expected;
  std::vector<MentionScan> expected_scans;
  for (const std::string& body : bodies) {
    expected.push_back(render_html(body, resolved));
    expected_scans.push_back(scan_mentions(body));
  }
  ASSERT_NE(expected[0].find("<del>"), std::string::npos);
  ASSERT_NE(expected[1].find("<table>"), std::string::npos);

  constexpr int kThreads = 4;
  constexpr int kRounds = 1000;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const std::size_t i = static_cast<std::size_t>(t + round) % bodies.size();
        if (render_html(bodies[i], resolved) != expected[i]) ++mismatches;
        if (!(scan_mentions(bodies[i]) == expected_scans[i])) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace parley::markdown
