#include "messaging/input_rules.hpp"

#include "messaging/messages.hpp"

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

// The send and edit rules every API shares (Messages::send/edit throw them; REST adds them to its
// shape errors), with REST's wording.
TEST(InputRules, SendInputErrorsNameEveryBrokenRule) {
  EXPECT_TRUE(send_input_errors(SendInput{.body = "hi"}).empty());
  EXPECT_TRUE(send_input_errors(SendInput{.body = "", .attachment_ids = {1}}).empty());
  EXPECT_EQ(send_input_errors(SendInput{.has_body = false}).at("body"),
            std::vector<std::string>{"This field is required."});
  EXPECT_TRUE(send_input_errors(SendInput{.has_body = false, .attachment_ids = {1}}).empty());
  EXPECT_EQ(send_input_errors(SendInput{.body = " \n"}).at("body"),
            std::vector<std::string>{"This field may not be blank."});
  EXPECT_EQ(send_input_errors(SendInput{.body = std::string(10'001, 'x')}).at("body"),
            std::vector<std::string>{"Ensure this field has no more than 10000 characters."});
  auto errors = send_input_errors(
      SendInput{.body = "x", .client_msg_id = "a b", .attachment_ids = {3, 1, 3}});
  EXPECT_EQ(errors.at("client_msg_id"), std::vector<std::string>{"Use 1 to 64 visible ASCII characters."});
  EXPECT_EQ(errors.at("attachment_ids"), std::vector<std::string>{"Duplicate values are not allowed."});
  EXPECT_EQ(send_input_errors(SendInput{.body = "x", .client_msg_id = ""}).at("client_msg_id"),
            std::vector<std::string>{"This field may not be blank."});
  EXPECT_EQ(send_input_errors(SendInput{.body = "x", .client_msg_id = std::string(65, 'c')}).at("client_msg_id"),
            std::vector<std::string>{"Ensure this field has no more than 64 characters."});
  EXPECT_EQ(send_input_errors(SendInput{.body = "x", .attachment_ids = std::vector<std::int64_t>(11, 1)})
                .at("attachment_ids"),
            std::vector<std::string>{"Ensure this field has no more than 10 elements."});
  EXPECT_TRUE(edit_input_errors("edited").empty());
  EXPECT_EQ(edit_input_errors("").at("body"), std::vector<std::string>{"This field may not be blank."});
}

}  // namespace
}  // namespace parley::messaging
