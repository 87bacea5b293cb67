// The physical limit durable appends are measured against, shared by the
// benchmarks: append `size` bytes to a file with pwrite and make them
// durable with fdatasync, once per benchmark iteration.

#ifndef STRATA_TESTING_RAW_SYNC_LOOP_H_
#define STRATA_TESTING_RAW_SYNC_LOOP_H_

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "benchmark/benchmark.h"
#include "testing/bench_dir.h"

namespace strata::testing {

inline void RunRawAppendFdatasync(benchmark::State& state, size_t size) {
  BenchDir dir;
  const std::string path = dir.path() + "/raw";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  const std::string bytes(size, 'r');
  off_t offset = 0;
  for (auto _ : state) {
    if (pwrite(fd, bytes.data(), bytes.size(), offset) !=
            static_cast<ssize_t>(bytes.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("pwrite/fdatasync failed");
      break;
    }
    offset += bytes.size();
  }
  close(fd);
  state.SetBytesProcessed(state.iterations() * bytes.size());
}

}  // namespace strata::testing

#endif  // STRATA_TESTING_RAW_SYNC_LOOP_H_
