// SSTable performance, in one binary:
//  - build throughput including the sync, next to a raw write+fsync of the
//    same number of bytes;
//  - point lookups on a warm 64 MiB table;
//  - full scan throughput.
//
//   STRATA_BENCH_DIR=/path bazel run -c opt --config=opt
//   //sstable:table_benchmark

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "io/file_system.h"
#include "io/posix_file_system.h"
#include "sstable/table_reader.h"
#include "sstable/table_writer.h"
#include "testing/bench_dir.h"
#include "testing/random.h"

namespace strata::sstable {
namespace {

// Files of the whole run live here.
const std::string& BenchRoot() {
  static testing::BenchDir dir;  // Removed, with what is left, at exit.
  return dir.path();
}

constexpr uint64_t kTableBytes = uint64_t{64} << 20;
constexpr size_t kValueSize = 100;

// "user" and 12 zero-padded digits, written without formatting machinery
// so the benchmark measures the table, not the key generator.
void FillKey(uint64_t i, std::string* key) {
  key->assign("user000000000000");
  for (size_t p = key->size(); i > 0; i /= 10) (*key)[--p] = '0' + i % 10;
}

std::string Key(uint64_t i) {
  std::string key;
  FillKey(i, &key);
  return key;
}

// Builds a ~64 MiB table at `path`; returns its entry count.
uint64_t BuildTable(const std::string& path, uint64_t* file_size) {
  auto writer = *TableWriter::Create(io::PosixFileSystem(), path);
  const std::string value = testing::Random(1).Bytes(kValueSize);
  uint64_t n = 0;
  std::string key;
  while (writer->EstimatedSize() < kTableBytes) {
    FillKey(n, &key);
    writer->Put(key, n + 1, value).IgnoreError();
    ++n;
  }
  *file_size = writer->Finish()->file_size;
  return n;
}

void BM_BuildTable64MiB(benchmark::State& state) {
  const std::string path = BenchRoot() + "/strata-bench-build.sst";
  uint64_t size = 0;
  for (auto _ : state) BuildTable(path, &size);
  state.SetBytesProcessed(state.iterations() * size);
  std::filesystem::remove(path);
}
BENCHMARK(BM_BuildTable64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// The physical limit: the same number of bytes written in 64 KiB writes,
// then fsync.
void BM_RawWriteSync64MiB(benchmark::State& state) {
  const std::string path = BenchRoot() + "/strata-bench-raw";
  const std::string chunk(64 << 10, 'r');
  for (auto _ : state) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (uint64_t done = 0; done < kTableBytes; done += chunk.size()) {
      if (write(fd, chunk.data(), chunk.size()) < 0) state.SkipWithError("w");
    }
    fsync(fd);
    close(fd);
  }
  state.SetBytesProcessed(state.iterations() * kTableBytes);
  std::filesystem::remove(path);
}
BENCHMARK(BM_RawWriteSync64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

struct ReadFixture {
  std::string path = BenchRoot() + "/strata-bench-read.sst";
  uint64_t entries = 0;
  uint64_t size = 0;
  std::unique_ptr<TableReader> table;
  ReadFixture() {
    entries = BuildTable(path, &size);
    table = *TableReader::Open(io::PosixFileSystem(), path);
  }
  ~ReadFixture() { std::filesystem::remove(path); }
};

ReadFixture& Fixture() {
  static ReadFixture* fixture = new ReadFixture();
  return *fixture;
}

void BM_PointLookupWarm64MiB(benchmark::State& state) {
  ReadFixture& f = Fixture();
  testing::Random rnd(7);
  uint64_t found = 0;
  for (auto _ : state) {
    auto got = f.table->Get(Key(rnd.Uniform(f.entries)));
    found += got.ok() && got->has_value();
  }
  if (found != static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("missing keys");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PointLookupWarm64MiB);

void BM_Scan64MiB(benchmark::State& state) {
  ReadFixture& f = Fixture();
  for (auto _ : state) {
    auto it = f.table->NewIterator();
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    if (n != f.entries) state.SkipWithError("short scan");
  }
  state.SetBytesProcessed(state.iterations() * f.size);
  state.SetItemsProcessed(state.iterations() * f.entries);
}
BENCHMARK(BM_Scan64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace strata::sstable

BENCHMARK_MAIN();
