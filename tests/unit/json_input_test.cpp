#include "domain/json_input.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

namespace rihla::domain {
namespace {

void ExpectInvalid(std::string_view body) {
  try {
    ParseJsonObject(body);
    ADD_FAILURE() << "accepted: " << body.substr(0, 80);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest) << body.substr(0, 80);
  }
}

TEST(JsonInput, ParsesAnObject) {
  auto o = ParseJsonObject(R"({"a": 1, "b": {"c": [true, null, "x"]}})");
  EXPECT_EQ(o.at("a").as_int64(), 1);
  EXPECT_EQ(o.at("b").at("c").as_array().size(), 3u);
}

TEST(JsonInput, RejectsMalformedJson) {
  ExpectInvalid("");
  ExpectInvalid("{");
  ExpectInvalid(R"({"a": })");
  ExpectInvalid(R"({"a": 1,})");
  ExpectInvalid(R"({'a': 1})");
  ExpectInvalid(R"({"a": 1} trailing)");
  ExpectInvalid("not json");
}

TEST(JsonInput, RejectsATopLevelThatIsNotAnObject) {
  ExpectInvalid("[]");
  ExpectInvalid("[1, 2]");
  ExpectInvalid("42");
  ExpectInvalid(R"("text")");
  ExpectInvalid("null");
  ExpectInvalid("true");
}

TEST(JsonInput, RejectsVeryDeepNestingWithoutCrashing) {
  std::string arrays = "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  ExpectInvalid(arrays);
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(10000, '}');
  ExpectInvalid(objects);
  EXPECT_FALSE(TryParseJson(arrays));
}

std::string NestedObjects(int depth) {
  std::string s;
  for (int i = 0; i < depth - 1; ++i) s += "{\"a\":";
  s += "{}";
  for (int i = 0; i < depth - 1; ++i) s += "}";
  return s;
}

TEST(JsonInput, AcceptsTwentyLevelsOfNestingButNotTwentyOne) {
  EXPECT_NO_THROW(ParseJsonObject(NestedObjects(20)));
  ExpectInvalid(NestedObjects(21));
}

TEST(JsonInput, AcceptsModestNesting) {
  std::string body = "{\"a\":" + std::string(10, '[') + std::string(10, ']') + "}";
  EXPECT_NO_THROW(ParseJsonObject(body));
}

TEST(JsonInput, RejectsInvalidUtf8) {
  ExpectInvalid("{\"name\": \"\xff\xfe\"}");
  ExpectInvalid("{\"name\": \"\xc3\"}");          // truncated 2-byte sequence
  ExpectInvalid("{\"name\": \"\xc0\xaf\"}");      // overlong encoding of '/'
  ExpectInvalid("{\"name\": \"\xed\xa0\x80\"}");  // UTF-16 surrogate encoded in UTF-8
  ExpectInvalid("{\"\xff\": 1}");
}

TEST(JsonInput, AcceptsValidMultiByteUtf8) {
  auto o = ParseJsonObject("{\"name\": \"\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xf0\x9f\x9b\xab\"}");
  EXPECT_EQ(o.at("name").as_string(), "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xf0\x9f\x9b\xab");
}

TEST(TryParseJson, ParsesAnyValueAndReturnsNulloptWhenInvalid) {
  ASSERT_TRUE(TryParseJson("[1,2]"));
  EXPECT_TRUE(TryParseJson("[1,2]")->is_array());
  EXPECT_TRUE(TryParseJson("7"));
  EXPECT_FALSE(TryParseJson("{"));
  EXPECT_FALSE(TryParseJson(""));
}

TEST(CanonicalJson, IgnoresKeyOrderAndWhitespace) {
  auto a = *TryParseJson(R"({"b": 2, "a": 1})");
  auto b = *TryParseJson("{\n  \"a\" : 1 ,\t\"b\":2\n}");
  EXPECT_EQ(CanonicalJson(a), CanonicalJson(b));
  EXPECT_EQ(CanonicalJson(a), R"({"a":1,"b":2})");
}

TEST(CanonicalJson, SortsKeysOfNestedObjects) {
  auto a = *TryParseJson(R"({"z": {"y": 1, "x": [{"q": 1, "p": 2}]}, "a": null})");
  EXPECT_EQ(CanonicalJson(a), R"({"a":null,"z":{"x":[{"p":2,"q":1}],"y":1}})");
  auto b = *TryParseJson(R"({"a": null, "z": {"x": [{"p": 2, "q": 1}], "y": 1}})");
  EXPECT_EQ(CanonicalJson(a), CanonicalJson(b));
}

TEST(CanonicalJson, KeepsArrayOrderSignificant) {
  EXPECT_NE(CanonicalJson(*TryParseJson("[1,2]")), CanonicalJson(*TryParseJson("[2,1]")));
}

TEST(CanonicalJson, DistinguishesDifferentValues) {
  EXPECT_NE(CanonicalJson(*TryParseJson(R"({"a":1})")), CanonicalJson(*TryParseJson(R"({"a":2})")));
  EXPECT_NE(CanonicalJson(*TryParseJson(R"({"a":1})")), CanonicalJson(*TryParseJson(R"({"a":"1"})")));
  EXPECT_NE(CanonicalJson(*TryParseJson(R"({"a":1})")), CanonicalJson(*TryParseJson(R"({"b":1})")));
}

TEST(CanonicalJson, EscapesStringsAndKeys) {
  auto v = *TryParseJson(R"({"k\"ey": "line\nbreak"})");
  EXPECT_EQ(CanonicalJson(v), R"({"k\"ey":"line\nbreak"})");
}

