#!/usr/bin/env bash
# Installs what Strata needs on Debian bookworm, as root: Bazel (Debian's
# bazel-bootstrap, 4.2.3) with the rule sets it needs offline, a C++
# toolchain with sanitizers and libFuzzer, and the libraries Strata links.
# Idempotent: quiet and quick when everything is already there.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  g++ clang-14 libclang-rt-14-dev libfuzzer-14-dev clang-format
  libabsl-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev libisal-dev
  liblz4-dev libzstd-dev  # Per-block table compression.
  libleveldb-dev librocksdb-dev  # The peers of //engine:peer_benchmark only.
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
