#!/usr/bin/env bash
# Runs the crash and concurrency tests 20 times each beside two CPU-bound
# processes, so that an assertion that depends on thread timing shows up
# here rather than once on a fresh CI machine. Ends with "N passed, M failed"
# (one per test target, failed if any of its runs failed).
#
#   tools/flake_check.sh [RUNS]     (default 20)
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:-20}
targets=(
  //manifest:crash_test
  //manifest:manifest_test
  //wal:writer_test
  //engine:crash_test
  //engine:race_test
  //engine:model_test
  //engine:read_test
  //engine:engine_test
  //engine:kill_test
  //engine:checkpoint_test
  //engine:events_test
  //engine:follower_test
  //engine:table_cache_test
  //sstable:block_cache_test
  //wal:tail_test
)

tools/setup.sh || exit 1
bazel build "${targets[@]}" || { echo "0 passed, 1 failed"; exit 1; }

# Two busy loops, one per core, for as long as the runs take.
burners=()
for _ in 1 2; do
  (while :; do :; done) &
  burners+=($!)
done
trap 'kill "${burners[@]}" 2>/dev/null' EXIT

log=$(mktemp)
bazel test --runs_per_test="$runs" --test_output=errors --test_summary=short \
  --nocache_test_results \
  "${targets[@]}" 2>&1 | tee "$log" | grep -E '^//|FAILED|TIMEOUT'
passed=$(grep -cE '^//\S+\s+PASSED' "$log")
failed=$(grep -cE '^//\S+\s+(FAILED|TIMEOUT|FLAKY|NO STATUS)' "$log")
rm -f "$log"
echo "$passed passed, $failed failed"
((failed == 0))
