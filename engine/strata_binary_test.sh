#!/usr/bin/env bash
# The strata binary as a user runs it: a typo'd --db, a lost manifest and
# `strata repair`, a directory holding someone else's files, read-only
# commands that create nothing, and the warnings open prints.
set -uo pipefail

strata=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/strata_cli.XXXXXX")
cd "$work" || exit 1
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# Runs strata, keeping stdout, stderr and the exit code.
run() {
  "$strata" "$@" >out 2>err
  code=$?
}

expect_exit() {  # expected-code what
  [ "$code" = "$1" ] || fail "$2: exit $code, expected $1 (stderr: $(cat err))"
}

expect_in() {  # file text what
  grep -qF -- "$2" "$1" || fail "$3: '$2' not in $1: $(cat "$1")"
}

# A read-only command on a directory that does not exist creates nothing.
run --db=typo check
expect_exit 1 "check of a missing database"
expect_in err "no database at typo" "check of a missing database"
[ ! -e typo ] || fail "check created the directory it was pointed at"

# Write, lose the manifest, get refused with a hint, repair, read back.
run --db=db put k v
expect_exit 0 "put"
run --db=db get k
expect_exit 0 "get"
expect_in out "v" "get"
rm -rf db/manifest
before=$(cd db && find . -type f -exec md5sum {} + | sort)
run --db=db get k
expect_exit 3 "get without a manifest"
expect_in err "run \`strata repair\`" "get without a manifest"
after=$(cd db && find . -type f -exec md5sum {} + | sort)
[ "$before" = "$after" ] || fail "a refused open changed the directory"
run --db=db repair
expect_exit 0 "repair"
expect_in out "rebuilt" "repair"
expect_in out "new manifest: 1 tables" "repair"
run --db=db get k
expect_exit 0 "get after repair"
expect_in out "v" "get after repair"
run --db=db check
expect_exit 0 "check after repair"
run --db=db repair --json
expect_exit 0 "repair --json"
expect_in out '"next_table_number":' "repair --json"

# Someone else's directory is refused, and left as it was.
mkdir foreign
echo mine >foreign/notes.txt
run --db=foreign put a b
expect_exit 4 "put into a foreign directory"
expect_in err "not a Strata database" "put into a foreign directory"
[ "$(ls foreign)" = "notes.txt" ] || fail "the foreign directory was changed"

# Open says what it found: a torn data-WAL tail (read-only: left on disk)
# and a file it will not touch.
echo note >db/README
segment=$(ls db/wal | tail -1)
printf 'garbage' >>"db/wal/$segment"
size=$(stat -c %s "db/wal/$segment")
run --db=db get k
expect_exit 0 "get with a torn tail"
expect_in err "warning: data WAL: torn tail found" "get with a torn tail"
expect_in err "db/README was not written by Strata: left alone" "get"
[ "$(stat -c %s "db/wal/$segment")" = "$size" ] || fail "get cut the tail"
run --db=db put k2 v2
expect_exit 0 "put with a torn tail"
expect_in err "warning: data WAL: torn tail cut" "put with a torn tail"

# Under `bazel run` the default --db is ./strata-data where the user ran
# the command (BUILD_WORKING_DIRECTORY), not the runfiles tree.
mkdir -p user elsewhere
(cd elsewhere && BUILD_WORKING_DIRECTORY="$work/user" "$strata" put k v >../out 2>../err)
code=$?
expect_exit 0 "put under bazel run"
[ -d user/strata-data/manifest ] || fail "put under bazel run wrote elsewhere: $(ls -R elsewhere)"
(cd elsewhere && BUILD_WORKING_DIRECTORY="$work/user" "$strata" get k >../out 2>../err)
code=$?
expect_exit 0 "get under bazel run"
expect_in out "v" "get under bazel run"

rm -rf "$work"
if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all passed"
