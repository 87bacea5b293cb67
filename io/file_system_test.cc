#include "io/file_system.h"

#include "gtest/gtest.h"

namespace strata::io {
namespace {

TEST(PathTest, JoinPath) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("", "c"), "c");
}

TEST(PathTest, DirNameAndBaseName) {
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(BaseName("a/b/c"), "c");
  EXPECT_EQ(BaseName("c"), "c");
}

TEST(PathTest, NumberedFileNames) {
  EXPECT_EQ(NumberedFileName(42, ".log"), "000042.log");
  EXPECT_EQ(NumberedFileName(12345678, ".sst"), "12345678.sst");
  EXPECT_EQ(ParseNumberedFileName("000042.log", ".log"), 42u);
  EXPECT_EQ(ParseNumberedFileName("12345678.sst", ".sst"), 12345678u);
  EXPECT_EQ(ParseNumberedFileName("42.log", ".log"), std::nullopt);
  EXPECT_EQ(ParseNumberedFileName("000042.sst", ".log"), std::nullopt);
  EXPECT_EQ(ParseNumberedFileName("0000x2.log", ".log"), std::nullopt);
  EXPECT_EQ(ParseNumberedFileName("000042.log.tmp", ".log"), std::nullopt);
}

}  // namespace
}  // namespace strata::io
