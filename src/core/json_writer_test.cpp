#include "core/json_writer.hpp"
#include "core/json_dom_writer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

namespace parley::core {
namespace {

TEST(JsonWriterTest, NestsContainersWithCommasWhereTheyBelong) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("id");
  w.value(std::int64_t{-42});
  w.key("list");
  w.begin_array();
  w.value(true);
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.value(nullptr);
  w.end_array();
  w.key("maybe");
  w.value(std::optional<std::int64_t>{});
  w.key("some");
  w.value(std::optional<std::string>{"x"});
  w.key("raw");
  w.raw(R"({"a":[1,2]})");
  w.end_object();
  EXPECT_EQ(out, R"({"id":-42,"list":[true,{},[],null],"maybe":null,"some":"x","raw":{"a":[1,2]}})");
  EXPECT_NO_THROW(boost::json::parse(out));
}

// The same calls on both writers: the DOM writer's value serializes to the text writer's text.
template <typename Writer>
void write_sample(Writer& w) {
  w.begin_object();
  w.key("id");
  w.value(std::int64_t{-42});
  w.key("display_name");
  w.value("Ann \"A\" \xC3\xA9");
  w.key("parent_id");
  w.value(std::optional<std::int64_t>{});
  w.key("reply_count");
  w.value(std::optional<int>{3});
  w.key("reactions");
  w.begin_array();
  w.begin_object();
  w.key("me");
  w.value(true);
  w.key("emoji_list");
  w.begin_array();
  w.end_array();
  w.end_object();
  w.value(nullptr);
  w.dom(boost::json::parse(R"({"content_type":"text/plain","size_bytes":[1,{"a_b":false}]})"));
  w.end_array();
  w.key("empty");
  w.begin_object();
  w.end_object();
  w.end_object();
}

TEST(JsonDomWriterTest, BuildsWhatJsonWriterWritesInBothKeyCases) {
  for (KeyCase keys : {KeyCase::as_written, KeyCase::camel}) {
    std::string text;
    JsonWriter tw(text, keys);
    write_sample(tw);
    JsonDomWriter dw({}, keys);
    write_sample(dw);
    EXPECT_EQ(boost::json::serialize(dw.release()), text);
  }
  std::string text;
  JsonWriter tw(text, KeyCase::camel);
  write_sample(tw);
  EXPECT_NE(text.find(R"("contentType":"text/plain")"), std::string::npos);
}

TEST(JsonDomWriterTest, BuildsInTheGivenStorage) {
  auto storage = boost::json::make_shared_resource<boost::json::monotonic_resource>();
  JsonDomWriter w(storage);
  write_sample(w);
  boost::json::value v = w.release();
  EXPECT_EQ(v.storage().get(), storage.get());
  EXPECT_EQ(v.at("reactions").storage().get(), storage.get());
  EXPECT_TRUE(w.release().is_null());
}

TEST(JsonWriterTest, EscapesStringsLikeBoostJson) {
  const std::string tricky = std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' +
                             " bell \x07 del \x7f unicode é 😀 </script>";
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key(tricky);
  w.value(tricky);
  w.end_object();
  auto parsed = boost::json::parse(out).as_object();
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed.begin()->key(), tricky);
  EXPECT_EQ(parsed.begin()->value().as_string(), tricky);
  EXPECT_EQ(out.find('\n'), std::string::npos) << "control characters are escaped";
}

TEST(JsonWriterTest, EscapesEveryByteAtEveryOffsetOfAWord) {
  // Each escapable byte at each position of strings long enough for whole-word skipping.
  for (int c = 0; c < 0x80; ++c) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string text(19, 'a');
      text[at] = static_cast<char>(c);
      std::string out;
      append_json_string(out, text);
      EXPECT_EQ(boost::json::parse(out).as_string(), text) << "byte " << c << " at " << at;
      EXPECT_EQ(out, boost::json::serialize(boost::json::string(text))) << "byte " << c << " at " << at;
    }
  }
}

TEST(JsonWriterTest, WritesTheExtremesOfIntegers) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.value(std::numeric_limits<std::int64_t>::min());
  w.value(std::numeric_limits<std::int64_t>::max());
  w.end_array();
  EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807]");
}

}  // namespace
}  // namespace parley::core
