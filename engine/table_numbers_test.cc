#include "engine/table_numbers.h"

#include <memory>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "manifest/manifest.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

constexpr char kSstDir[] = "/db/sst";

class TableNumbersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fs_.CreateDir("/db"));
    ASSERT_OK(fs_.CreateDir(kSstDir));
    ASSERT_OK(fs_.SyncDir("/db"));
    ASSERT_OK(fs_.SyncDir("/"));
    OpenManifest();
  }

  void OpenManifest() {
    ASSERT_OK_AND_ASSIGN(manifest_,
                         manifest::Manifest::Open(&fs_, "/db/manifest"));
  }

  testing::MemFileSystem mem_;
  testing::FaultInjectionFileSystem fs_{&mem_};
  std::unique_ptr<manifest::Manifest> manifest_;
};

TEST_F(TableNumbersTest, NumbersAreReservedDurablyABatchAtATime) {
  TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 4);
  const uint64_t edits = manifest_->stats().edits;
  std::set<uint64_t> seen;
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(const uint64_t n, numbers.Next());
    EXPECT_TRUE(seen.insert(n).second);
    EXPECT_LT(n, manifest_->current()->next_table_number);
  }
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(*seen.rbegin(), 10u);
  EXPECT_EQ(manifest_->stats().edits, edits + 3);  // 1-4, 5-8, 9-12.
  EXPECT_EQ(manifest_->current()->next_table_number, 13u);
}

TEST_F(TableNumbersTest, UnusedNumbersAreNeverHandedOutAgain) {
  {
    TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 8);
    ASSERT_OK(numbers.Next().status());  // 1 used; 2-8 reserved.
  }
  manifest_.reset();
  ASSERT_OK(fs_.SimulateCrash());
  OpenManifest();
  TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 8);
  EXPECT_THAT(numbers.Next(), testing::IsOkAndHolds(9u));
}

TEST_F(TableNumbersTest, AFailedReservationIsAnError) {
  TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 2);
  fs_.FailNext(testing::FsOp::kWrite);
  EXPECT_FALSE(numbers.Next().ok());
  EXPECT_FALSE(numbers.MakeSpares(4).ok());  // The manifest has failed.
}

TEST_F(TableNumbersTest, SparesAreDurableEmptyFilesTakenOldestFirst) {
  TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 64);
  ASSERT_OK(numbers.MakeSpares(4));
  EXPECT_EQ(numbers.spares(), 4u);
  ASSERT_OK(numbers.MakeSpares(4));  // Full: nothing more.
  EXPECT_EQ(numbers.spares(), 4u);
  // Their directory entries survive a crash.
  EXPECT_EQ(fs_.PendingDirOps(), 0u);
  std::optional<TableNumbers::Spare> first = numbers.TakeSpare();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->number, 1u);
  ASSERT_OK(first->file->Append("x"));
  ASSERT_OK(first->file->Close());
  // Refilled only once at most half are left.
  ASSERT_OK(numbers.MakeSpares(4));
  EXPECT_EQ(numbers.spares(), 3u);
  numbers.TakeSpare();
  ASSERT_OK(numbers.MakeSpares(4));
  EXPECT_EQ(numbers.spares(), 4u);
  // A number handed out directly never meets a spare's.
  ASSERT_OK_AND_ASSIGN(const uint64_t n, numbers.Next());
  EXPECT_EQ(n, 7u);
}

TEST_F(TableNumbersTest, DroppedSparesAreRemovedOnlyIfAsked) {
  TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 64);
  ASSERT_OK(numbers.MakeSpares(2));
  numbers.DropSpares(/*remove=*/false);
  EXPECT_EQ(numbers.spares(), 0u);
  EXPECT_EQ(fs_.ListDir(kSstDir)->size(), 2u);
  ASSERT_OK(numbers.MakeSpares(2));
  numbers.DropSpares(/*remove=*/true);
  EXPECT_EQ(fs_.ListDir(kSstDir)->size(), 2u);  // The first two stay.
}

TEST_F(TableNumbersTest, SparesWhoseDirectorySyncFailsAreNotKept) {
  TableNumbers numbers(&fs_, manifest_.get(), kSstDir, 64);
  fs_.FailNext(testing::FsOp::kDirSync);
  ASSERT_OK(numbers.MakeSpares(2));  // Flushes make their own files instead.
  EXPECT_EQ(numbers.spares(), 0u);
  EXPECT_FALSE(numbers.TakeSpare().has_value());
}

}  // namespace
}  // namespace strata::engine
