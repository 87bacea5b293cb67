// Test-only: the engine's crash and fault sweeps, shared by the fast crash
// test (one fixed workload) and the on-demand soak (many random ones).
//
// A workload of puts, deletes, range deletes, batches, flushes and compactions
// — with freezes, automatic compactions and manifest checkpoints along the way
// — runs on a FaultInjectionFileSystem. SweepCrashes freezes the disk at
// operation k, simulates a power loss (with or without torn unsynced bytes)
// and reopens; SweepFaults fails operation k with an errno instead. For
// every k the reopened database must hold exactly the acknowledged writes
// (plus possibly the one in flight), verify, hold no orphan file, and work.

#ifndef STRATA_ENGINE_CRASH_HARNESS_H_
#define STRATA_ENGINE_CRASH_HARNESS_H_

#include <cstdint>
#include <vector>

#include "engine/engine.h"
#include "engine/write_batch.h"

namespace strata::engine::crash {

// Small memtables, tables, tiers and checkpoint thresholds, so that a
// workload of a hundred steps exercises every procedure; no background
// thread, so every run makes the same operations.
EngineOptions CrashOptions();

struct Step {
  enum Kind { kWrite, kFlush, kCompact } kind = kWrite;
  WriteBatch batch;
};

// `count` steps drawn from `seed`: mostly writes of one to five keys (a
// fifth of them deletions, one in twelve a range delete of up to eight
// keys) over a 40-key space, some flushes and compactions.
std::vector<Step> Workload(uint64_t seed, int count);

// The file-system operations one fault-free run of `steps` makes.
uint64_t OperationsOfACleanRun(const std::vector<Step>& steps);

// A crash at every operation of `steps`, then a reopen, checked as above.
// `seed` chooses the torn prefixes. Stops at the first fatal failure.
void SweepCrashes(const std::vector<Step>& steps, bool torn, uint64_t seed);

// `err` at every operation, without a crash: the engine turns read-only
// (or, for a failed deletion, carries on), loses nothing, and a reopen
// recovers. Stops at the first fatal failure.
void SweepFaults(const std::vector<Step>& steps, int err);

}  // namespace strata::engine::crash

#endif  // STRATA_ENGINE_CRASH_HARNESS_H_
