#include "core/validation.hpp"

#include <boost/json/serialize.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace parley {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// The AppError thrown by `f`; fails the test when nothing is thrown.
AppError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const AppError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an AppError";
  return AppError::internal("no error");
}

// The field errors that reading `body` with `read` produces at finish().
FieldErrors errors_of(std::string_view body, const std::function<void(ObjectReader&)>& read) {
  const boost::json::value value = parse_json_body(body);
  ObjectReader in(value);
  read(in);
  const AppError e = error_of([&] { in.finish(); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.code(), "validation_failed");
  return e.field_errors();
}

// The errors for one string field read with `rules`.
std::vector<std::string> string_errors(std::string_view body, const StringRules& rules) {
  return errors_of(body, [&](ObjectReader& in) { in.string("s", rules); })["s"];
}

// ----- parse_json_body ----------------------------------------------------------------------

TEST(ParseJsonBody, ParsesAValidDocument) {
  const auto v = parse_json_body(R"( {"a": [1, "x", null, true]} )");
  EXPECT_EQ(v.at("a").at(1).as_string(), "x");
}

TEST(ParseJsonBody, EmptyOrWhitespaceBodyIsRefused) {
  for (std::string_view body : {"", "  \r\n\t"}) {
    const AppError e = error_of([&] { parse_json_body(body); });
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "malformed_json");
    EXPECT_EQ(e.public_message(), "Request body is empty.");
  }
}

