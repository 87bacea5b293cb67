#include "testing/fault_injection_file_system.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/posix_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace strata::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FaultInjectionTest : public ::testing::Test {
 protected:
  FaultInjectionTest() { EXPECT_OK(mem_.CreateDir("/db")); }

  std::string Read(const std::string& path) {
    absl::StatusOr<std::string> data = io::ReadFileToString(&mem_, path);
    return data.ok() ? *data : "<" + std::string(data.status().message()) + ">";
  }
  bool Exists(const std::string& path) { return mem_.FileExists(path).ok(); }

  // Writes `data` to `path` through the wrapper, optionally syncing it.
  void Write(const std::string& path, absl::string_view data, bool sync) {
    ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile(path));
    ASSERT_OK(file->Append(data));
    if (sync) {
      ASSERT_OK(file->Sync());
    }
    ASSERT_OK(file->Close());
  }

  MemFileSystem mem_;
  FaultInjectionFileSystem fs_{&mem_};
};

TEST_F(FaultInjectionTest, CrashDropsUnsyncedBytesAndKeepsSyncedOnes) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(file->Append("durable"));
  ASSERT_OK(file->DataSync());
  ASSERT_OK(file->Append("-volatile"));
  EXPECT_EQ(Read("/db/f"), "durable-volatile");
  EXPECT_EQ(fs_.DurableSize("/db/f"), 7u);
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/f"), "durable");
}

TEST_F(FaultInjectionTest, TornCrashKeepsARandomPrefixOfUnsyncedBytes) {
  std::set<size_t> sizes;
  int zero_filled = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
    ASSERT_OK(file->Append("0123"));
    ASSERT_OK(file->Sync());
    ASSERT_OK(fs_.SyncDir("/db"));
    ASSERT_OK(file->Append("456789"));
    ASSERT_OK(fs_.SimulateCrash({.torn = true, .seed = seed}));
    std::string left = Read("/db/f");
    ASSERT_GE(left.size(), 4u);
    // Either cut, or zeros to the full size (the size reached the disk).
    const size_t data = left.find_last_not_of('\0') + 1;
    if (left.size() == 10 && data < 10) {
      ++zero_filled;
      left.resize(data);
    }
    ASSERT_EQ(left, std::string("0123456789").substr(0, left.size()));
    sizes.insert(left.size());
  }
  // Tearing picks different points, including strictly inside the tail, and
  // sometimes leaves zeros where data did not land.
  EXPECT_GT(sizes.size(), 3u);
  EXPECT_GT(zero_filled, 3);
}

TEST_F(FaultInjectionTest, UnsyncedCreationIsUndone) {
  Write("/db/new", "data", /*sync=*/true);
  EXPECT_EQ(fs_.PendingDirOps(), 1u);
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_FALSE(Exists("/db/new"));
}

