// A main() for fuzz targets in ordinary builds, so every fuzzer also runs as
// a regression test in `bazel test //...` without libFuzzer: it feeds the
// target each file named on the command line (a corpus) and then a fixed,
// seeded stream of random inputs. Under --config=fuzz, libFuzzer's own main
// is linked instead and this file is left out.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "testing/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
}

}  // namespace

int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) continue;  // Flags meant for libFuzzer, e.g. -runs=100.
    std::stringstream contents;
    contents << in.rdbuf();
    Run(contents.str());
    ++files;
  }
  const char* env_runs = std::getenv("STRATA_FUZZ_RUNS");
  const int runs = env_runs != nullptr ? std::atoi(env_runs) : 20000;
  strata::testing::Random rnd(20261124);
  for (int i = 0; i < runs; ++i) {
    // Short inputs are where decoders' edge cases live.
    const size_t size = rnd.OneIn(8) ? rnd.Uniform(4096) : rnd.Uniform(64);
    Run(rnd.Bytes(size));
  }
  std::printf("fuzz driver: %d corpus files, %d random inputs, no crash\n",
              files, runs);
  return 0;
}