std::string parse_failure(std::string_view body) {
  const AppError e = error_of([&] { parse_json_body(body); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.code(), "malformed_json");
  return e.public_message();
}

TEST(ParseJsonBody, TruncatedReportsUnexpectedEndAtTheEnd) {
  EXPECT_EQ(parse_failure(R"({"name": "a)"), "Malformed JSON: unexpected end at offset 11.");
  EXPECT_EQ(parse_failure(R"({"a": 1)"), "Malformed JSON: unexpected end at offset 7.");
}

TEST(ParseJsonBody, TrailingGarbageIsRefused) {
  EXPECT_EQ(parse_failure(R"({"a": 1} x)"), "Malformed JSON: unexpected data after the JSON value at offset 9.");
  EXPECT_THAT(parse_failure("{} {}"), HasSubstr("unexpected data after the JSON value"));
  EXPECT_NO_THROW(parse_json_body("{}  \n"));
}

TEST(ParseJsonBody, SyntaxErrorsCommentsAndTrailingCommasAreRefused) {
  EXPECT_EQ(parse_failure("[1,]"), "Malformed JSON: syntax error at offset 3.");
  EXPECT_THAT(parse_failure(R"({"a": 1,})"), HasSubstr("syntax error"));
  EXPECT_THAT(parse_failure("// c\n{}"), HasSubstr("syntax error"));
  EXPECT_THAT(parse_failure("{'a': 1}"), HasSubstr("syntax error"));
  EXPECT_THAT(parse_failure("NaN"), HasSubstr("syntax error"));
}

TEST(ParseJsonBody, InvalidUtf8IsRefused) {
  EXPECT_EQ(parse_failure("[\"\xff\"]"), "Malformed JSON: invalid UTF-8 at offset 2.");
  EXPECT_THAT(parse_failure("[\"\xc0\xaf\"]"), HasSubstr("invalid UTF-8"));      // overlong '/'
  EXPECT_THAT(parse_failure("[\"\xed\xa0\x80\"]"), HasSubstr("invalid UTF-8"));  // encoded surrogate
  EXPECT_THAT(parse_failure("[\"\xe2\x82\"]"), HasSubstr("Malformed JSON"));     // truncated sequence
  EXPECT_THAT(parse_failure(R"(["\udc00"])"), HasSubstr("Malformed JSON"));       // lone trailing surrogate
  EXPECT_THAT(parse_failure(R"(["\ud800"])"), HasSubstr("Malformed JSON"));       // lone leading surrogate
  EXPECT_EQ(parse_json_body("[\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]").at(0).as_string(), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(parse_json_body(R"(["\ud83d\ude00"])").at(0).as_string(), "\xf0\x9f\x98\x80");
}

TEST(ParseJsonBody, NestingIsLimitedTo32Levels) {
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_NO_THROW(parse_json_body(ok));
  const std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_THAT(parse_failure(deep), HasSubstr("nesting deeper than 32 levels"));
  EXPECT_THAT(parse_failure(std::string(100000, '[')), HasSubstr("nesting deeper than 32 levels"));
}

// ----- ObjectReader: shape ------------------------------------------------------------------

TEST(ObjectReader, NonObjectBodyIsANonFieldError) {
  for (std::string_view body : {"[]", "1", "\"x\"", "null", "true"}) {
    const FieldErrors errors = errors_of(body, [](ObjectReader& in) {
      EXPECT_TRUE(in.string("name", {.required = true}).is_absent());
      EXPECT_TRUE(in.integer("n").is_absent());
    });
    EXPECT_THAT(errors, ElementsAre(Pair("non_field_errors", ElementsAre("Expected a JSON object."))));
  }
}

TEST(ObjectReader, ValidInputFinishesAndYieldsValues) {
  const auto value = parse_json_body(
      R"({"username": "ada_99", "email": " Ada@Example.COM ", "age": 36, "kind": "group", "muted": false,
          "member_ids": [3, 1, 2], "settings": {"timezone": "Europe/Paris"}})");
  ObjectReader in(value);
  static const Pattern kUsername(R"([a-z0-9_]+)");
  auto name = in.string("username", {.required = true, .min_length = 3, .max_length = 32, .pattern = &kUsername});
  auto email = in.email("email", {.required = true});
  auto age = in.integer("age", {.min = 0, .max = 150});
  auto kind = in.enumeration("kind", {"direct", "group", "channel"}, {.required = true});
  auto muted = in.boolean("muted");
  auto ids = in.integer_list("member_ids", {.max_items = 100, .min = 1});
  auto settings = in.object("settings");
  ASSERT_TRUE(settings);
  auto timezone = settings->string("timezone", {.required = true});
  auto absent = in.string("nickname");
  EXPECT_NO_THROW(in.finish());
  EXPECT_FALSE(in.has_errors());
  EXPECT_EQ(*name, "ada_99");
  EXPECT_EQ(*email, "Ada@example.com");
  EXPECT_EQ(*age, 36);
  EXPECT_EQ(*kind, "group");
  EXPECT_EQ(muted.value(), false);
  EXPECT_THAT(*ids, ElementsAre(3, 1, 2));
  EXPECT_EQ(*timezone, "Europe/Paris");
  EXPECT_TRUE(absent.is_absent());
  EXPECT_FALSE(absent);
  EXPECT_EQ(absent.value_or("none"), "none");
}

TEST(ObjectReader, CollectsEveryErrorAtOnce) {
  const FieldErrors errors = errors_of(R"({"username": "A", "age": -1, "kind": "x", "muted": 1, "extra": 0})",
                                       [](ObjectReader& in) {
                                         in.string("username", {.required = true, .min_length = 3});
                                         in.email("email", {.required = true});
                                         in.integer("age", {.min = 0, .max = 150});
                                         in.enumeration("kind", {"direct", "group"});
                                         in.boolean("muted");
                                       });
  EXPECT_THAT(errors, UnorderedElementsAre(
                          Pair("username", ElementsAre("Ensure this field has at least 3 characters.")),
                          Pair("email", ElementsAre("This field is required.")),
                          Pair("age", ElementsAre("Ensure this value is greater than or equal to 0.")),
                          Pair("kind", ElementsAre("\"x\" is not a valid choice.")),
                          Pair("muted", ElementsAre("Must be a valid boolean.")),
                          Pair("extra", ElementsAre("Unknown field."))));
}

TEST(ObjectReader, UnknownFieldsAreRejected) {
  const FieldErrors errors = errors_of(R"({"a": 1, "b": 2, "c": 3})", [](ObjectReader& in) { in.integer("b"); });
  EXPECT_THAT(errors, UnorderedElementsAre(Pair("a", ElementsAre("Unknown field.")),
                                           Pair("c", ElementsAre("Unknown field."))));
}

TEST(ObjectReader, AFieldWithAnErrorIsNotAlsoUnknown) {
  const FieldErrors errors = errors_of(R"({"a": "x"})", [](ObjectReader& in) { in.integer("a"); });
  EXPECT_THAT(errors, ElementsAre(Pair("a", ElementsAre("A valid integer is required."))));
}

TEST(ObjectReader, RawMarksTheFieldKnown) {
  const auto value = parse_json_body(R"({"meta": {"any": [1]}, "n": null})");
  ObjectReader in(value);
  const boost::json::value* meta = in.raw("meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_TRUE(meta->is_object());
  const boost::json::value* n = in.raw("n");
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->is_null());
  EXPECT_EQ(in.raw("missing"), nullptr);
  EXPECT_NO_THROW(in.finish());
}

TEST(ObjectReader, CustomErrorsJoinTheCollection) {
  const FieldErrors errors = errors_of(R"({"settings": {"a": 1}})", [](ObjectReader& in) {
    auto settings = in.object("settings");
    settings->integer("a");
    settings->add_error("a", "Must differ from b.");
    in.add_error("non_field_errors", "Passwords do not match.");
  });
  EXPECT_THAT(errors, UnorderedElementsAre(Pair("settings.a", ElementsAre("Must differ from b.")),
                                           Pair("non_field_errors", ElementsAre("Passwords do not match."))));
}

// ----- required / null ----------------------------------------------------------------------

TEST(ObjectReader, RequiredAndNull) {
  const FieldErrors errors = errors_of(R"({"b": null, "c": null})", [](ObjectReader& in) {
    EXPECT_TRUE(in.string("a", {.required = true}).is_absent());
    EXPECT_TRUE(in.integer("b").is_absent());  // null refused: the field is absent, with an error
    auto c = in.integer("c", {.nullable = true});
    EXPECT_TRUE(c.is_null());
    EXPECT_FALSE(c.has_value());
    EXPECT_FALSE(c.is_absent());
  });
  EXPECT_THAT(errors, UnorderedElementsAre(Pair("a", ElementsAre("This field is required.")),
                                           Pair("b", ElementsAre("This field may not be null."))));
}

TEST(ObjectReader, NullableDistinguishesAbsentNullAndValue) {
  const auto value = parse_json_body(R"({"topic": null, "title": "x"})");
  ObjectReader in(value);
  auto topic = in.string("topic", {.nullable = true});
  auto title = in.string("title", {.nullable = true});
  auto description = in.string("description", {.nullable = true});
  in.finish();
  EXPECT_TRUE(topic.is_null());
  EXPECT_TRUE(title.has_value());
  EXPECT_EQ(*title, "x");
  EXPECT_TRUE(description.is_absent());
  EXPECT_EQ(std::move(title).to_optional(), std::optional<std::string>("x"));
}

TEST(ObjectReader, RequiredNullableAcceptsNullButNotAbsence) {
  const FieldErrors errors = errors_of(R"({"a": null})", [](ObjectReader& in) {
    EXPECT_TRUE(in.boolean("a", {.required = true, .nullable = true}).is_null());
    in.boolean("b", {.required = true, .nullable = true});
  });
  EXPECT_THAT(errors, ElementsAre(Pair("b", ElementsAre("This field is required."))));
}

// ----- strings ------------------------------------------------------------------------------

TEST(StringField, RefusesNonStrings) {
  for (std::string_view body : {R"({"s": 1})", R"({"s": true})", R"({"s": []})", R"({"s": {}})"}) {
    EXPECT_THAT(string_errors(body, {}), ElementsAre("Not a valid string.")) << body;
  }
}

TEST(StringField, LengthsCountCodePoints) {
  // "h\u00e9llo" is 5 code points in 6 bytes; the emoji is 1 code point in 4 bytes.
  const auto value = parse_json_body("{\"s\": \"h\xc3\xa9llo\", \"e\": \"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}");
  ObjectReader in(value);
  EXPECT_EQ(*in.string("s", {.min_length = 5, .max_length = 5}), "h\xc3\xa9llo");
  EXPECT_EQ(*in.string("e", {.min_length = 2, .max_length = 2}), "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
  EXPECT_NO_THROW(in.finish());
  EXPECT_THAT(string_errors("{\"s\": \"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}", {.min_length = 3}),
              ElementsAre("Ensure this field has at least 3 characters."));
  EXPECT_THAT(string_errors("{\"s\": \"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}", {.max_length = 2}),
              ElementsAre("Ensure this field has no more than 2 characters."));
}

TEST(StringField, ExactBoundsAreAccepted) {
  const auto value = parse_json_body(R"({"a": "abc", "b": "abcdefgh"})");
  ObjectReader in(value);
  EXPECT_EQ(*in.string("a", {.min_length = 3, .max_length = 8}), "abc");
  EXPECT_EQ(*in.string("b", {.min_length = 3, .max_length = 8}), "abcdefgh");
  EXPECT_NO_THROW(in.finish());
}

TEST(StringField, BlankIsRefusedUnlessAllowed) {
  EXPECT_THAT(string_errors(R"({"s": ""})", {}), ElementsAre("This field may not be blank."));
  EXPECT_THAT(string_errors(R"({"s": "   "})", {.trim = true}), ElementsAre("This field may not be blank."));
  const auto value = parse_json_body(R"({"s": ""})");
  ObjectReader in(value);
  EXPECT_EQ(in.string("s", {.allow_blank = true}).value(), "");
  EXPECT_NO_THROW(in.finish());
}

TEST(StringField, TrimIsOptIn) {
  const auto value = parse_json_body(R"({"a": "  hi\n", "b": "  hi\n"})");
  ObjectReader in(value);
  EXPECT_EQ(*in.string("a", {.trim = true}), "hi");
  EXPECT_EQ(*in.string("b"), "  hi\n");
  EXPECT_NO_THROW(in.finish());
}

TEST(StringField, NulIsAlwaysRefused) {
  EXPECT_THAT(string_errors(R"({"s": "a\u0000b"})", {.allow_control = true}),
              ElementsAre("Null characters are not allowed."));
  EXPECT_THAT(string_errors(R"({"s": "a\u0000b"})", {}), ElementsAre("Null characters are not allowed."));
}

TEST(StringField, ControlCharacters) {
  EXPECT_THAT(string_errors(R"({"s": "a\u0007b"})", {}), ElementsAre("Control characters are not allowed."));
  EXPECT_THAT(string_errors(R"({"s": "a\u001bb"})", {}), ElementsAre("Control characters are not allowed."));
  EXPECT_THAT(string_errors(R"({"s": "a\u007fb"})", {}), ElementsAre("Control characters are not allowed."));
  EXPECT_THAT(string_errors(R"({"s": "a\u0085b"})", {}), ElementsAre("Control characters are not allowed."));
  const auto value = parse_json_body(R"({"a": "x\ty\r\nz", "b": "a\u0007b", "c": "\u00e9\u00a0"})");
  ObjectReader in(value);
  EXPECT_EQ(*in.string("a"), "x\ty\r\nz");
  EXPECT_EQ(*in.string("b", {.allow_control = true}), "a\ab");
  EXPECT_EQ(*in.string("c"), "\xc3\xa9\xc2\xa0");  // é and NBSP are not controls
  EXPECT_NO_THROW(in.finish());
}

TEST(StringField, SingleLineRefusesLineBreaks) {
  EXPECT_THAT(string_errors(R"({"s": "a\nb"})", {.single_line = true}), ElementsAre("Line breaks are not allowed."));
  EXPECT_THAT(string_errors(R"({"s": "a\rb"})", {.single_line = true}), ElementsAre("Line breaks are not allowed."));
  const auto value = parse_json_body(R"({"s": "a\tb"})");
  ObjectReader in(value);
  EXPECT_EQ(*in.string("s", {.single_line = true}), "a\tb");
  EXPECT_NO_THROW(in.finish());
}

TEST(StringField, Pattern) {
  const Pattern plain(R"([a-z0-9_]+)");
  const Pattern custom(R"([a-z]+)", "Only lowercase letters.");
  EXPECT_THAT(string_errors(R"({"s": "Ada"})", {.pattern = &plain}),
              ElementsAre("This value does not match the required pattern."));
  EXPECT_THAT(string_errors(R"({"s": "ada1"})", {.pattern = &custom}), ElementsAre("Only lowercase letters."));
  // The whole value must match, not a substring.
  EXPECT_THAT(string_errors(R"({"s": "ada!"})", {.pattern = &plain}), ElementsAre(plain.message()));
  // A value that failed the length check is not matched against the pattern.
  EXPECT_THAT(string_errors(R"({"s": "ADA"})", {.max_length = 2, .pattern = &plain}),
              ElementsAre("Ensure this field has no more than 2 characters."));
  EXPECT_TRUE(plain.matches("ada_1"));
  EXPECT_FALSE(plain.matches(std::string(Pattern::kMaxInputBytes + 1, 'a')));
  EXPECT_THROW(Pattern("[unclosed"), std::regex_error);
}

TEST(StringField, SeveralErrorsOnOneField) {
  const Pattern plain(R"([a-z]+)");
  EXPECT_THAT(string_errors(R"({"s": "a\u0007b"})", {.min_length = 5, .pattern = &plain}),
              ElementsAre("Control characters are not allowed.", "Ensure this field has at least 5 characters."));
}

// ----- email --------------------------------------------------------------------------------

TEST(EmailField, AcceptsAndNormalises) {
  const auto value = parse_json_body(
      R"({"a": "  john.doe+tag@Mail.Example.ORG\t", "b": "x@a-b.io", "c": "O'Brien@xn--bcher-kva.de"})");
  ObjectReader in(value);
  EXPECT_EQ(*in.email("a"), "john.doe+tag@mail.example.org");
  EXPECT_EQ(*in.email("b"), "x@a-b.io");
  EXPECT_EQ(*in.email("c"), "O'Brien@xn--bcher-kva.de");
  EXPECT_NO_THROW(in.finish());
}

TEST(EmailField, RefusesInvalidAddresses) {
  const std::string long_local(65, 'a');
  const std::string long_label(64, 'b');
  const std::string long_total = std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') +
                                 "." + std::string(63, 'd') + ".com";  // 259 characters
  for (const std::string& address :
       {std::string("plain"), std::string("@example.com"), std::string("a@"), std::string("a@b@example.com"),
        std::string("a b@example.com"), std::string("a@exa mple.com"), std::string("a@localhost"),
        std::string(".a@example.com"), std::string("a.@example.com"), std::string("a..b@example.com"),
        std::string("a@-example.com"), std::string("a@example-.com"), std::string("a@example..com"),
        std::string("a@example.com."), std::string("a@1.2.3.4"), std::string("\"a\"@example.com"),
        std::string("a@ex_ample.com"), std::string("j\xc3\xb6rg@example.com"), std::string("a@b\xc3\xbc" "cher.de"),
        long_local + "@example.com", "a@" + long_label + ".com", long_total}) {
    boost::json::object body;
    body["e"] = address;
    const FieldErrors errors =
        errors_of(boost::json::serialize(body), [](ObjectReader& in) { in.email("e"); });
    EXPECT_THAT(errors, ElementsAre(Pair("e", ElementsAre("Enter a valid email address.")))) << address;
  }
  EXPECT_THAT(errors_of(R"({"e": 5})", [](ObjectReader& in) { in.email("e"); })["e"],
              ElementsAre("Not a valid string."));
  EXPECT_THAT(errors_of(R"({"e": " "})", [](ObjectReader& in) { in.email("e"); })["e"],
              ElementsAre("This field may not be blank."));
}

// ----- integers -----------------------------------------------------------------------------

std::vector<std::string> integer_errors(std::string_view number, const IntRules& rules = {}) {
  return errors_of("{\"n\": " + std::string(number) + "}", [&](ObjectReader& in) { in.integer("n", rules); })["n"];
}

std::int64_t integer_value(std::string_view number) {
  const auto value = parse_json_body("{\"n\": " + std::string(number) + "}");
  ObjectReader in(value);
  auto n = in.integer("n");
  in.finish();
  return *n;
}

TEST(IntegerField, AcceptsJsonIntegersOnly) {
  EXPECT_EQ(integer_value("0"), 0);
  EXPECT_EQ(integer_value("-0"), 0);
  EXPECT_EQ(integer_value("-42"), -42);
  for (std::string_view bad : {"1.5", "1.0", "1e2", "\"1\"", "true", "[1]", "{}"}) {
    EXPECT_THAT(integer_errors(bad), ElementsAre("A valid integer is required.")) << bad;
  }
}

TEST(IntegerField, Bounds) {
  EXPECT_THAT(integer_errors("151", {.min = 0, .max = 150}),
              ElementsAre("Ensure this value is less than or equal to 150."));
  EXPECT_THAT(integer_errors("-1", {.min = 0, .max = 150}),
              ElementsAre("Ensure this value is greater than or equal to 0."));
  const auto value = parse_json_body(R"({"a": 0, "b": 150})");
  ObjectReader in(value);
  EXPECT_EQ(*in.integer("a", {.min = 0, .max = 150}), 0);
  EXPECT_EQ(*in.integer("b", {.min = 0, .max = 150}), 150);
  EXPECT_NO_THROW(in.finish());
}

TEST(IntegerField, BigNumbersAreLimitedToTheSafeRange) {
  EXPECT_EQ(integer_value("9007199254740991"), kMaxSafeInteger);
  EXPECT_EQ(integer_value("-9007199254740991"), -kMaxSafeInteger);
  EXPECT_THAT(integer_errors("9007199254740992"),
              ElementsAre("Ensure this value is less than or equal to 9007199254740991."));
  EXPECT_THAT(integer_errors("-9007199254740992"),
              ElementsAre("Ensure this value is greater than or equal to -9007199254740991."));
  EXPECT_THAT(integer_errors("9223372036854775807"),
              ElementsAre("Ensure this value is less than or equal to 9007199254740991."));
  EXPECT_THAT(integer_errors("18446744073709551615"),  // uint64 in Boost.JSON
              ElementsAre("Ensure this value is less than or equal to 9007199254740991."));
  // Beyond uint64 Boost.JSON produces a double: not an integer any more.
  EXPECT_THAT(integer_errors("100000000000000000000"), ElementsAre("A valid integer is required."));
  EXPECT_THAT(integer_errors("-9223372036854775809"), ElementsAre("A valid integer is required."));
  // A rule bound tighter than the safe range wins in the message.
  EXPECT_THAT(integer_errors("9223372036854775807", {.max = 10}),
              ElementsAre("Ensure this value is less than or equal to 10."));
}

TEST(BooleanField, JsonBooleansOnly) {
  for (std::string_view bad : {"1", "0", "\"true\"", "\"false\""}) {
    EXPECT_THAT(errors_of("{\"b\": " + std::string(bad) + "}", [](ObjectReader& in) { in.boolean("b"); })["b"],
                ElementsAre("Must be a valid boolean."))
        << bad;
  }
  const auto value = parse_json_body(R"({"t": true, "f": false})");
  ObjectReader in(value);
  EXPECT_TRUE(*in.boolean("t"));
  EXPECT_FALSE(*in.boolean("f"));
  EXPECT_NO_THROW(in.finish());
}

// ----- enumeration --------------------------------------------------------------------------

TEST(EnumerationField, ChoicesAreExact) {
  auto read = [](ObjectReader& in) { in.enumeration("k", {"direct", "group", "channel"}, {.required = true}); };
  EXPECT_THAT(errors_of(R"({"k": "Group"})", read)["k"], ElementsAre("\"Group\" is not a valid choice."));
  EXPECT_THAT(errors_of(R"({"k": 1})", read)["k"], ElementsAre("Not a valid string."));
  EXPECT_THAT(errors_of(R"({})", read)["k"], ElementsAre("This field is required."));
  const std::string long_choice(100, 'x');
  EXPECT_THAT(errors_of("{\"k\": \"" + long_choice + "\"}", read)["k"],
              ElementsAre("\"" + std::string(64, 'x') + "...\" is not a valid choice."));

  static constexpr std::string_view kChoices[] = {"a", "b"};
  const auto value = parse_json_body(R"({"k": "channel", "l": "b"})");
  ObjectReader in(value);
  EXPECT_EQ(*in.enumeration("k", {"direct", "group", "channel"}), "channel");
  EXPECT_EQ(*in.enumeration("l", kChoices), "b");
  EXPECT_NO_THROW(in.finish());
}

// ----- integer lists ------------------------------------------------------------------------

TEST(IntegerListField, ValidatesShapeCountAndItems) {
  auto read = [](ObjectReader& in) { in.integer_list("ids", {.min_items = 1, .max_items = 3, .min = 1}); };
  EXPECT_THAT(errors_of(R"({"ids": "1,2"})", read)["ids"],
              ElementsAre("Expected a list of items but got type \"string\"."));
  EXPECT_THAT(errors_of(R"({"ids": []})", read)["ids"], ElementsAre("Ensure this field has at least 1 elements."));
  EXPECT_THAT(errors_of(R"({"ids": [1, 2, 3, "x"]})", read),
              ElementsAre(Pair("ids", ElementsAre("Ensure this field has no more than 3 elements."))));
  EXPECT_THAT(errors_of(R"({"ids": [1, 0, "2"]})", read),
              UnorderedElementsAre(Pair("ids.1", ElementsAre("Ensure this value is greater than or equal to 1.")),
                                   Pair("ids.2", ElementsAre("A valid integer is required."))));
  EXPECT_THAT(errors_of(R"({"ids": [null]})", read),
              ElementsAre(Pair("ids.0", ElementsAre("This field may not be null."))));
}

TEST(IntegerListField, UniqueAndValues) {
  EXPECT_THAT(errors_of(R"({"ids": [1, 2, 1]})", [](ObjectReader& in) { in.integer_list("ids", {.unique = true}); }),
              ElementsAre(Pair("ids", ElementsAre("Duplicate values are not allowed."))));
  const auto value = parse_json_body(R"({"ids": [5, 9007199254740991], "none": []})");
  ObjectReader in(value);
  EXPECT_THAT(*in.integer_list("ids", {.unique = true}), ElementsAre(5, kMaxSafeInteger));
  EXPECT_THAT(*in.integer_list("none"), IsEmpty());
  EXPECT_NO_THROW(in.finish());
}

// ----- nested objects -----------------------------------------------------------------------

TEST(NestedObject, ErrorsUseDottedPaths) {
  const FieldErrors errors = errors_of(
      R"({"settings": {"timezone": 5, "theme": "x", "notify": {"email": "nope", "extra": 1}}, "other": 1})",
      [](ObjectReader& in) {
        auto settings = in.object("settings", {.required = true});
        ASSERT_TRUE(settings);
        settings->string("timezone", {.required = true});
        settings->string("locale", {.required = true});
        auto notify = settings->object("notify");
        ASSERT_TRUE(notify);
        notify->email("email");
        EXPECT_THROW(notify->finish(), AppError);  // finish belongs to the root
      });
  EXPECT_THAT(errors, UnorderedElementsAre(Pair("settings.timezone", ElementsAre("Not a valid string.")),
                                           Pair("settings.locale", ElementsAre("This field is required.")),
                                           Pair("settings.theme", ElementsAre("Unknown field.")),
                                           Pair("settings.notify.email", ElementsAre("Enter a valid email address.")),
                                           Pair("settings.notify.extra", ElementsAre("Unknown field.")),
                                           Pair("other", ElementsAre("Unknown field."))));
}

TEST(NestedObject, ShapeAndNull) {
  EXPECT_THAT(errors_of(R"({"s": [1]})", [](ObjectReader& in) { in.object("s"); }),
              ElementsAre(Pair("s", ElementsAre("Expected a JSON object."))));
  EXPECT_THAT(errors_of(R"({})", [](ObjectReader& in) { in.object("s", {.required = true}); }),
              ElementsAre(Pair("s", ElementsAre("This field is required."))));
  const auto value = parse_json_body(R"({"s": null, "t": {"a": 1}})");
  ObjectReader in(value);
  EXPECT_TRUE(in.object("s", {.nullable = true}).is_null());
  // Reading the same object twice shares one scope, so "a" is known to the finish() check.
  in.object("t")->integer("a");
  in.object("t");
  EXPECT_NO_THROW(in.finish());
}

// ----- query parameters ---------------------------------------------------------------------

FieldErrors query_errors(const std::function<void()>& f) {
  const AppError e = error_of(f);
  EXPECT_EQ(e.code(), "validation_failed");
  return e.field_errors();
}

TEST(QueryParam, DecodesAndFindsParameters) {
  EXPECT_EQ(query_param("q=hello+world%21&limit=5", "q"), "hello world!");
  EXPECT_EQ(query_param("q=1&flag", "flag"), "");
  EXPECT_EQ(query_param("q=1", "limit"), std::nullopt);
  EXPECT_EQ(query_param("", "limit"), std::nullopt);
  EXPECT_THAT(query_errors([] { query_param("a=1&a=2", "a"); }),
              ElementsAre(Pair("a", ElementsAre("Specify this parameter at most once."))));
  const AppError e = error_of([] { query_param("a=%zz", "a"); });
  EXPECT_EQ(e.code(), "malformed_query");
  EXPECT_EQ(e.status(), 400);
}

TEST(QueryInt, ParsesWithinBounds) {
  EXPECT_EQ(query_int("limit=50&after=10", "limit", {.min = 1, .max = 200}), 50);
  EXPECT_EQ(query_int("after=-3", "after"), -3);
  EXPECT_EQ(query_int("after=3", "limit", {.min = 1, .max = 200}).value_or(50), 50);
  EXPECT_EQ(query_int("before=9007199254740991", "before"), kMaxSafeInteger);
}

TEST(QueryInt, RefusesBadValuesNamingTheParameter) {
  for (std::string_view bad : {"limit=", "limit=abc", "limit=1.5", "limit=+5", "limit=%205", "limit=5x", "limit=-"}) {
    EXPECT_THAT(query_errors([&] { query_int(bad, "limit"); }),
                ElementsAre(Pair("limit", ElementsAre("A valid integer is required."))))
        << bad;
  }
  EXPECT_THAT(query_errors([] { query_int("limit=201", "limit", {.min = 1, .max = 200}); }),
              ElementsAre(Pair("limit", ElementsAre("Ensure this value is less than or equal to 200."))));
  EXPECT_THAT(query_errors([] { query_int("limit=0", "limit", {.min = 1, .max = 200}); }),
              ElementsAre(Pair("limit", ElementsAre("Ensure this value is greater than or equal to 1."))));
  EXPECT_THAT(query_errors([] { query_int("id=99999999999999999999", "id"); }),
              ElementsAre(Pair("id", ElementsAre("Ensure this value is less than or equal to 9007199254740991."))));
  EXPECT_THAT(query_errors([] { query_int("id=-99999999999999999999", "id"); }),
              ElementsAre(Pair("id", ElementsAre("Ensure this value is greater than or equal to -9007199254740991."))));
  EXPECT_THAT(query_errors([] { query_int("id=9007199254740992", "id"); }),
              ElementsAre(Pair("id", ElementsAre("Ensure this value is less than or equal to 9007199254740991."))));
  EXPECT_THAT(query_errors([] { query_int("x=1", "limit", {.required = true}); }),
              ElementsAre(Pair("limit", ElementsAre("This field is required."))));
}

}  // namespace
}  // namespace parley
