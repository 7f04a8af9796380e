// Markdown rendering cost per message send (render_html runs on the I/O threads):
//   parley_micro_bench --benchmark_filter=Markdown
#include <benchmark/benchmark.h>

#include <string>
#include <thread>

#include "markdown/markdown.hpp"

namespace {

using parley::markdown::Document;
using parley::markdown::render_html;
using parley::markdown::ResolvedMentions;

const ResolvedMentions kResolved{{"alice", 1}, {"bob", 2}};

// A typical chat line.
const std::string kShort = "hey @alice, the build is **green** again: https://ci.example.com/run/42 :)";

// A long message near the 10,000-character limit, with every feature.
std::string long_body() {
  std::string body;
  while (body.size() < 9500) {
    body +=
        "## Notes for @bob\n\nSome *emphasis*, ~~strike~~, `code` and [a link](https://example.com/x).\n\n"
        "| a | b |\n|---|--:|\n| 1 | 2 |\n\n```cpp\nint x = 1 < 2;\n```\n\n- item <b>raw</b>\n- www.example.com\n\n";
  }
  return body;
}

void BM_MarkdownRenderShort(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(render_html(kShort, kResolved));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kShort.size()));
}
BENCHMARK(BM_MarkdownRenderShort);

void BM_MarkdownScanAndRenderShort(benchmark::State& state) {
  for (auto _ : state) {
    const Document document = Document::parse(kShort);
    benchmark::DoNotOptimize(document.mentions());
    benchmark::DoNotOptimize(document.render_html(kResolved));
  }
}
BENCHMARK(BM_MarkdownScanAndRenderShort);

void BM_MarkdownRenderLong(benchmark::State& state) {
  const std::string body = long_body();
  for (auto _ : state) benchmark::DoNotOptimize(render_html(body, kResolved));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_MarkdownRenderLong);

// Parsing is serialized process-wide (cmark-gfm's global state): how it scales across threads.
void BM_MarkdownRenderShortThreads(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(render_html(kShort, kResolved));
}
BENCHMARK(BM_MarkdownRenderShortThreads)->ThreadRange(1, 4)->UseRealTime();

}  // namespace
