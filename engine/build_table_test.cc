#include "engine/build_table.h"

#include <memory>
#include <string>

#include "engine/memtable.h"
#include "gtest/gtest.h"
#include "sstable/table_reader.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using sstable::EntryKind;

constexpr char kSstDir[] = "/db/sst";

class BuildTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(mem_.CreateDir("/db"));
    ASSERT_OK(mem_.CreateDir(kSstDir));
    ASSERT_OK(mem_.SyncDir("/db"));
    ASSERT_OK(mem_.SyncDir("/"));
    memtable_.Add({"apple", 3, EntryKind::kPut, "red"});
    memtable_.Add({"banana", 5, EntryKind::kDelete, ""});
    memtable_.Add({"cherry", 4, EntryKind::kPut, "dark"});
  }

  testing::MemFileSystem mem_;
  testing::FaultInjectionFileSystem fs_{&mem_};
  TableBuilder builder_{&fs_, kSstDir, {}, CompactionOptions()};
  MemTable memtable_;
};

TEST_F(BuildTableTest, AMemtableBecomesADurableTableAndItsMeta) {
  ASSERT_OK_AND_ASSIGN(manifest::TableMeta t,
                       builder_.FromMemTable(7, nullptr, memtable_));
  EXPECT_EQ(builder_.TablePath(7), "/db/sst/000007.sst");
  EXPECT_EQ(t.number, 7u);
  EXPECT_EQ(t.entries, 3u);
  EXPECT_EQ(t.tombstones, 1u);
  EXPECT_EQ(t.smallest_key, "apple");
  EXPECT_EQ(t.largest_key, "cherry");
  EXPECT_EQ(t.smallest_lsn, 3u);
  EXPECT_EQ(t.largest_lsn, 5u);
  EXPECT_EQ(t.level, 0u);  // Tier of a small table.
  ASSERT_OK_AND_ASSIGN(const uint64_t size,
                       fs_.GetFileSize(builder_.TablePath(7)));
  EXPECT_EQ(t.file_size, size);

  // File and directory entry are durable before an edit may name it.
  ASSERT_OK(fs_.SimulateCrash());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sstable::TableReader> table,
                       sstable::TableReader::Open(&fs_, builder_.TablePath(7)));
  EXPECT_EQ(table->properties().file_checksum, t.checksum);
  ASSERT_OK_AND_ASSIGN(std::optional<sstable::Found> found,
                       table->Get("cherry", 10));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value, "dark");
}

TEST_F(BuildTableTest, AFileMadeAheadIsWrittenWithoutADirectorySync) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<io::WritableFile> ahead,
                       fs_.NewWritableFile(builder_.TablePath(8)));
  ASSERT_OK(fs_.SyncDir(kSstDir));
  fs_.FailNext(testing::FsOp::kDirSync);  // A sync now would fail the build.
  ASSERT_OK_AND_ASSIGN(manifest::TableMeta t,
                       builder_.FromMemTable(8, std::move(ahead), memtable_));
  EXPECT_EQ(t.number, 8u);
  fs_.ClearFaults();
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_OK(sstable::TableReader::Open(&fs_, builder_.TablePath(8)).status());
}

TEST_F(BuildTableTest, AFailedDirectorySyncFailsTheBuild) {
  fs_.FailNext(testing::FsOp::kDirSync);
  EXPECT_FALSE(builder_.FromMemTable(9, nullptr, memtable_).ok());
}

TEST_F(BuildTableTest, MetaFromPropertiesCopiesEveryField) {
  sstable::TableProperties p;
  p.file_size = 100;
  p.entries = 4;
  p.tombstones = 2;
  p.smallest_key = "a";
  p.largest_key = "z";
  p.smallest_lsn = 10;
  p.largest_lsn = 20;
  p.file_checksum = 0xabcd;
  const manifest::TableMeta t = MetaFromProperties(3, p, 2);
  EXPECT_EQ(t.number, 3u);
  EXPECT_EQ(t.file_size, 100u);
  EXPECT_EQ(t.entries, 4u);
  EXPECT_EQ(t.tombstones, 2u);
  EXPECT_EQ(t.smallest_key, "a");
  EXPECT_EQ(t.largest_key, "z");
  EXPECT_EQ(t.smallest_lsn, 10u);
  EXPECT_EQ(t.largest_lsn, 20u);
  EXPECT_EQ(t.level, 2u);
  EXPECT_EQ(t.checksum, 0xabcdu);
}

}  // namespace
}  // namespace strata::engine
