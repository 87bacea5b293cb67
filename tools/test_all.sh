#!/usr/bin/env bash
# Runs every Strata test: the whole suite, the suite again under ASan+UBSan,
# and the consumer check (examples/consumer builds and tests against Strata as
# an external repository). Installs what is missing first. Ends with one line
# "N passed, M failed" counted from Bazel's per-target results, and exits
# non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs `bazel test` with the given arguments in the current directory and
# adds its per-target results to the totals.
run_suite() {
  local name=$1
  shift
  echo "=== $name: bazel test $*"
  bazel test --test_summary=short "$@" 2>&1 | tee "$log" |
    grep -E '^(//|@)|^ERROR|^FAILED|Executed'
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -cE '^//\S+\s+(\(cached\) )?PASSED' "$log")
  f=$(grep -cE '^//\S+\s+(\(cached\) )?(FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE|REMOTE FAILURE)' "$log")
  if ((rc != 0 && f == 0)); then
    echo "$name: bazel exited $rc before any test failed (build error?)"
    f=1
  fi
  # What a failed test printed (its last lines), so that a failure seen only
  # once, on a CI machine, can still be read afterwards.
  local target
  for target in $(grep -oE '^//\S+\s+(FAILED|TIMEOUT|FLAKY)' "$log" | awk '{print $1}'); do
    local path=${target#//}
    path=${path/://}
    echo "--- $target: last lines of its log"
    local testlog="bazel-testlogs/$path/test.log"
    # From the first failure on (gtest, a sanitizer, an abort), else the end.
    if grep -qE 'Failure|Sanitizer|Check failed|terminate|Aborted' "$testlog" 2>/dev/null; then
      grep -m1 -A40 -E 'Failure|Sanitizer|Check failed|terminate|Aborted' "$testlog"
    else
      tail -n 40 "$testlog" 2>/dev/null
    fi
  done
  echo "$name: $p passed, $f failed"
  passed=$((passed + p))
  failed=$((failed + f))
}

run_suite "suite" //...
run_suite "asan" --config=asan //...
(cd "$root/examples/consumer" && run_suite "consumer" //...)

echo "$passed passed, $failed failed"
((failed == 0))
