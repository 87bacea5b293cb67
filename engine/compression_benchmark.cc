// Table compression, chosen by measurement: none, LZ4 and Zstandard on
// values that compress about 2:1 (50 random bytes, then 50 repeated), one
// after the other and repeated three times (interleaved, so that a drifting
// disk moves all three alike):
//   fill   300k random puts, no sync, then Compact (ops/s over both)
//   bytes  the table bytes on disk after the compaction
//   read   random Gets of present keys, with the default 8 MiB block cache
//          (the tables are larger: most Gets read and expand a block)
//
//   STRATA_BENCH_DIR=/disk bazel run -c opt --config=opt
//   //engine:compression_benchmark

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "sstable/compression.h"
#include "testing/bench_dir.h"

namespace strata::engine {
namespace {

constexpr uint64_t kKeys = 300'000;

std::string Key(uint64_t i) { return absl::StrFormat("%015dk", i); }

std::string Value(std::mt19937_64& rnd) {
  std::string v(100, 'x');
  for (size_t i = 0; i < 50; ++i) v[i] = static_cast<char>(rnd());
  return v;
}

uint64_t TableBytes(const std::string& db) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(db + "/sst", ec)) {
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  }
  return bytes;
}

std::unique_ptr<Engine> Open(const std::string& path,
                             sstable::Compression compression) {
  EngineOptions o;
  o.wal_sync = wal::SyncPolicy::Never();
  o.table.compression = compression;
  auto engine = Engine::Open(io::PosixFileSystem(), path, o);
  return engine.ok() ? *std::move(engine) : nullptr;
}

void Fill(benchmark::State& state, sstable::Compression compression) {
  for (auto _ : state) {
    testing::BenchDir dir;
    const std::string path = dir.path() + "/db";
    std::unique_ptr<Engine> engine = Open(path, compression);
    std::mt19937_64 rnd(1);
    for (uint64_t i = 0; i < kKeys; ++i) {
      if (engine == nullptr ||
          !engine->Put(Key(i * 2654435761u % kKeys), Value(rnd)).ok()) {
        state.SkipWithError("put failed");
        return;
      }
    }
    if (!engine->Compact().ok()) state.SkipWithError("compact failed");
    state.counters["table_bytes"] = TableBytes(path);
    state.counters["bytes_per_key"] =
        static_cast<double>(TableBytes(path)) / kKeys;
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}

void Read(benchmark::State& state, sstable::Compression compression) {
  testing::BenchDir dir;
  const std::string path = dir.path() + "/db";
  std::unique_ptr<Engine> engine = Open(path, compression);
  std::mt19937_64 fill(1);
  for (uint64_t i = 0; i < kKeys; ++i) {
    if (engine == nullptr || !engine->Put(Key(i), Value(fill)).ok()) {
      state.SkipWithError("put failed");
      return;
    }
  }
  if (!engine->Compact().ok()) state.SkipWithError("compact failed");
  std::mt19937_64 rnd(2);
  for (auto _ : state) {
    if (!engine->Get(Key(rnd() % kKeys)).ok()) {
      state.SkipWithError("get failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void RegisterInterleaved() {
  for (int rep = 0; rep < 3; ++rep) {
    for (sstable::Compression c :
         {sstable::Compression::kNone, sstable::Compression::kLz4,
          sstable::Compression::kZstd}) {
      const std::string tag =
          absl::StrCat("/", sstable::CompressionName(c), "/rep:", rep);
      benchmark::RegisterBenchmark(("fill" + tag).c_str(), Fill, c)
          ->Iterations(1)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("read" + tag).c_str(), Read, c)
          ->MinTime(1.0)
          ->UseRealTime();
    }
  }
}

}  // namespace
}  // namespace strata::engine

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  strata::engine::RegisterInterleaved();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