TEST_F(FaultInjectionTest, DirSyncMakesCreationDurable) {
  Write("/db/new", "data", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db"));
  EXPECT_EQ(fs_.PendingDirOps(), 0u);
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/new"), "data");
}

TEST_F(FaultInjectionTest, UnsyncedRenameIsUndoneAndTargetRestored) {
  Write("/db/CURRENT", "old", /*sync=*/true);
  Write("/db/CURRENT.tmp", "new", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT"));
  EXPECT_EQ(Read("/db/CURRENT"), "new");
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/CURRENT"), "old");
  EXPECT_EQ(Read("/db/CURRENT.tmp"), "new");
}

TEST_F(FaultInjectionTest, SyncedRenameSurvives) {
  Write("/db/a.tmp", "new", /*sync=*/true);
  ASSERT_OK(fs_.RenameFile("/db/a.tmp", "/db/a"));
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/a"), "new");
  EXPECT_FALSE(Exists("/db/a.tmp"));
}

TEST_F(FaultInjectionTest, RenameOfUnsyncedDataLosesTheData) {
  // The classic bug: rename without fsync of the data first.
  Write("/db/a.tmp", "new", /*sync=*/false);
  ASSERT_OK(fs_.RenameFile("/db/a.tmp", "/db/a"));
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/a"), "");
}

TEST_F(FaultInjectionTest, UnsyncedRemovalIsUndoneWithDurableBytes) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  ASSERT_OK(file->Append("kept"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(file->Append("lost"));
  ASSERT_OK(fs_.RemoveFile("/db/f"));
  EXPECT_FALSE(Exists("/db/f"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/f"), "kept");
}

TEST_F(FaultInjectionTest, SyncedRemovalSurvives) {
  Write("/db/f", "x", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.RemoveFile("/db/f"));
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_FALSE(Exists("/db/f"));
}

TEST_F(FaultInjectionTest, UnsyncedTruncateIsUndone) {
  Write("/db/f", "0123456789", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.TruncateFile("/db/f", 3));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/f"), "0123456789");
}

TEST_F(FaultInjectionTest, SyncedTruncateSurvives) {
  Write("/db/f", "0123456789", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.TruncateFile("/db/f", 3));
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewAppendableFile("/db/f"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/f"), "012");
}

TEST_F(FaultInjectionTest, RecreatingWithoutSyncRestoresOldContents) {
  Write("/db/f", "old", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db"));
  Write("/db/f", "brand new", /*sync=*/false);
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_EQ(Read("/db/f"), "old");
}

TEST_F(FaultInjectionTest, UnsyncedDirectoryVanishesWithItsFiles) {
  ASSERT_OK(fs_.CreateDir("/db/sub"));
  Write("/db/sub/f", "x", /*sync=*/true);
  ASSERT_OK(fs_.SyncDir("/db/sub"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_FALSE(Exists("/db/sub"));
  EXPECT_THAT(mem_.ListDir("/db"), IsOkAndHolds(ElementsAre()));
}

TEST_F(FaultInjectionTest, HandlesFromBeforeACrashFail) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  ASSERT_OK(fs_.SimulateCrash());
  EXPECT_THAT(file->Append("x"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("simulated crash")));
  EXPECT_FALSE(file->Sync().ok());
}

TEST_F(FaultInjectionTest, CountsMutatingOperations) {
  const uint64_t before = fs_.operation_count();
  Write("/db/f", "x", /*sync=*/true);  // create, write, sync
  ASSERT_OK(fs_.RenameFile("/db/f", "/db/g"));
  ASSERT_OK(fs_.SyncDir("/db"));
  ASSERT_OK(fs_.TruncateFile("/db/g", 0));
  ASSERT_OK(fs_.RemoveFile("/db/g"));
  EXPECT_EQ(fs_.operation_count() - before, 7u);
  // Reads are not counted.
  fs_.ListDir("/db").IgnoreError();
  fs_.FileExists("/db/g").IgnoreError();
  EXPECT_EQ(fs_.operation_count() - before, 7u);
}

TEST_F(FaultInjectionTest, FailOperationAtFailsExactlyThatOperation) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  fs_.FailOperationAt(fs_.operation_count() + 1, ENOSPC);
  ASSERT_OK(file->Append("a"));  // index n
  EXPECT_THAT(
      file->Append("b"),  // index n + 1
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("/db/f")));
  ASSERT_OK(file->Append("c"));
  EXPECT_EQ(Read("/db/f"), "ac");
}

TEST_F(FaultInjectionTest, FailNextFailsTheNextOperationOfThatKindOnce) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  fs_.FailNext(FsOp::kSync, EIO);
  ASSERT_OK(file->Append("a"));
  const absl::Status failed = file->Sync();
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.message(), HasSubstr("sync /db/f"));
  EXPECT_EQ(fs_.DurableSize("/db/f"), 0u);  // A failed sync syncs nothing.
  ASSERT_OK(file->Sync());
  EXPECT_EQ(fs_.DurableSize("/db/f"), 1u);

  for (FsOp op : {FsOp::kRename, FsOp::kDirSync, FsOp::kTruncate, FsOp::kWrite,
                  FsOp::kCreate, FsOp::kRemove}) {
    fs_.FailNext(op, ENOSPC);
  }
  EXPECT_FALSE(fs_.RenameFile("/db/f", "/db/g").ok());
  EXPECT_FALSE(fs_.SyncDir("/db").ok());
  EXPECT_FALSE(fs_.TruncateFile("/db/f", 0).ok());
  EXPECT_FALSE(file->Append("x").ok());
  EXPECT_FALSE(fs_.NewWritableFile("/db/h").ok());
  EXPECT_FALSE(fs_.RemoveFile("/db/f").ok());
  EXPECT_EQ(Read("/db/f"), "a");  // Failed operations had no effect.
  EXPECT_FALSE(Exists("/db/h"));
}

TEST_F(FaultInjectionTest, SyncHookRunsBeforeEachFileSyncIsCounted) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  ASSERT_OK(file->Append("a"));
  std::vector<std::string> seen;
  uint64_t count_in_hook = 0;
  fs_.SetSyncHook([&](const std::string& path) {
    seen.push_back(path);
    count_in_hook = fs_.operation_count();  // Takes the lock: none is held.
  });
  const uint64_t before = fs_.operation_count();
  ASSERT_OK(file->DataSync());
  EXPECT_EQ(count_in_hook, before);
  EXPECT_EQ(fs_.operation_count(), before + 1);
  ASSERT_OK(fs_.SyncDir("/db"));  // Not a file sync.
  fs_.SetSyncHook(nullptr);
  ASSERT_OK(file->Sync());
  EXPECT_THAT(seen, ElementsAre("/db/f"));
}

TEST_F(FaultInjectionTest, FreezeFailsEverythingFromThatIndexOn) {
  ASSERT_OK_AND_ASSIGN(auto file, fs_.NewWritableFile("/db/f"));
  fs_.FreezeAt(fs_.operation_count() + 1);
  ASSERT_OK(file->Append("a"));
  EXPECT_FALSE(file->Append("b").ok());
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_FALSE(fs_.SyncDir("/db").ok());
  fs_.ClearFaults();
  EXPECT_OK(file->Append("c"));
}

// Atomic replace of a small file: write temp, sync, rename, sync dir.
// `sync_temp` = false is the broken ordering.
absl::Status ReplaceFile(io::FileSystem* fs, absl::string_view data,
                         bool sync_temp) {
  absl::StatusOr<std::unique_ptr<io::WritableFile>> file =
      fs->NewWritableFile("/db/CURRENT.tmp");
  if (!file.ok()) return file.status();
  if (absl::Status s = (*file)->Append(data); !s.ok()) return s;
  if (sync_temp) {
    if (absl::Status s = (*file)->Sync(); !s.ok()) return s;
  }
  if (absl::Status s = (*file)->Close(); !s.ok()) return s;
  if (absl::Status s = fs->RenameFile("/db/CURRENT.tmp", "/db/CURRENT");
      !s.ok()) {
    return s;
  }
  return fs->SyncDir("/db");
}

// Enumerates every crash point of ReplaceFile and counts the ones that leave
// CURRENT neither old nor new.
int BadCrashPoints(bool sync_temp) {
  int bad = 0;
  for (uint64_t point = 0;; ++point) {
    MemFileSystem mem;
    FaultInjectionFileSystem fs(&mem);
    EXPECT_OK(fs.CreateDir("/db"));
    EXPECT_OK(fs.SyncDir("/"));
    EXPECT_OK(io::WriteFileSynced(&fs, "/db/CURRENT", "old"));
    EXPECT_OK(fs.SyncDir("/db"));
    fs.FreezeAt(fs.operation_count() + point);
    const bool finished = ReplaceFile(&fs, "new", sync_temp).ok();
    EXPECT_OK(fs.SimulateCrash());
    const std::string current =
        io::ReadFileToString(&mem, "/db/CURRENT").value_or("<missing>");
    if (current != "old" && current != "new") ++bad;
    if (finished && current != "new") ++bad;  // Acknowledged, then lost.
    if (finished) return bad;
  }
}

TEST(FaultInjectionCrashPointsTest, FindsTheBrokenOrderingAndPassesTheRight) {
  EXPECT_EQ(BadCrashPoints(/*sync_temp=*/true), 0);
  EXPECT_GT(BadCrashPoints(/*sync_temp=*/false), 0);
}

TEST(FaultInjectionOverPosixTest, CrashRewritesRealFiles) {
  TempDir dir;
  FaultInjectionFileSystem fs(io::PosixFileSystem());
  const std::string path = io::JoinPath(dir.path(), "f");
  ASSERT_OK_AND_ASSIGN(auto file, fs.NewWritableFile(path));
  ASSERT_OK(file->Append("synced"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(fs.SyncDir(dir.path()));
  ASSERT_OK(file->Append("+unsynced"));
  ASSERT_OK(fs.SimulateCrash());
  EXPECT_THAT(io::ReadFileToString(io::PosixFileSystem(), path),
              IsOkAndHolds(std::string("synced")));
}

}  // namespace
}  // namespace strata::testing
