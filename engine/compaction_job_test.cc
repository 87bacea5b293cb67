#include "engine/compaction_job.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/build_table.h"
#include "engine/memtable.h"
#include "engine/table_cache.h"
#include "engine/table_numbers.h"
#include "gtest/gtest.h"
#include "manifest/manifest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using sstable::EntryKind;

constexpr char kSstDir[] = "/db/sst";

class CompactionJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fs_.CreateDir("/db"));
    ASSERT_OK(fs_.CreateDir(kSstDir));
    ASSERT_OK_AND_ASSIGN(manifest_,
                         manifest::Manifest::Open(&fs_, "/db/manifest"));
    numbers_ =
        std::make_unique<TableNumbers>(&fs_, manifest_.get(), kSstDir, 16);
  }

  // A live table holding `entries`.
  manifest::TableMeta Table(const std::vector<OwnedEntry>& entries) {
    MemTable mem;
    for (const OwnedEntry& e : entries) mem.Add(e.view());
    absl::StatusOr<uint64_t> n = numbers_->Next();
    EXPECT_OK(n.status());
    absl::StatusOr<manifest::TableMeta> t =
        builder_.FromMemTable(*n, nullptr, mem);
    EXPECT_OK(t.status());
    state_.tables.Put(*t);
    return *t;
  }

  CompactionJob Job(std::vector<manifest::TableMeta> inputs) {
    return CompactionJob(&fs_, &tables_, numbers_.get(), &builder_, state_,
                         std::move(inputs));
  }

  size_t Files() { return fs_.ListDir(kSstDir)->size(); }

  testing::MemFileSystem mem_;
  testing::FaultInjectionFileSystem fs_{&mem_};
  std::unique_ptr<manifest::Manifest> manifest_;
  std::unique_ptr<TableNumbers> numbers_;
  TableBuilder builder_{&fs_, kSstDir, {}, CompactionOptions()};
  TableCache tables_{&fs_, kSstDir};
  manifest::State state_;
};

TEST_F(CompactionJobTest, MergesInputsIntoOneTableAndItsEdit) {
  manifest::TableMeta old = Table(
      {{"a", 1, EntryKind::kPut, "old"}, {"b", 2, EntryKind::kPut, "gone"}});
  manifest::TableMeta young = Table(
      {{"a", 3, EntryKind::kPut, "new"}, {"b", 4, EntryKind::kDelete, ""}});
  CompactionJob job = Job({old, young});
  ASSERT_OK(job.Run());
  EXPECT_EQ(job.failure(), CompactionJob::Failure::kNone);
  ASSERT_TRUE(job.output().has_value());
  // Only the newest "a" is kept; the tombstone has nothing left to hide.
  EXPECT_EQ(job.output()->entries, 1u);
  EXPECT_EQ(job.output()->tombstones, 0u);
  EXPECT_EQ(job.output()->smallest_key, "a");
  const manifest::Edit edit = job.edit();
  ASSERT_EQ(edit.ops.size(), 1u);
  const auto& op = std::get<manifest::Compaction>(edit.ops[0]);
  EXPECT_EQ(op.removed, (std::vector<uint64_t>{old.number, young.number}));
  ASSERT_EQ(op.added.size(), 1u);
  EXPECT_EQ(op.added[0].number, job.output()->number);
}

TEST_F(CompactionJobTest, ATombstoneAnOutsideTableMayNeedIsKept) {
  Table({{"b", 1, EntryKind::kPut, "outside"}});  // Not an input.
  manifest::TableMeta input = Table({{"b", 2, EntryKind::kDelete, ""}});
  manifest::TableMeta other = Table({{"c", 3, EntryKind::kPut, "x"}});
  CompactionJob job = Job({input, other});
  ASSERT_OK(job.Run());
  ASSERT_TRUE(job.output().has_value());
  EXPECT_EQ(job.output()->tombstones, 1u);
}

TEST_F(CompactionJobTest, NothingKeptMeansNoOutputTable) {
  manifest::TableMeta put = Table({{"a", 1, EntryKind::kPut, "v"}});
  manifest::TableMeta del = Table({{"a", 2, EntryKind::kDelete, ""}});
  const size_t files = Files();
  CompactionJob job = Job({put, del});
  ASSERT_OK(job.Run());
  EXPECT_FALSE(job.output().has_value());
  EXPECT_TRUE(std::get<manifest::Compaction>(job.edit().ops[0]).added.empty());
  EXPECT_EQ(Files(), files);
}

TEST_F(CompactionJobTest, AMissingInputIsAnInputFailure) {
  manifest::TableMeta a = Table({{"a", 1, EntryKind::kPut, "v"}});
  manifest::TableMeta b = Table({{"b", 2, EntryKind::kPut, "v"}});
  ASSERT_OK(fs_.RemoveFile(builder_.TablePath(b.number)));
  CompactionJob job = Job({a, b});
  EXPECT_FALSE(job.Run().ok());
  EXPECT_EQ(job.failure(), CompactionJob::Failure::kInput);
  EXPECT_EQ(job.input_numbers(), (std::set<uint64_t>{a.number, b.number}));
}

TEST_F(CompactionJobTest, ADamagedInputMidMergeRemovesThePartialOutput) {
  std::vector<OwnedEntry> many;
  for (int i = 0; i < 2000; ++i) {
    many.push_back({absl::StrCat("key", 100000 + i), uint64_t(i + 1),
                    EntryKind::kPut, std::string(100, 'v')});
  }
  manifest::TableMeta big = Table(many);
  manifest::TableMeta small = Table({{"a", 5000, EntryKind::kPut, "v"}});
  // Damage a byte in the middle of the big table's data blocks.
  const std::string path = builder_.TablePath(big.number);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<io::RandomAccessFile> f,
                       fs_.NewRandomAccessFile(path));
  std::string bytes(big.file_size, '\0');
  absl::string_view read;
  ASSERT_OK(f->Read(0, big.file_size, bytes.data(), &read));
  std::string damaged(read);
  damaged[big.file_size / 2] ^= 0x40;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<io::WritableFile> w,
                       fs_.NewWritableFile(path));
  ASSERT_OK(w->Append(damaged));
  ASSERT_OK(w->Close());
  const size_t files = Files();
  CompactionJob job = Job({big, small});
  EXPECT_THAT(job.Run(), testing::StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(job.failure(), CompactionJob::Failure::kInput);
  EXPECT_EQ(Files(), files);  // The partial output is gone.
}

TEST_F(CompactionJobTest, AFailedOutputSyncIsAnOutputFailure) {
  manifest::TableMeta a = Table({{"a", 1, EntryKind::kPut, "v"}});
  manifest::TableMeta b = Table({{"b", 2, EntryKind::kPut, "v"}});
  fs_.FailNext(testing::FsOp::kSync);
  CompactionJob job = Job({a, b});
  EXPECT_FALSE(job.Run().ok());
  EXPECT_EQ(job.failure(), CompactionJob::Failure::kOutput);
}

}  // namespace
}  // namespace strata::engine
