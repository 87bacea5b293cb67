#include "manifest/manifest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "encoding/tagged.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "manifest/codec.h"
#include "manifest/manifest_test_util.h"
#include "manifest/snapshot.h"
#include "testing/fault_injection_file_system.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "wal/format.h"
#include "wal/writer.h"

namespace strata::manifest {
namespace {

using ::strata::testing::FaultInjectionFileSystem;
using ::strata::testing::FsOp;
using ::strata::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDir[] = "/db/manifest";

class ManifestTest : public ::testing::Test {
 protected:
  ManifestTest() {
    EXPECT_OK(fs_.CreateDir("/db"));
    EXPECT_OK(fs_.SyncDir("/"));
    EXPECT_OK(fs_.SyncDir("/db"));
  }

  std::unique_ptr<Manifest> Open(ManifestOptions options = {}) {
    absl::StatusOr<std::unique_ptr<Manifest>> m =
        Manifest::Open(&fs_, kDir, options);
    EXPECT_OK(m.status());
    return m.ok() ? *std::move(m) : nullptr;
  }

  // Starts a database: WAL 1 active, tables 1..n live.
  void Populate(Manifest& m, int tables) {
    ASSERT_OK(m.SetActiveWal(1));
    for (int i = 0; i < tables; ++i) {
      ASSERT_OK_AND_ASSIGN(uint64_t n, m.AllocateOneTableId());
      ASSERT_OK(m.AddTable(TestTable(n)));
    }
  }

  std::vector<std::string> Files() {
    return mem_.ListDir(kDir).value_or(std::vector<std::string>{});
  }

