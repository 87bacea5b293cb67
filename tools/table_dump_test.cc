#include "tools/table_dump.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sstable/compression.h"
#include "sstable/table_writer.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::tools {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class TableDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto writer = *sstable::TableWriter::Create(&fs_, "/t.sst");
    ASSERT_OK(writer->Put("apple", 3, "red"));
    ASSERT_OK(writer->Delete("banana", 2));
    ASSERT_OK(writer->Put("cherry\x01", 1, "dark\"red"));
    ASSERT_OK(writer->AddRangeTombstone("d", "f", 4));
    ASSERT_OK(writer->Finish().status());
    table_ = *sstable::TableReader::Open(&fs_, "/t.sst");
  }

  testing::MemFileSystem fs_;
  std::unique_ptr<sstable::TableReader> table_;
};

TEST_F(TableDumpTest, TextListsPropertiesAndEntries) {
  std::string out;
  ASSERT_OK(DumpTable(*table_, {}, &out));
  EXPECT_THAT(out, HasSubstr("entries 3, tombstones 1"));
  EXPECT_THAT(out, HasSubstr("\"apple\" @3 PUT \"red\"\n"));
  EXPECT_THAT(out, HasSubstr("\"banana\" @2 DELETE\n"));
  EXPECT_THAT(out, HasSubstr("\"cherry\\x01\" @1 PUT \"dark\\\"red\"\n"));
  EXPECT_THAT(out, HasSubstr("range tombstones 1, filter bytes 10"));
  EXPECT_THAT(out, HasSubstr("[\"d\", \"f\") @4 RANGE DELETE\n"));
}

TEST_F(TableDumpTest, JsonIsMachineReadable) {
  std::string out;
  ASSERT_OK(DumpTable(*table_, {.json = true, .verify = true}, &out));
  EXPECT_THAT(out, HasSubstr("\"entries\":3"));
  EXPECT_THAT(out, HasSubstr("\"verified\":true"));
  EXPECT_THAT(out,
              HasSubstr("{\"key\":\"banana\",\"lsn\":2,\"kind\":\"delete\"}"));
  EXPECT_THAT(out, HasSubstr("{\"key\":\"cherry\\u0001\",\"lsn\":1,"
                             "\"kind\":\"put\",\"value\":\"dark\\\"red\"}"));
  EXPECT_THAT(out, HasSubstr("\"range_tombstones\":[{\"start\":\"d\","
                             "\"end\":\"f\",\"lsn\":4}]}"));
}

TEST_F(TableDumpTest, FilterKeepsMatchingKeys) {
  std::string out;
  ASSERT_OK(DumpTable(*table_, {.filter = "^b|rry"}, &out));
  EXPECT_THAT(out, HasSubstr("banana"));
  EXPECT_THAT(out, HasSubstr("cherry"));
  EXPECT_THAT(out, Not(HasSubstr("\"apple\" @3")));
}

TEST_F(TableDumpTest, BadFilterIsInvalidArgument) {
  std::string out;
  EXPECT_THAT(
      DumpTable(*table_, {.filter = "(unclosed"}, &out),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad --filter")));
}

TEST_F(TableDumpTest, VerifyFailureIsReported) {
  std::string bytes = *io::ReadFileToString(&fs_, "/t.sst");
  bytes[3] ^= 1;
  ASSERT_OK(io::WriteFileSynced(&fs_, "/t.sst", bytes));
  auto table = *sstable::TableReader::Open(&fs_, "/t.sst");
  std::string out;
  EXPECT_THAT(DumpTable(*table, {.verify = true}, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("data block 0")));
}

}  // namespace
}  // namespace strata::tools

namespace strata::tools {
namespace {

TEST(TableDumpCompressionTest, ShowsTheTablesCompression) {
  testing::MemFileSystem fs;
  for (sstable::Compression c :
       {sstable::Compression::kNone, sstable::Compression::kLz4,
        sstable::Compression::kZstd}) {
    const std::string path = "/" + sstable::CompressionName(c) + ".sst";
    auto writer = *sstable::TableWriter::Create(&fs, path, {.compression = c});
    for (int i = 0; i < 100; ++i) {
      ASSERT_OK(writer->Put(absl::StrFormat("key%03d", i), 1,
                            std::string(100, 'a' + i % 3)));
    }
    ASSERT_OK(writer->Finish().status());
    auto table = *sstable::TableReader::Open(&fs, path);
    std::string text;
    ASSERT_OK(DumpTable(*table, {.verify = true}, &text));
    EXPECT_THAT(text, HasSubstr("compression " + sstable::CompressionName(c)));
    std::string json;
    ASSERT_OK(DumpTable(*table, {.json = true}, &json));
    EXPECT_THAT(json, HasSubstr("\"compression\":\"" +
                                sstable::CompressionName(c) + "\""));
  }
}

}  // namespace
}  // namespace strata::tools
