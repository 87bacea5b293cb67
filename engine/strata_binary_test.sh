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

# A relative --db under `bazel run` is where the user ran the command too.
(cd elsewhere && BUILD_WORKING_DIRECTORY="$work/user" "$strata" --db=mydb put k v >../out 2>../err)
code=$?
expect_exit 0 "put --db=mydb under bazel run"
[ -d user/mydb/manifest ] || fail "--db=mydb under bazel run went elsewhere"
[ ! -e elsewhere/mydb ] || fail "--db=mydb was made in the runfiles directory"

# Help: exit 0, on stdout.
run --help
expect_exit 0 "--help"
expect_in out "usage: strata COMMAND" "--help"
expect_in out "exit codes: 0 success, 1 not found, 2 usage error, 3 data loss" "--help"
run help get
expect_exit 0 "help get"
expect_in out "usage: strata get KEY" "help get"
run help frobnicate
expect_exit 1 "help of an unknown command"

# Usage errors exit 2.
run --db=db flush now
expect_exit 2 "flush with an extra word"
expect_in err "usage: strata flush" "flush now"
run --db=db --no_such_flag get k
expect_exit 2 "an unknown flag"
expect_in err "unknown flag --no_such_flag" "an unknown flag"
run --db=db --limit=many scan
expect_exit 2 "a bad flag value"
run
expect_exit 2 "no command"

# Not found exits 1; a missing table the manifest lists is data loss (3).
run --db=db get no-such-key
expect_exit 1 "get of a missing key"

# Binary keys and values: --hex both ways, and a value from stdin.
run --db=db --hex put 00ff 6869
expect_exit 0 "put --hex"
run --db=db --hex get 00ff
expect_exit 0 "get --hex"
[ "$(cat out)" = "6869" ] || fail "get --hex printed $(cat out)"
run --db=db get "$(printf '\x01')"
expect_exit 1 "a key that is not there in another spelling"
run --db=db --hex put zz 00
expect_exit 2 "put --hex of a key that is not hex"
head -c 10485760 /dev/urandom >big
"$strata" --db=db put bigvalue - <big >out 2>err
code=$?
expect_exit 0 "put of a 10 MiB value from stdin"
"$strata" --db=db --raw get bigvalue >big.back 2>err
code=$?
expect_exit 0 "get --raw of the 10 MiB value"
cmp -s big big.back || fail "the 10 MiB value read back differs"

# One escaping rule: printable ASCII as is, \\ and \", anything else \xHH.
run --db=db put "$(printf 'caf\xc3\xa9')" "$(printf 'a"b\\c')"
expect_exit 0 "put of a UTF-8 key"
run --db=db scan caf cag
expect_exit 0 "scan"
expect_in out 'caf\xc3\xa9	a\"b\\c' "scan escaping"

# delete-range removes [START, END); scan --limit stops early.
for k in r1 r2 r3 r4; do
  run --db=db put "$k" v
  expect_exit 0 "put $k"
done
run --db=db delete-range r2 r4
expect_exit 0 "delete-range"
run --db=db scan r r9
expect_exit 0 "scan after delete-range"
[ "$(cat out)" = "$(printf 'r1\tv\nr4\tv')" ] || fail "delete-range left: $(cat out)"
run --db=db --limit=1 scan r r9
[ "$(cat out)" = "$(printf 'r1\tv')" ] || fail "scan --limit=1 printed: $(cat out)"
run --db=db delete-range r4 r2
expect_exit 2 "delete-range with its ends swapped"

# flush and compact say what they did; stats says what it counts.
run --db=db flush
expect_exit 0 "flush"
expect_in out "flush: " "flush"
expect_in out "memtables written to tables" "flush"
run --db=db compact
expect_exit 0 "compact"
expect_in out "compact: " "compact"
expect_in out "became 1 (" "compact"
run --db=db stats
expect_exit 0 "stats"
expect_in out "# counted since this process opened it:" "stats"

# demo runs exactly --ops operations.
run --db=demo demo --ops=1234
expect_exit 0 "demo --ops=1234"
expect_in out "operations: 1234 (" "demo --ops"

# A table the manifest lists but that is gone is data loss, for reads and
# for check.
table=$(ls db/sst | grep '\.sst$' | head -1)
mv "db/sst/$table" "db/sst/$table.aside"
run --db=db get k
expect_exit 3 "get with a listed table missing"
expect_in err "DATA_LOSS" "get with a listed table missing"
run --db=db check
expect_exit 3 "check with a listed table missing"
mv "db/sst/$table.aside" "db/sst/$table"
run --db=db check
expect_exit 0 "check"

# A flag the command does not take is a usage error, and changes nothing.
run --db=db scan --json
expect_exit 2 "scan --json"
expect_in err "does not take --json" "scan --json"
run --db=db get k --limit=3
expect_exit 2 "get --limit"

# A checkpoint: a new directory that opens as the database did; an
# existing one is refused.
run --db=db put ck cv
expect_exit 0 "put before checkpoint"
run --db=db checkpoint cp
expect_exit 0 "checkpoint"
expect_in out "checkpoint of lsn" "checkpoint"
run --db=cp get ck
expect_exit 0 "get from the checkpoint"
expect_in out "cv" "get from the checkpoint"
run --db=db checkpoint cp
expect_exit 4 "checkpoint onto an existing directory"
expect_in err "exists" "checkpoint onto an existing directory"

# follow prints the state it starts from and each edit, as JSON lines,
# while the database is written by another process.
# The writes wait until the follower printed its start, and the check
# until it printed the flush (or a minute passed): no timing is assumed.
wait_for() {  # file text
  for _ in $(seq 600); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
"$strata" --db=db follow --interval=50 >follow.out 2>follow.err &
follower=$!
wait_for follow.out '{"recovered":{' || fail "follow printed no start"
run --db=db put fk fv
run --db=db flush
wait_for follow.out '"op":"AddTable"' || fail "follow did not print the flush"
kill "$follower"
wait "$follower"
expect_in follow.out '"sequence":' "follow"
run --db=db follow --json
expect_exit 2 "follow --json"

rm -rf "$work"
if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all passed"
