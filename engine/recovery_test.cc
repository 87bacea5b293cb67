#include "engine/recovery.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/write_batch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "wal/writer.h"

namespace strata::engine {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kWalDir[] = "/db/wal";
constexpr char kSstDir[] = "/db/sst";

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.CreateDir("/db")); }

  // Writes segment `segment` holding one batch per key, LSNs from `lsn` on.
  void WriteSegment(uint64_t segment, uint64_t lsn,
                    const std::vector<std::string>& keys) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<wal::Writer> w,
                         wal::Writer::Create(&fs_, kWalDir, segment, {}));
    for (const std::string& key : keys) {
      WriteBatch batch;
      batch.Put(key, "v" + key);
      std::string record;
      EncodeBatch(batch, lsn++, &record);
      ASSERT_OK(w->Append(record));
    }
    ASSERT_OK(w->Close());
  }

  void Touch(const std::string& path) {
    ASSERT_OK_AND_ASSIGN(auto f, fs_.NewWritableFile(path));
    ASSERT_OK(f->Close());
  }

  std::vector<std::string> List(const std::string& dir) {
    absl::StatusOr<std::vector<std::string>> names = fs_.ListDir(dir);
    EXPECT_OK(names.status());
    return names.ok() ? *names : std::vector<std::string>();
  }

  testing::MemFileSystem fs_;
};

TEST_F(RecoveryTest, ReplaysFrozenAndActiveSegmentsIntoTheirOwnMemtables) {
  WriteSegment(3, 1, {"a", "b"});
  WriteSegment(4, 3, {"c"});
  manifest::State state;
  state.frozen_wals = {3};
  state.active_wal = 4;
  ASSERT_OK_AND_ASSIGN(ReplayedWal r, ReplayDataWal(&fs_, kWalDir, state, {}));
  ASSERT_EQ(r.frozen.size(), 1u);
  EXPECT_EQ(r.frozen[0].wal, 3u);
  EXPECT_EQ(r.frozen[0].mem->count(), 2u);
  EXPECT_EQ(r.active->count(), 1u);
  EXPECT_TRUE(r.active->Get("c", 10).has_value());
  EXPECT_FALSE(r.active->Get("a", 10).has_value());
  EXPECT_EQ(r.lsn, 3u);
  EXPECT_EQ(r.segments, 2u);
  EXPECT_EQ(r.records, 3u);
  EXPECT_EQ(r.entries, 3u);
  EXPECT_FALSE(r.tail.torn());
  EXPECT_EQ(r.tail.segment, 4u);
  EXPECT_GT(r.active_bytes, 0u);
}

TEST_F(RecoveryTest, EntriesTheManifestCoversAreCountedNotAdded) {
  WriteSegment(1, 1, {"a", "b", "c"});
  manifest::State state;
  state.active_wal = 1;
  state.last_lsn = 2;  // A Flush() kept the segment: a and b are in a table.
  ASSERT_OK_AND_ASSIGN(ReplayedWal r, ReplayDataWal(&fs_, kWalDir, state, {}));
  EXPECT_EQ(r.entries_flushed, 2u);
  EXPECT_EQ(r.active->count(), 1u);
  EXPECT_TRUE(r.active->Get("c", 10).has_value());
  EXPECT_EQ(r.lsn, 3u);
}

TEST_F(RecoveryTest, SegmentsThatAreNotConsecutiveAreDataLoss) {
  WriteSegment(1, 1, {"a"});
  WriteSegment(3, 2, {"b"});
  manifest::State state;
  state.frozen_wals = {1};
  state.active_wal = 3;
  EXPECT_THAT(ReplayDataWal(&fs_, kWalDir, state, {}).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("segments 1,3, not consecutive")));
}

TEST_F(RecoveryTest, ATornTailIsReportedAndLeftOnDisk) {
  WriteSegment(1, 1, {"a", "b"});
  const std::string path = std::string(kWalDir) + "/000001.log";
  ASSERT_OK_AND_ASSIGN(const uint64_t size, fs_.GetFileSize(path));
  ASSERT_OK(fs_.TruncateFile(path, size - 3));
  manifest::State state;
  state.active_wal = 1;
  ASSERT_OK_AND_ASSIGN(ReplayedWal r, ReplayDataWal(&fs_, kWalDir, state, {}));
  EXPECT_TRUE(r.tail.torn());
  EXPECT_EQ(r.tail.file_size, size - 3);
  EXPECT_LT(r.tail.valid_end, size - 3);
  EXPECT_EQ(r.active->count(), 1u);
  EXPECT_EQ(*fs_.GetFileSize(path), size - 3);  // Replay changes nothing.
}

TEST_F(RecoveryTest, WalOrphansAreUnlistedSegmentsOnly) {
  WriteSegment(1, 1, {"a"});
  WriteSegment(2, 2, {"b"});
  WriteSegment(3, 3, {"c"});
  WriteSegment(4, 4, {"d"});
  Touch(std::string(kWalDir) + "/notes.txt");
  manifest::State state;
  state.frozen_wals = {2};
  state.active_wal = 3;
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> deleted,
                       DeleteWalOrphans(&fs_, kWalDir, state));
  EXPECT_THAT(deleted,
              UnorderedElementsAre("/db/wal/000001.log", "/db/wal/000004.log"));
  EXPECT_THAT(List(kWalDir),
              UnorderedElementsAre("000002.log", "000003.log", "notes.txt"));
}

TEST_F(RecoveryTest, TableOrphansAreUnlistedNumbersBelowTheCounter) {
  ASSERT_OK(fs_.CreateDir(kSstDir));
  for (const char* name : {"000001.sst", "000002.sst", "000003.sst.tmp",
                           "000009.sst", "000010.sst", "README", "1.sst"}) {
    Touch(std::string(kSstDir) + "/" + name);
  }
  manifest::State state;
  state.next_table_number = 10;  // 10 and on: the running engine's work.
  manifest::TableMeta live;
  live.number = 2;
  state.tables.Put(live);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> deleted,
                       DeleteTableOrphans(&fs_, kSstDir, state));
  EXPECT_THAT(deleted, UnorderedElementsAre("/db/sst/000001.sst",
                                            "/db/sst/000003.sst.tmp",
                                            "/db/sst/000009.sst"));
  EXPECT_THAT(List(kSstDir), UnorderedElementsAre("000002.sst", "000010.sst",
                                                  "README", "1.sst"));
}

TEST_F(RecoveryTest, AMissingDirectoryIsAnError) {
  manifest::State state;
  EXPECT_FALSE(DeleteTableOrphans(&fs_, "/nowhere", state).ok());
  EXPECT_FALSE(DeleteWalOrphans(&fs_, "/nowhere", state).ok());
}

}  // namespace
}  // namespace strata::engine
