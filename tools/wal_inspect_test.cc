#include "tools/wal_inspect.h"

#include "engine/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::tools {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

void MakeDb(testing::MemFileSystem* fs) {
  engine::EngineOptions o;
  o.background_work = false;
  auto db = engine::Engine::Open(fs, "/db", o);
  ASSERT_OK(db.status());
  ASSERT_OK((*db)->Put("alpha", "one"));
  engine::WriteBatch batch;
  batch.Put("beta", "two");
  batch.Delete("alpha");
  ASSERT_OK((*db)->Write(batch));
}

TEST(WalDumpTest, TextListsEveryBatchAndTheTail) {
  testing::MemFileSystem fs;
  MakeDb(&fs);
  std::string out;
  ASSERT_OK(DumpWal(&fs, "/db/wal", {.values = true}, &out));
  EXPECT_THAT(out, HasSubstr("000001.log @28: batch lsn 1..1\n"
                             "  put \"alpha\" = \"one\"\n"));
  EXPECT_THAT(out, HasSubstr("batch lsn 2..3\n  put \"beta\" = \"two\"\n"
                             "  delete \"alpha\"\n"));
  EXPECT_THAT(out, HasSubstr("2 records; 000001.log valid to offset"));
}

TEST(WalDumpTest, JsonLines) {
  testing::MemFileSystem fs;
  MakeDb(&fs);
  std::string out;
  ASSERT_OK(DumpWal(&fs, "/db/wal", {.json = true}, &out));
  EXPECT_THAT(
      out,
      HasSubstr(
          R"({"segment":1,"offset":28,"first_lsn":1,"ops":[{"kind":"put","lsn":1,"key":"alpha","value_size":3}]})"));
  EXPECT_THAT(out, HasSubstr(R"("records":2,"tail":{"segment":1)"));
}

TEST(WalDumpTest, CorruptionIsReportedWithSegmentAndOffset) {
  testing::MemFileSystem fs;
  MakeDb(&fs);
  ASSERT_OK_AND_ASSIGN(std::string bytes,
                       io::ReadFileToString(&fs, "/db/wal/000001.log"));
  bytes[40] ^= 1;  // Inside the first record, with a valid one after it.
  ASSERT_OK(io::WriteFileSynced(&fs, "/db/wal/000001.log", bytes));
  std::string out;
  EXPECT_THAT(DumpWal(&fs, "/db/wal", {}, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("000001.log")));
  out.clear();
  ASSERT_OK(DumpWal(&fs, "/db/wal", {.best_effort = true}, &out));
  EXPECT_THAT(out, HasSubstr("skipped 000001.log [28,"));
}

TEST(WalDumpTest, EmptyDirectoryIsNotFound) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/w"));
  std::string out;
  EXPECT_THAT(DumpWal(&fs, "/w", {}, &out),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace strata::tools
