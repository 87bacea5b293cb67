#!/usr/bin/env bash
# The inspection tools as a user runs them: --help, exit codes, a database
# directory or the part's own directory, relative paths under `bazel run`,
# and one escaping rule in text and JSON.
#   tools_binary_test.sh STRATA MANIFEST_DUMP MANIFEST_CHECK WAL_DUMP SST_DUMP
set -uo pipefail

abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
strata=$(abs "$1")
manifest_dump=$(abs "$2")
manifest_check=$(abs "$3")
wal_dump=$(abs "$4")
sst_dump=$(abs "$5")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/strata_tools.XXXXXX")
cd "$work" || exit 1
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
run() {
  "$@" >out 2>err
  code=$?
}
expect_exit() {
  [ "$code" = "$1" ] || fail "$2: exit $code, expected $1 (stderr: $(cat err))"
}
expect_in() {
  grep -qF -- "$2" "$1" || fail "$3: '$2' not in $1: $(cat "$1")"
}
expect_not_in() {
  ! grep -qF -- "$2" "$1" || fail "$3: '$2' in $1: $(cat "$1")"
}

# A database with a UTF-8 key, a binary key, two tables, and WAL records.
"$strata" --db=db put "$(printf 'caf\xc3\xa9')" latte >/dev/null || fail "put"
"$strata" --db=db --hex put ff00 00 >/dev/null || fail "put --hex"
"$strata" --db=db flush >/dev/null || fail "flush"
"$strata" --db=db put apple red >/dev/null || fail "put apple"
"$strata" --db=db flush >/dev/null || fail "flush"
"$strata" --db=db put walkey walvalue >/dev/null || fail "put walkey"

for tool in "$manifest_dump" "$manifest_check" "$wal_dump" "$sst_dump"; do
  name=$(basename "$tool")
  run "$tool" --help
  expect_exit 0 "$name --help"
  expect_in out "usage: $name" "$name --help"
  expect_in out "exit codes:" "$name --help"
  run "$tool"
  expect_exit 2 "$name with no argument"
  run "$tool" --no_such_flag x
  expect_exit 2 "$name with an unknown flag"
done

# The database directory or the part's directory; the same output.
run "$manifest_dump" db
expect_exit 0 "manifest_dump DB"
cp out by_db
run "$manifest_dump" db/manifest
expect_exit 0 "manifest_dump DB/manifest"
cmp -s out by_db || fail "manifest_dump DB and DB/manifest differ"
run "$manifest_dump" nowhere
expect_exit 1 "manifest_dump of a missing directory"
expect_not_in err "manifest_dump: manifest_dump:" "no doubled prefix"
run "$wal_dump" --values db
expect_exit 0 "wal_dump DB"
expect_in out 'put "walkey" = "walvalue"' "wal_dump DB"

# --filter shows only what matches.
run "$manifest_dump" --filter=^apple db
expect_exit 0 "manifest_dump --filter"
expect_in out '"apple"' "manifest_dump --filter"
expect_not_in out 'caf' "manifest_dump --filter"
expect_not_in out 'AddTable ;' "manifest_dump --filter"
expect_not_in out 'SetActiveWal' "manifest_dump --filter"

# JSON: valid UTF-8 as a string, anything else as *_hex.
run "$manifest_dump" --json db
expect_exit 0 "manifest_dump --json"
expect_in out "$(printf '"smallest_key":"caf\xc3\xa9"')" "UTF-8 key in JSON"
table=$(ls db/sst | grep '\.sst$' | head -1)
run "$sst_dump" --json "db/sst/$table"
expect_exit 0 "sst_dump --json"
expect_in out '"key_hex":"ff00"' "binary key in JSON"
expect_in out "$(printf '"key":"caf\xc3\xa9"')" "UTF-8 key in sst_dump JSON"
run "$sst_dump" "db/sst/$table"
expect_in out '"caf\xc3\xa9" @' "one escaping rule in sst_dump text"
run "$wal_dump" --json db
expect_exit 0 "wal_dump --json"
[ "$(wc -l <out)" -ge 2 ] || fail "wal_dump --json: JSON Lines expected"

# Relative paths under `bazel run` are where the user ran the command.
mkdir elsewhere
(cd elsewhere && BUILD_WORKING_DIRECTORY="$work" "$manifest_check" db >../out 2>../err)
code=$?
expect_exit 0 "manifest_check under bazel run"
expect_in out "every one present in" "manifest_check looks for the tables"
(cd elsewhere && BUILD_WORKING_DIRECTORY="$work" "$sst_dump" "db/sst/$table" >../out 2>../err)
code=$?
expect_exit 0 "sst_dump under bazel run"
(cd elsewhere && BUILD_WORKING_DIRECTORY="$work" "$wal_dump" db >../out 2>../err)
code=$?
expect_exit 0 "wal_dump under bazel run"

# A table the manifest lists but that is missing is data loss (exit 3).
mv "db/sst/$table" aside.sst
run "$manifest_check" db
expect_exit 3 "manifest_check with a listed table missing"
expect_in err "missing from" "manifest_check with a listed table missing"
mv aside.sst "db/sst/$table"
# A damaged table: sst_dump --verify is data loss too.
cp "db/sst/$table" damaged.sst
printf '\x55' | dd of=damaged.sst bs=1 seek=3 conv=notrunc 2>/dev/null
run "$sst_dump" --verify damaged.sst
expect_exit 3 "sst_dump --verify of a damaged table"

rm -rf "$work"
if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all passed"