TEST(FieldReader, ReadsPresentFieldsWithoutErrors) {
  auto o = ParseJsonObject(R"({"name": "Sara", "n": 5, "obj": {}, "arr": []})");
  FieldReader r(o);
  EXPECT_EQ(r.String("name", true), "Sara");
  EXPECT_EQ(r.Integer("n", true, 1, 9), 5);
  EXPECT_NE(r.Object("obj", true), nullptr);
  EXPECT_NE(r.Array("arr", true), nullptr);
  EXPECT_TRUE(r.errors().empty());
  EXPECT_NO_THROW(r.ThrowIfErrors("bad"));
}

TEST(FieldReader, ReportsMissingRequiredFieldsButNotOptionalOnes) {
  auto o = ParseJsonObject(R"({"present": null})");
  FieldReader r(o);
  EXPECT_EQ(r.String("name", true), std::nullopt);
  EXPECT_EQ(r.String("nick", false), std::nullopt);
  EXPECT_EQ(r.Integer("present", true, 0, 1), std::nullopt);  // null counts as missing
  ASSERT_EQ(r.errors().size(), 2u);
  EXPECT_EQ(r.errors()[0].field, "name");
  EXPECT_EQ(r.errors()[0].message, "required");
  EXPECT_EQ(r.errors()[1].field, "present");
}

TEST(FieldReader, ReportsWrongTypes) {
  auto o = ParseJsonObject(R"({"s": 1, "i": "1", "f": 1.5, "o": [], "a": {}})");
  FieldReader r(o);
  EXPECT_EQ(r.String("s", true), std::nullopt);
  EXPECT_EQ(r.Integer("i", true, 0, 10), std::nullopt);
  EXPECT_EQ(r.Integer("f", true, 0, 10), std::nullopt);
  EXPECT_EQ(r.Object("o", true), nullptr);
  EXPECT_EQ(r.Array("a", true), nullptr);
  ASSERT_EQ(r.errors().size(), 5u);
  EXPECT_EQ(r.errors()[0].message, "must be a string");
  EXPECT_EQ(r.errors()[1].message, "must be an integer");
  EXPECT_EQ(r.errors()[2].message, "must be an integer");
  EXPECT_EQ(r.errors()[3].message, "must be an object");
  EXPECT_EQ(r.errors()[4].message, "must be an array");
}

TEST(FieldReader, EnforcesIntegerBoundsInclusively) {
  auto o = ParseJsonObject(R"({"lo": 1, "hi": 9, "under": 0, "over": 10, "huge": 18446744073709551615})");
  FieldReader r(o);
  EXPECT_EQ(r.Integer("lo", true, 1, 9), 1);
  EXPECT_EQ(r.Integer("hi", true, 1, 9), 9);
  EXPECT_TRUE(r.errors().empty());
  EXPECT_EQ(r.Integer("under", true, 1, 9), std::nullopt);
  EXPECT_EQ(r.Integer("over", true, 1, 9), std::nullopt);
  EXPECT_EQ(r.Integer("huge", true, 1, 9), std::nullopt);
  EXPECT_EQ(r.errors().size(), 3u);
}

TEST(FieldReader, RejectsEmptyRequiredStringsAndOverlongStrings) {
  auto o = ParseJsonObject(R"({"empty": "", "long": "abcdef", "ok": "abcde"})");
  FieldReader r(o);
  EXPECT_EQ(r.String("empty", true), std::nullopt);
  EXPECT_EQ(r.String("empty", false), "");
  EXPECT_EQ(r.String("long", true, 5), std::nullopt);
  EXPECT_EQ(r.String("ok", true, 5), "abcde");
  ASSERT_EQ(r.errors().size(), 2u);
  EXPECT_EQ(r.errors()[0].field, "empty");
  EXPECT_EQ(r.errors()[1].field, "long");
}

TEST(FieldReader, RefusesStringsHoldingNul) {
  auto o = ParseJsonObject(R"({"id": "evt_A\u0000x", "ok": "evt_A"})");
  FieldReader r(o);
  EXPECT_EQ(r.String("id", true, 255), std::nullopt);
  EXPECT_EQ(r.String("ok", true, 255), "evt_A");
  ASSERT_EQ(r.errors().size(), 1u);
  EXPECT_EQ(r.errors()[0].field, "id");
  EXPECT_EQ(r.errors()[0].message, "must not contain U+0000");
}

TEST(FieldReader, PrefixesFieldPaths) {
  auto o = ParseJsonObject(R"({})");
  FieldReader r(o, "price.");
  r.String("amount", true);
  ASSERT_EQ(r.errors().size(), 1u);
  EXPECT_EQ(r.errors()[0].field, "price.amount");
  EXPECT_EQ(r.Path("currency"), "price.currency");
}

TEST(FieldReader, ThrowIfErrorsCarriesAllFieldErrors) {
  auto o = ParseJsonObject(R"({})");
  FieldReader r(o);
  r.String("a", true);
  r.Fail("b", "custom");
  try {
    r.ThrowIfErrors("invalid thing");
    FAIL() << "expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest);
    EXPECT_EQ(e.detail(), "invalid thing");
    ASSERT_EQ(e.fields().size(), 2u);
    EXPECT_EQ(e.fields()[0].field, "a");
    EXPECT_EQ(e.fields()[1].field, "b");
    EXPECT_EQ(e.fields()[1].message, "custom");
  }
}

}  // namespace
}  // namespace rihla::domain