  testing::MemFileSystem mem_;
  FaultInjectionFileSystem fs_{&mem_};
};

TEST_F(ManifestTest, EmptyDirectoryStartsAnEmptyManifest) {
  auto m = Open();
  EXPECT_TRUE(m->recovery().created);
  EXPECT_EQ(*m->current(), State());
  EXPECT_THAT(Files(), ElementsAre("000001.log", "000001.snapshot"));
  EXPECT_EQ(fs_.PendingDirOps(), 0u);  // Creation is durable.
}

TEST_F(ManifestTest, ReplayAfterReopen) {
  State before;
  {
    auto m = Open();
    Populate(*m, 5);
    ASSERT_OK(m->Apply(Edit::Freeze(1, 2)).status());
    before = *m->current();
  }
  auto m = Open();
  EXPECT_FALSE(m->recovery().created);
  EXPECT_EQ(m->recovery().edits_replayed, before.last_sequence);
  EXPECT_EQ(*m->current(), before);
}

TEST_F(ManifestTest, FlushAndFreezeAreEachOneEditOneRecord) {
  auto m = Open();
  Populate(*m, 1);
  const uint64_t edits = m->stats().edits;
  ASSERT_OK(m->Apply(Edit::Freeze(1, 2)).status());
  ASSERT_OK_AND_ASSIGN(uint64_t n, m->AllocateOneTableId());
  ASSERT_OK(m->Apply(Edit::Flush(TestTable(n), 1, 100)).status());
  EXPECT_EQ(m->stats().edits, edits + 3);  // freeze, allocate, flush
  EXPECT_TRUE(m->current()->frozen_wals.empty());
  EXPECT_EQ(m->current()->active_wal, 2u);
}

TEST_F(ManifestTest, InvalidEditIsRefusedBeforeAnythingIsWritten) {
  auto m = Open();
  Populate(*m, 2);
  const uint64_t log_bytes = m->stats().log_bytes;
  const uint64_t ops = fs_.operation_count();
  EXPECT_THAT(m->RemoveTable(99), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("table 99 is not live")));
  EXPECT_THAT(m->RemoveFrozenWal(1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(m->AddTable(TestTable(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(fs_.operation_count(), ops);
  EXPECT_EQ(m->stats().log_bytes, log_bytes);
  EXPECT_OK(m->health());  // Refusals are not failures.
}

TEST_F(ManifestTest, CompactionIsOneAtomicEdit) {
  auto m = Open();
  Populate(*m, 4);
  ASSERT_OK_AND_ASSIGN(uint64_t out, m->AllocateOneTableId());
  ASSERT_OK(m->ApplyCompaction({TestTable(out, 1)}, {1, 2, 3}));
  auto state = m->current();
  EXPECT_EQ(state->tables.size(), 2u);
  EXPECT_NE(state->tables.Find(out), nullptr);
  m.reset();
  EXPECT_EQ(*Open()->current(), *state);
}

TEST_F(ManifestTest, ReadersKeepTheirSnapshot) {
  auto m = Open();
  Populate(*m, 3);
  std::shared_ptr<const State> held = m->current();
  ASSERT_OK(m->RemoveTable(1));
  EXPECT_EQ(held->tables.size(), 3u);
  EXPECT_EQ(m->current()->tables.size(), 2u);
}

TEST_F(ManifestTest, AllocatedIdsSurviveACrash) {
  uint64_t allocated;
  {
    auto m = Open();
    ASSERT_OK_AND_ASSIGN(allocated, m->AllocateOneTableId());
    ASSERT_OK(fs_.SimulateCrash());
  }
  auto m = Open();
  ASSERT_OK_AND_ASSIGN(uint64_t next, m->AllocateOneTableId());
  EXPECT_GT(next, allocated);
}

TEST_F(ManifestTest, CheckpointClearsDirtyAndKeepsThePreviousGeneration) {
  auto m = Open();
  Populate(*m, 3);
  EXPECT_TRUE(m->dirty());
  ASSERT_OK(m->Checkpoint());
  EXPECT_FALSE(m->dirty());
  EXPECT_EQ(m->stats().generation, 2u);
  EXPECT_THAT(Files(), ElementsAre("000001.log", "000001.snapshot",
                                   "000002.log", "000002.snapshot"));
  ASSERT_OK(m->Checkpoint());
  // Generation 1 goes only once generation 3 is complete.
  EXPECT_THAT(Files(), ElementsAre("000002.log", "000002.snapshot",
                                   "000003.log", "000003.snapshot"));
}

TEST_F(ManifestTest, DeferredDeletionsWaitForDeleteObsoleteFiles) {
  auto m = Open({.defer_deletions = true});
  Populate(*m, 3);
  ASSERT_OK(m->Checkpoint());
  EXPECT_FALSE(m->has_obsolete_files());  // Generation 1 is the fallback.
  ASSERT_OK(m->Checkpoint());
  ASSERT_OK(m->Checkpoint());
  // Generations 1 and 2 are superseded, but the checkpoints deleted nothing.
  EXPECT_TRUE(m->has_obsolete_files());
  EXPECT_THAT(Files(),
              ElementsAre("000001.log", "000001.snapshot", "000002.log",
                          "000002.snapshot", "000003.log", "000003.snapshot",
                          "000004.log", "000004.snapshot"));
  m->DeleteObsoleteFiles();
  EXPECT_FALSE(m->has_obsolete_files());
  EXPECT_THAT(Files(), ElementsAre("000003.log", "000003.snapshot",
                                   "000004.log", "000004.snapshot"));
  const State before = *m->current();
  m.reset();
  EXPECT_EQ(*Open()->current(), before);
}

TEST_F(ManifestTest, DeferredDeletionsLeftBehindAreDeletedByOpen) {
  State before;
  {
    auto m = Open({.defer_deletions = true});
    Populate(*m, 3);
    ASSERT_OK(m->Checkpoint());
    ASSERT_OK(m->Checkpoint());
    before = *m->current();
  }
  auto m = Open();
  EXPECT_EQ(*m->current(), before);
  EXPECT_THAT(Files(), ElementsAre("000002.log", "000002.snapshot",
                                   "000003.log", "000003.snapshot"));
}

TEST_F(ManifestTest, AGenerationLeftHalfRemovedInStepsIsOnlyDeleted) {
  // A crash while generation 1 was given back in steps leaves its files at
  // full size with zeros where holes were punched: open never reads them.
  State before;
  {
    auto m = Open({.defer_deletions = true});
    Populate(*m, 3);
    ASSERT_OK(m->Checkpoint());
    ASSERT_OK(m->Checkpoint());
    before = *m->current();
  }
  for (const char* name : {"000001.snapshot", "000001.log"}) {
    const std::string path = std::string(kDir) + "/" + name;
    const std::string bytes = *io::ReadFileToString(&mem_, path);
    ASSERT_OK(io::WriteFileSynced(
        &mem_, path,
        bytes.substr(0, bytes.size() / 2) +
            std::string(bytes.size() - bytes.size() / 2, '\0')));
  }
  auto m = Open();
  EXPECT_EQ(*m->current(), before);
  EXPECT_FALSE(m->recovery().used_previous_generation);
  EXPECT_FALSE(m->recovery().lost_data);
  EXPECT_THAT(Files(), ElementsAre("000002.log", "000002.snapshot",
                                   "000003.log", "000003.snapshot"));
}

TEST_F(ManifestTest, CheckpointThenMoreEditsThenReopen) {
  State before;
  {
    auto m = Open();
    Populate(*m, 3);
    ASSERT_OK(m->Checkpoint());
    ASSERT_OK(m->RemoveTable(2));
    ASSERT_OK(m->UpdateLsn(777));
    before = *m->current();
  }
  auto m = Open();
  EXPECT_EQ(*m->current(), before);
  EXPECT_EQ(m->recovery().generation, 2u);
  EXPECT_EQ(m->recovery().edits_replayed, 2u);
}

TEST_F(ManifestTest, AutomaticCheckpointWhenTheLogOutgrowsItsThreshold) {
  auto m =
      Open({.checkpoint_log_bytes = 2000, .checkpoint_snapshot_ratio = 2.0});
  Populate(*m, 60);
  m->WaitForCheckpoints();  // They run on the manifest's thread.
  EXPECT_GT(m->stats().checkpoints, 0u);
  EXPECT_GT(m->stats().generation, 1u);
  const State before = *m->current();
  m.reset();
  EXPECT_EQ(*Open()->current(), before);
}

TEST_F(ManifestTest, LogThresholdHoldsAcrossThousandsOfRestarts) {
  // A process that opens, applies one edit and closes, again and again
  // (each CLI command is one): the log the threshold compares is the whole
  // log on disk, not what this process wrote, so checkpoints still come.
  constexpr uint64_t kThreshold = 2000;
  const ManifestOptions options = {.checkpoint_log_bytes = kThreshold,
                                   .checkpoint_snapshot_ratio = 2.0};
  uint64_t largest_log = 0;
  for (int i = 1; i <= 3000; ++i) {
    auto m = Open(options);
    ASSERT_NE(m, nullptr);
    const uint64_t g = m->stats().generation;
    ASSERT_OK_AND_ASSIGN(uint64_t size, mem_.GetFileSize(io::JoinPath(
                                            kDir, wal::SegmentFileName(g))));
    ASSERT_EQ(m->stats().log_bytes, size) << "after open " << i;
    largest_log = std::max(largest_log, size);
    ASSERT_OK(m->UpdateLsn(i));
  }
  auto m = Open(options);
  EXPECT_EQ(m->current()->last_lsn, 3000u);
  // Each edit is a few dozen bytes: without checkpoints the log would hold
  // about 3000 of them.
  EXPECT_LE(largest_log, kThreshold + 100);
  EXPECT_GE(m->stats().generation, 20u);
}

TEST_F(ManifestTest, ConcurrentEditsFromManyThreadsAreGroupCommitted) {
  auto m = Open();
  ASSERT_OK(m->SetActiveWal(1));
  constexpr int kThreads = 8, kPerThread = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> n = m->AllocateOneTableId();
        ASSERT_OK(n.status());
        ASSERT_OK(m->AddTable(TestTable(*n)));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const State after = *m->current();
  EXPECT_EQ(after.tables.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(after.last_sequence, 1u + 2 * kThreads * kPerThread);
  m.reset();
  EXPECT_EQ(*Open()->current(), after);
}

TEST_F(ManifestTest, FailedLogWriteOrSyncIsStickyAndNothingIsApplied) {
  for (FsOp op : {FsOp::kWrite, FsOp::kSync}) {
    for (int err : {EIO, ENOSPC}) {
      SCOPED_TRACE(::testing::Message() << testing::FsOpName(op) << " " << err);
      testing::MemFileSystem mem;
      FaultInjectionFileSystem fs(&mem);
      ASSERT_OK(fs.CreateDir("/db"));
      auto m = *Manifest::Open(&fs, kDir);
      ASSERT_OK(m->SetActiveWal(1));
      const State before = *m->current();
      fs.FailNext(op, err);
      const absl::Status first = m->UpdateLsn(5);
      EXPECT_EQ(first.code(), absl::ErrnoToStatus(err, "").code());
      EXPECT_EQ(*m->current(), before);  // Not applied in memory.
      EXPECT_EQ(m->UpdateLsn(6), first);
      EXPECT_EQ(m->Checkpoint(), first);
      EXPECT_EQ(m->health(), first);
      EXPECT_FALSE(m->deletions_allowed());
    }
  }
}

// A group that fails does not take with it the edits of earlier groups that
// were durable and acknowledged, even when its callers reach the manifest
// before theirs do: the state shows exactly the acknowledged edits.
TEST_F(ManifestTest, FailedGroupKeepsEveryEarlierAcknowledgedEdit) {
  constexpr int kThreads = 8, kPerThread = 12, kTrials = 40;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE(::testing::Message() << "trial " << trial);
    testing::MemFileSystem mem;
    FaultInjectionFileSystem fs(&mem);
    ASSERT_OK(fs.CreateDir("/db"));
    auto m = *Manifest::Open(&fs, kDir);
    ASSERT_OK(m->SetActiveWal(1));
    std::vector<uint64_t> numbers;
    for (int i = 0; i < kThreads * kPerThread; ++i) {
      ASSERT_OK_AND_ASSIGN(uint64_t n, m->AllocateOneTableId());
      numbers.push_back(n);
    }
    // Somewhere among the next groups' writes and syncs.
    fs.FailOperationAt(fs.operation_count() + 4 + trial % 24);
    std::vector<std::vector<uint64_t>> acknowledged(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const uint64_t n = numbers[t * kPerThread + i];
          if (m->AddTable(TestTable(n)).ok()) acknowledged[t].push_back(n);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_FALSE(m->health().ok());
    std::vector<uint64_t> want;
    for (const auto& a : acknowledged)
      want.insert(want.end(), a.begin(), a.end());
    std::sort(want.begin(), want.end());
    std::vector<uint64_t> got;
    m->current()->tables.ForEach(
        [&](const TableMeta& table) { got.push_back(table.number); });
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
  }
}

// A checkpoint that waits for a pending edit to drain, and sees that edit's
// group fail, refuses with the log's error: it writes no new generation.
TEST_F(ManifestTest, CheckpointWaitingForAFailingEditRefuses) {
  testing::MemFileSystem mem;
  FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/db"));
  auto m = *Manifest::Open(&fs, kDir);
  ASSERT_OK(m->SetActiveWal(1));
  const uint64_t generation = m->stats().generation;
  std::promise<void> in_sync, release;
  std::shared_future<void> released = release.get_future().share();
  fs.SetSyncHook([&, held = false](const std::string&) mutable {
    if (std::exchange(held, true)) return;
    in_sync.set_value();
    released.wait();
    // The checkpoint's own syncs (its next log) went by meanwhile: this
    // one, the edit's, fails.
    fs.FailNext(FsOp::kSync, EIO);
  });
  absl::Status edit, checkpoint;
  std::thread apply([&] { edit = m->UpdateLsn(5); });
  in_sync.get_future().wait();
  std::thread checkpointer([&] { checkpoint = m->Checkpoint(); });
  // Give the checkpoint time to start waiting for the edit; if it has not,
  // it sees the failure first, and the test passes without proving much.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  apply.join();
  checkpointer.join();
  fs.SetSyncHook(nullptr);
  EXPECT_EQ(edit.code(), absl::ErrnoToStatus(EIO, "").code());
  EXPECT_EQ(checkpoint, edit);
  EXPECT_EQ(m->stats().generation, generation);
  EXPECT_EQ(m->health(), edit);
}

// A checkpoint that finds an edit in flight switches logs when that edit
// commits (or, past a grace period, holds new edits until it does): either
// way the edit is in the old log and in the new snapshot, and survives a
// power loss. The edit's sync is held until the checkpoint has made its next
// log, so the switch finds it in flight; whether the switch is already
// waiting when the edit commits is left to the threads, and the assertions
// hold for both orders (twenty rounds see both).
TEST_F(ManifestTest, ACheckpointSwitchesLogsWhenTheEditInFlightCommits) {
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    testing::MemFileSystem mem;
    FaultInjectionFileSystem fs(&mem);
    ASSERT_OK(fs.CreateDir("/db"));
    ASSERT_OK(fs.SyncDir("/"));
    auto m = *Manifest::Open(&fs, kDir);
    ASSERT_OK(m->SetActiveWal(1));
    const uint64_t generation = m->stats().generation;
    const std::string next_log = wal::SegmentFileName(generation + 1);
    std::promise<void> edit_in_sync, next_log_made, release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> edit_held{false}, next_seen{false};
    fs.SetSyncHook([&](const std::string& path) {
      if (absl::EndsWith(path, next_log)) {
        if (!next_seen.exchange(true)) next_log_made.set_value();
      } else if (!edit_held.exchange(true)) {
        edit_in_sync.set_value();
        released.wait();
      }
    });
    absl::Status edit, checkpoint;
    std::thread apply([&] { edit = m->UpdateLsn(5); });
    edit_in_sync.get_future().wait();
    std::thread checkpointer([&] { checkpoint = m->Checkpoint(); });
    next_log_made.get_future().wait();
    release.set_value();
    apply.join();
    checkpointer.join();
    fs.SetSyncHook(nullptr);
    ASSERT_OK(edit);
    ASSERT_OK(checkpoint);
    EXPECT_EQ(m->stats().generation, generation + 1);
    // The new snapshot is the state the old log ends with: the edit's.
    ASSERT_OK_AND_ASSIGN(State snapshot,
                         ReadSnapshot(&fs, kDir, generation + 1));
    EXPECT_EQ(snapshot.last_lsn, 5u);
    ASSERT_OK(m->UpdateLsn(6));  // Into the new log.
    m.reset();
    ASSERT_OK(fs.SimulateCrash());
    auto reopened = *Manifest::Open(&fs, kDir);
    EXPECT_EQ(reopened->current()->last_lsn, 6u);
  }
}

// Holds the sync of the checkpoint's snapshot (a *.snapshot.tmp file) until
// released; other syncs go through.
class SnapshotSyncHold {
 public:
  explicit SnapshotSyncHold(FaultInjectionFileSystem* fs) : fs_(fs) {
    released_ = release_.get_future().share();
    fs_->SetSyncHook([this](const std::string& path) {
      if (!absl::EndsWith(path, ".snapshot.tmp") || held_.exchange(true)) {
        return;
      }
      in_sync_.set_value();
      released_.wait();
    });
  }
  ~SnapshotSyncHold() { fs_->SetSyncHook(nullptr); }
  void WaitUntilHeld() { in_sync_.get_future().wait(); }
  void Release() { release_.set_value(); }

 private:
  FaultInjectionFileSystem* const fs_;
  std::atomic<bool> held_{false};
  std::promise<void> in_sync_, release_;
  std::shared_future<void> released_;
};

TEST_F(ManifestTest, EditsCommitWhileACheckpointWritesItsSnapshot) {
  testing::MemFileSystem mem;
  FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/db"));
  auto m = *Manifest::Open(&fs, kDir);
  Populate(*m, 20);
  SnapshotSyncHold hold(&fs);
  std::thread checkpointer([&] { EXPECT_OK(m->Checkpoint()); });
  hold.WaitUntilHeld();
  // The snapshot is being written: edits neither wait for it nor fail.
  auto edits = std::async(std::launch::async, [&] {
    for (uint64_t lsn = 1000; lsn < 1010; ++lsn) {
      if (!m->UpdateLsn(lsn).ok()) return false;
    }
    return true;
  });
  ASSERT_EQ(edits.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "edits waited for the snapshot";
  EXPECT_TRUE(edits.get());
  EXPECT_EQ(m->current()->last_lsn, 1009u);
  EXPECT_EQ(m->stats().generation, 2u);   // The edits went to log 2...
  EXPECT_EQ(m->stats().checkpoints, 0u);  // ...before snapshot 2 was in.
  hold.Release();
  checkpointer.join();
  EXPECT_EQ(m->stats().checkpoints, 1u);
  const State before = *m->current();
  m.reset();
  auto reopened = *Manifest::Open(&mem, kDir);
  EXPECT_EQ(*reopened->current(), before);
  EXPECT_FALSE(reopened->recovery().finished_checkpoint);
}

TEST_F(ManifestTest, EditsCommitWhileACheckpointDeletesOldGenerations) {
  auto m = Open();
  Populate(*m, 5);
  ASSERT_OK(m->Checkpoint());  // Generation 2; generation 1 stays.
  // The third checkpoint deletes generation 1's files: hold the first
  // removal there until edits have committed beside it.
  std::promise<void> in_remove, release;
  std::shared_future<void> released = release.get_future().share();
  fs_.SetRemoveHook([&, held = false](const std::string&) mutable {
    if (std::exchange(held, true)) return;
    in_remove.set_value();
    released.wait();
  });
  std::thread checkpointer([&] { EXPECT_OK(m->Checkpoint()); });
  in_remove.get_future().wait();
  auto edits = std::async(std::launch::async, [&] {
    for (uint64_t lsn = 500; lsn < 505; ++lsn) {
      if (!m->UpdateLsn(lsn).ok()) return false;
    }
    return true;
  });
  const bool waited =
      edits.wait_for(std::chrono::seconds(20)) != std::future_status::ready;
  release.set_value();
  checkpointer.join();
  fs_.SetRemoveHook(nullptr);
  ASSERT_FALSE(waited) << "edits waited for the deletion of old files";
  EXPECT_TRUE(edits.get());
  EXPECT_EQ(m->current()->last_lsn, 504u);
  EXPECT_THAT(Files(), ElementsAre("000002.log", "000002.snapshot",
                                   "000003.log", "000003.snapshot"));
}

TEST_F(ManifestTest, ACrashBeforeTheSnapshotIsInstalledReplaysTheChain) {
  testing::MemFileSystem mem;
  FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/db"));
  ASSERT_OK(fs.SyncDir("/"));
  auto m = *Manifest::Open(&fs, kDir);
  Populate(*m, 20);
  SnapshotSyncHold hold(&fs);
  std::thread checkpointer([&] { m->Checkpoint().IgnoreError(); });
  hold.WaitUntilHeld();
  ASSERT_OK(m->UpdateLsn(4242));  // Acknowledged, in log 2 only.
  const State acked = *m->current();
  ASSERT_OK(fs.SimulateCrash());  // Snapshot 2 was never synced.
  hold.Release();
  checkpointer.join();
  m.reset();
  EXPECT_THAT(*mem.ListDir(kDir), ::testing::Contains("000002.log"));
  EXPECT_THAT(*mem.ListDir(kDir),
              ::testing::Not(::testing::Contains("000002.snapshot")));

  auto reopened = *Manifest::Open(&mem, kDir);
  EXPECT_EQ(*reopened->current(), acked);
  EXPECT_TRUE(reopened->recovery().finished_checkpoint);
  EXPECT_FALSE(reopened->recovery().used_previous_generation);
  EXPECT_EQ(reopened->recovery().generation, 2u);
  // The missing snapshot was written; the next open starts from it.
  EXPECT_THAT(*mem.ListDir(kDir), ::testing::Contains("000002.snapshot"));
  ASSERT_OK(reopened->UpdateLsn(5000));
  const State after = *reopened->current();
  reopened.reset();
  auto again = *Manifest::Open(&mem, kDir);
  EXPECT_EQ(*again->current(), after);
  EXPECT_FALSE(again->recovery().finished_checkpoint);
}

TEST_F(ManifestTest, AChainFromAPreviousGenerationWhenTheSnapshotIsDamaged) {
  testing::MemFileSystem mem;
  FaultInjectionFileSystem fs(&mem);
  ASSERT_OK(fs.CreateDir("/db"));
  ASSERT_OK(fs.SyncDir("/"));
  auto m = *Manifest::Open(&fs, kDir);
  Populate(*m, 10);
  ASSERT_OK(m->Checkpoint());  // Generation 2, complete.
  ASSERT_OK(m->UpdateLsn(300));
  SnapshotSyncHold hold(&fs);
  std::thread checkpointer([&] { m->Checkpoint().IgnoreError(); });
  hold.WaitUntilHeld();
  ASSERT_OK(m->UpdateLsn(400));  // In log 3 only; snapshot 3 never lands.
  const State acked = *m->current();
  ASSERT_OK(fs.SimulateCrash());
  hold.Release();
  checkpointer.join();
  m.reset();
  // And snapshot 2 is damaged: the chain starts from snapshot 1.
  const std::string path = std::string(kDir) + "/000002.snapshot";
  std::string bytes = *io::ReadFileToString(&mem, path);
  bytes[bytes.size() / 2] ^= 0x10;
  ASSERT_OK(io::WriteFileSynced(&mem, path, bytes));

  auto reopened = *Manifest::Open(&mem, kDir);
  EXPECT_EQ(*reopened->current(), acked);
  EXPECT_TRUE(reopened->recovery().finished_checkpoint);
  EXPECT_TRUE(reopened->recovery().used_previous_generation);
  EXPECT_EQ(reopened->recovery().generation, 3u);
  EXPECT_EQ(reopened->recovery().snapshot_sequence, 0u);  // Snapshot 1.
}

TEST_F(ManifestTest, ALogMoreThanOneGenerationPastTheSnapshotIsDataLoss) {
  {
    auto m = Open();
    Populate(*m, 3);
  }
  // A log numbered 3 beside snapshot 1: no checkpoint leaves that.
  ASSERT_OK(io::WriteFileSynced(
      &fs_, std::string(kDir) + "/000003.log",
      *io::ReadFileToString(&fs_, std::string(kDir) + "/000001.log")));
  EXPECT_THAT(Manifest::Open(&fs_, kDir).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("by more than one generation")));
}

TEST_F(ManifestTest, FailedCheckpointStopsTheManifestAndKeepsItsState) {
  for (FsOp op : {FsOp::kRename, FsOp::kDirSync, FsOp::kWrite, FsOp::kSync}) {
    SCOPED_TRACE(testing::FsOpName(op));
    testing::MemFileSystem mem;
    FaultInjectionFileSystem fs(&mem);
    ASSERT_OK(fs.CreateDir("/db"));
    State before;
    {
      auto m = *Manifest::Open(&fs, kDir);
      ASSERT_OK(m->SetActiveWal(1));
      before = *m->current();
      fs.FailNext(op, ENOSPC);
      EXPECT_FALSE(m->Checkpoint().ok());
      EXPECT_FALSE(m->SetVersion(2).ok());
      EXPECT_FALSE(m->deletions_allowed());
    }
    fs.ClearFaults();
    auto reopened = Manifest::Open(&fs, kDir);
    ASSERT_OK(reopened.status());
    EXPECT_EQ(*(*reopened)->current(), before);
  }
}

TEST_F(ManifestTest, CorruptNewestSnapshotRecoversFromThePreviousGeneration) {
  State before;
  {
    auto m = Open();
    Populate(*m, 3);
    ASSERT_OK(m->Checkpoint());  // Generation 2.
    ASSERT_OK(m->RemoveTable(1));
    before = *m->current();
  }
  const std::string path = std::string(kDir) + "/000002.snapshot";
  std::string bytes = *io::ReadFileToString(&mem_, path);
  bytes[40] ^= 1;
  ASSERT_OK(io::WriteFileSynced(&mem_, path, bytes));
  auto m = Open();
  EXPECT_TRUE(m->recovery().used_previous_generation);
  EXPECT_THAT(m->recovery().snapshot_error, HasSubstr("000002.snapshot"));
  EXPECT_EQ(*m->current(), before);
  // The damaged snapshot was rewritten: the next open needs no fallback.
  m.reset();
  auto again = Open();
  EXPECT_FALSE(again->recovery().used_previous_generation);
  EXPECT_EQ(*again->current(), before);
}

TEST_F(ManifestTest, CorruptSnapshotWithoutAPreviousGenerationIsDataLoss) {
  { Populate(*Open(), 1); }
  const std::string path = std::string(kDir) + "/000001.snapshot";
  std::string bytes = *io::ReadFileToString(&mem_, path);
  bytes[5] ^= 1;
  ASSERT_OK(io::WriteFileSynced(&mem_, path, bytes));
  EXPECT_THAT(Manifest::Open(&fs_, kDir),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("no previous generation to recover from")));
}

TEST_F(ManifestTest, TornTailOfTheNewestLogIsRepairedAndReported) {
  State before;
  {
    auto m = Open();
    Populate(*m, 2);
    before = *m->current();
    ASSERT_OK(m->UpdateLsn(99));
  }
  const std::string path = std::string(kDir) + "/000001.log";
  std::string bytes = *io::ReadFileToString(&mem_, path);
  ASSERT_OK(
      io::WriteFileSynced(&mem_, path, bytes.substr(0, bytes.size() - 2)));
  auto m = Open();
  EXPECT_TRUE(m->recovery().repaired_torn_tail);
  EXPECT_THAT(m->recovery().torn_tail, HasSubstr("000001.log"));
  EXPECT_EQ(*m->current(), before);
  ASSERT_OK(m->UpdateLsn(100));  // The log continues after the repair.
  m.reset();
  EXPECT_EQ(Open()->current()->last_lsn, 100u);
}

TEST_F(ManifestTest, ZeroFilledLogTailIsATornTailNotDataLoss) {
  // What a crash leaves when the log's size reached the disk and its data
  // did not: 40 zero bytes after the last edit.
  State before;
  {
    auto m = Open();
    Populate(*m, 3);
    before = *m->current();
  }
  const std::string path = std::string(kDir) + "/000001.log";
  const std::string bytes = *io::ReadFileToString(&mem_, path);
  ASSERT_OK(io::WriteFileSynced(&mem_, path, bytes + std::string(40, '\0')));
  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->recovery().repaired_torn_tail);
  EXPECT_THAT(m->recovery().torn_tail, HasSubstr("zeros from offset"));
  EXPECT_EQ(*m->current(), before);
  EXPECT_EQ(*mem_.GetFileSize(path), bytes.size());  // The zeros are cut.
  ASSERT_OK(m->UpdateLsn(100));
  m.reset();
  EXPECT_EQ(Open()->current()->last_lsn, 100u);
}

// Appends raw edits to a fresh manifest's log, bypassing validation.
void AppendRaw(io::FileSystem* fs, const std::vector<std::string>& records) {
  auto log = *wal::Writer::Reopen(
      fs, kDir, 1, *fs->GetFileSize(std::string(kDir) + "/000001.log"), {});
  for (const std::string& r : records) ASSERT_OK(log->Append(r));
}

TEST_F(ManifestTest, SequenceGapIsDataLossNamingFileAndOffset) {
  { Open(); }
  Edit e1, e3;
  e1.sequence = 1;
  e1.ops.push_back(SetVersion{1});
  e3.sequence = 3;
  e3.ops.push_back(SetVersion{3});
  std::string r1, r3;
  EncodeEdit(e1, &r1);
  EncodeEdit(e3, &r3);
  AppendRaw(&fs_, {r1, r3});
  EXPECT_THAT(Manifest::Open(&fs_, kDir),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("000001.log record at offset 39: edit "
                                 "sequence 3 where 2 was expected")));
}

TEST_F(ManifestTest, UnknownOpFromANewerFormatIsRefused) {
  { Open(); }
  Edit e1;
  e1.sequence = 1;
  std::string r1;
  EncodeEdit(e1, &r1);
  TaggedWriter(&r1).Varint(60, 1);
  AppendRaw(&fs_, {r1});
  EXPECT_THAT(Manifest::Open(&fs_, kDir),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer format version")));
}

TEST_F(ManifestTest, BestEffortRecoversTheLongestPrefixAndForbidsDeletes) {
  State prefix;
  {
    auto m = Open();
    Populate(*m, 2);
    prefix = *m->current();
    ASSERT_OK(m->UpdateLsn(10));
    ASSERT_OK(m->UpdateLsn(20));
  }
  // Damage the second-to-last record: valid data follows it.
  const std::string path = std::string(kDir) + "/000001.log";
  std::string bytes = *io::ReadFileToString(&mem_, path);
  bytes[bytes.size() - 12] ^= 1;
  ASSERT_OK(io::WriteFileSynced(&mem_, path, bytes));
  EXPECT_THAT(Manifest::Open(&fs_, kDir),
              StatusIs(absl::StatusCode::kDataLoss));
  auto m = Open({.best_effort = true});
  EXPECT_TRUE(m->recovery().lost_data);
  EXPECT_FALSE(m->deletions_allowed());
  EXPECT_EQ(*m->current(), prefix);
  // The damaged log is kept as found; work continues in a new generation.
  EXPECT_EQ(*io::ReadFileToString(&mem_, path), bytes);
  EXPECT_EQ(m->stats().generation, 2u);
}

}  // namespace
}  // namespace strata::manifest
