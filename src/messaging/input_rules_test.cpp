#include "messaging/input_rules.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::messaging {
namespace {

TEST(InputRules, CountsCodePoints) {
  EXPECT_EQ(code_points(""), 0u);
  EXPECT_EQ(code_points("abc"), 3u);
  EXPECT_EQ(code_points("héllo"), 5u);
  EXPECT_EQ(code_points("👍🏽"), 2u);
}

TEST(InputRules, AcceptsShortcodesAndEmojiSequences) {
  for (const char* ok : {"thumbsup", "+1", "-1", "white_check_mark", "👍", "👍🏽", "❤️", "👨‍👩‍👧",
                         "1️⃣", "🇫🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"}) {
    EXPECT_TRUE(is_valid_emoji(ok)) << ok;
  }
}

TEST(InputRules, RejectsWhatIsNotAReaction) {
  const std::string too_long(33, 'a');
  const std::string nul("a\0b", 3);
  for (const std::string& bad :
       {std::string(), too_long, nul, std::string("Thumbsup"), std::string("a b"), std::string("<script>"),
        std::string("../x"), std::string("👍 "), std::string("\xE2\x80\x8B"), std::string("\xFF"),
        std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("👍\n"), std::string(17 * 4, '\0'),
        std::string("👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍")}) {
    EXPECT_FALSE(is_valid_emoji(bad)) << bad;
  }
}

TEST(InputRules, ClientMessageIds) {
  EXPECT_TRUE(is_valid_client_msg_id("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_TRUE(is_valid_client_msg_id("1"));
  EXPECT_FALSE(is_valid_client_msg_id(""));
  EXPECT_FALSE(is_valid_client_msg_id("has space"));
  EXPECT_FALSE(is_valid_client_msg_id("é"));
  EXPECT_FALSE(is_valid_client_msg_id(std::string(65, 'x')));
}

}  // namespace
}  // namespace parley::messaging
