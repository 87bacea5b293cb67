#!/usr/bin/env bash
# Fuzzes one decoder from a seed corpus of valid files:
#   tools/fuzz.sh FUZZER [libFuzzer flags, e.g. -runs=10000000]
# FUZZER: table_fuzzer, snapshot_fuzzer, codec_fuzzer, reader_fuzzer,
# segment_fuzzer, write_batch_fuzzer or coding_fuzzer. The seeds come from
# //tools:fuzz_corpus. CONFIG=fuzz_past_checksums (the default) builds with
# every checksum verification passing, so mutations reach the decoders
# behind the checksums; CONFIG=fuzz keeps them. CORPUS=DIR keeps the corpus
# (default: a new temporary directory). Crashes are written to the current
# directory, as libFuzzer does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: tools/fuzz.sh FUZZER [libFuzzer flags]}
shift
case "$name" in
  table_fuzzer) pkg=sstable ;;
  snapshot_fuzzer | codec_fuzzer) pkg=manifest ;;
  reader_fuzzer | segment_fuzzer) pkg=wal ;;
  write_batch_fuzzer) pkg=engine ;;
  coding_fuzzer) pkg=encoding ;;
  *) echo "tools/fuzz.sh: unknown fuzzer $name" >&2; exit 2 ;;
esac
config=${CONFIG:-fuzz_past_checksums}
corpus=${CORPUS:-$(mktemp -d)}
mkdir -p "$corpus"
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
(cd "$root" && bazel run //tools:fuzz_corpus -- "$seeds") >&2
if [ -d "$seeds/$name" ]; then cp "$seeds/$name"/* "$corpus"/; fi
(cd "$root" && bazel build --config="$config" "//$pkg:$name") >&2
bin=$(cd "$root" && bazel info --config="$config" bazel-bin)/$pkg/$name
exec "$bin" "$corpus" "$@"
