// The crash and fault sweeps of crash_test.cc over many random workloads
// instead of one: long, so tagged `soak` and run on demand:
//
//   bazel test --config=soak //engine:crash_soak_test
//
// STRATA_SOAK_WORKLOADS workloads (default 20) of 300 steps each, seeded
// from STRATA_SOAK_SEED on (default 1); pass them with --test_env. Each is
// swept for a crash at every operation with and without torn unsynced
// bytes, and for EIO (odd seeds) or ENOSPC (even seeds) at every operation.
// A failure names its seed, and one workload reruns alone with
// --test_env=STRATA_SOAK_SEED=<seed> --test_env=STRATA_SOAK_WORKLOADS=1.

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/crash_harness.h"
#include "gtest/gtest.h"

namespace strata::engine {
namespace {

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  uint64_t n;
  if (value == nullptr) return fallback;
  if (!absl::SimpleAtoi(value, &n)) {
    ADD_FAILURE() << name << "=" << value << " is not a number";
    return fallback;
  }
  return n;
}

TEST(EngineCrashSoak, RandomWorkloadsSurviveEveryCrashAndFault) {
  const uint64_t first = EnvOr("STRATA_SOAK_SEED", 1);
  const uint64_t count = EnvOr("STRATA_SOAK_WORKLOADS", 20);
  for (uint64_t seed = first; seed < first + count; ++seed) {
    SCOPED_TRACE(absl::StrCat("workload seed ", seed));
    const std::vector<crash::Step> steps = crash::Workload(seed, 300);
    crash::SweepCrashes(steps, /*torn=*/true, seed);
    if (HasFatalFailure()) return;
    crash::SweepCrashes(steps, /*torn=*/false, seed);
    if (HasFatalFailure()) return;
    crash::SweepFaults(steps, seed % 2 == 1 ? EIO : ENOSPC);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace strata::engine
