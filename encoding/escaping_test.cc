#include "encoding/escaping.h"

#include <string>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(EscapingTest, TextIsAsciiWithOneRule) {
  EXPECT_EQ(EscapeBytes("plain key 1"), "plain key 1");
  EXPECT_EQ(EscapeBytes("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeBytes("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(EscapeBytes(std::string("\x00\xff\t\n", 4)),
            "\\x00\\xff\\x09\\x0a");
  EXPECT_EQ(EscapeBytes("\xc3\xa9"), "\\xc3\\xa9");  // "é"
  EXPECT_EQ(EscapeBytes("\x7f"), "\\x7f");
}

TEST(EscapingTest, HexBothWays) {
  EXPECT_EQ(HexBytes(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(ParseHex("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(ParseHex(""), "");
  EXPECT_FALSE(ParseHex("abc").has_value());
  EXPECT_FALSE(ParseHex("zz").has_value());
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(ParseHex(HexBytes(one)), one);
  }
}

TEST(EscapingTest, Utf8Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9"));          // é
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));      // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // Cut short.
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // Overlong '/'.
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // Overlong.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // Surrogate U+D800.
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // Above U+10FFFF.
  EXPECT_FALSE(IsValidUtf8("a\x80"));             // A lone continuation.
}

TEST(EscapingTest, JsonGivesUtf8AsAStringAndAnythingElseAsHex) {
  std::string out;
  AppendJsonBytes("key", "\xc3\xa9", &out);
  EXPECT_EQ(out, "\"key\":\"\xc3\xa9\"");  // "é" reads back as "é".
  out.clear();
  AppendJsonBytes("key", "a\"b\\c\x01", &out);
  EXPECT_EQ(out, "\"key\":\"a\\\"b\\\\c\\u0001\"");
  out.clear();
  AppendJsonBytes("value", std::string("\xff\x00", 2), &out);
  EXPECT_EQ(out, "\"value_hex\":\"ff00\"");
}

TEST(EscapingTest, JsonStringIsValidJsonWhateverTheBytes) {
  EXPECT_EQ(JsonString("/db/sst"), "\"/db/sst\"");
  EXPECT_EQ(JsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(JsonString("bad\xff"), "\"bad\\u00ff\"");
  EXPECT_EQ(JsonString("\n"), "\"\\u000a\"");
}

}  // namespace
}  // namespace strata
