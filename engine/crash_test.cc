// Crash safety of the engine, on one fixed workload (crash_harness.h; the
// soak target sweeps many random ones). A workload of puts, deletes, range
// deletes, batches, flushes and compactions — with freezes, automatic
// compactions and manifest checkpoints along the way — runs on a
// FaultInjectionFileSystem that freezes the disk at operation k; then a power
// loss (with and without torn unsynced bytes) and a reopen. For every k:
//  - the database holds exactly the acknowledged writes, plus possibly the
//    one write in flight when the disk stopped: no acknowledged write lost,
//    no deleted key back;
//  - every table the manifest lists exists and verifies (Check);
//  - no orphan remains: the files on disk are exactly the live ones;
//  - the engine works afterwards.
// Then injected EIO and ENOSPC at every operation, without a crash: the
// engine turns read-only (or, for a failed deletion, carries on), loses
// nothing, and a reopen recovers.

#include <cerrno>
#include <memory>
#include <vector>

#include "engine/crash_harness.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using crash::Step;

// The workload every test here sweeps.
std::vector<Step> Workload() { return crash::Workload(2026, 100); }

TEST(EngineCrashTest, WorkloadExercisesEveryProcedure) {
  testing::MemFileSystem mem;
  const std::vector<Step> steps = Workload();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Engine> engine,
                       Engine::Open(&mem, "/db", crash::CrashOptions()));
  for (const Step& step : steps) {
    if (step.kind == Step::kWrite) {
      ASSERT_OK(engine->Write(step.batch));
    }
    if (step.kind == Step::kFlush) {
      ASSERT_OK(engine->Flush());
    }
    if (step.kind == Step::kCompact) {
      ASSERT_OK(engine->Compact());
    }
  }
  const EngineStats stats = engine->stats();
  int range_deletes = 0;
  for (const Step& step : steps) {
    for (const WriteBatch::Op& op : step.batch.ops()) {
      range_deletes += op.kind == sstable::EntryKind::kRangeDelete;
    }
  }
  EXPECT_GE(range_deletes, 5);
  EXPECT_GE(stats.flushes, 10u);
  EXPECT_GE(stats.compactions, 4u);
  EXPECT_GE(stats.checkpoints, 2u);
  // Freezes and large segments retire WAL segments; flushes of the active
  // memtable with a small segment keep it.
  EXPECT_GE(stats.wals_deleted, 5u);
  EXPECT_GE(stats.flushes, stats.wals_deleted + 5);
  EXPECT_GE(stats.tables_deleted, 8u);
  // Enough crash points for the sweeps below to mean something.
  EXPECT_GT(crash::OperationsOfACleanRun(steps), 300u);
}

class EngineCrashSweep : public ::testing::TestWithParam<bool> {};

TEST_P(EngineCrashSweep, EveryCrashPointKeepsAcknowledgedWrites) {
  crash::SweepCrashes(Workload(), /*torn=*/GetParam(), /*seed=*/0);
}

INSTANTIATE_TEST_SUITE_P(TornAndUntorn, EngineCrashSweep, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Torn" : "Untorn";
                         });

class EngineFaultSweep : public ::testing::TestWithParam<int> {};

TEST_P(EngineFaultSweep, AFailedOperationLeavesTheEngineReadOnlyAndLossless) {
  crash::SweepFaults(Workload(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(EioAndEnospc, EngineFaultSweep,
                         ::testing::Values(EIO, ENOSPC), [](const auto& info) {
                           return info.param == EIO ? "EIO" : "ENOSPC";
                         });

}  // namespace
}  // namespace strata::engine
