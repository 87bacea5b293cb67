// Reader latency while flushes and compactions replace tables: four
// readers Get random keys while one writer makes synced writes (the device
// then always has a journal commit under way, as in production), with a
// 1 MiB memtable so that tables are flushed, compacted and deleted all the
// time. Prints each Get's p50, p99, p99.9 and max latency, and how many
// tables were deleted meanwhile.
//
// What it was written to show: the thread that drops the last version
// using a table used to unlink it, and that was often a reader, waiting on
// the disk. It uses only the engine API of every round (with
// STRATA_OLD_ENGINE_API defined), so the same file builds against an older
// tree for a before-and-after comparison; STRATA_MMAP_READS=1 makes this
// tree read tables as that one did, through mappings.
//
//   STRATA_BENCH_DIR=/disk bazel run -c opt --config=opt
//   //engine:read_latency_benchmark

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "engine/write_batch.h"
#include "io/posix_file_system.h"
#include "testing/bench_dir.h"

namespace strata::engine {
namespace {

constexpr uint64_t kKeys = 200'000;
constexpr int kReaders = 4;

std::string Key(uint64_t i) { return absl::StrFormat("%015d", i); }

void BM_ReadLatencyDuringCompactions(benchmark::State& state) {
  testing::BenchDir dir;
  EngineOptions o;
  o.memtable_bytes = size_t{1} << 20;
#ifndef STRATA_OLD_ENGINE_API
  // Mapped reads, as every table was read before the block cache: set to
  // compare with an older tree (built with STRATA_OLD_ENGINE_API) on the
  // deletions alone.
  o.mmap_reads = std::getenv("STRATA_MMAP_READS") != nullptr;
#endif
  auto opened = Engine::Open(io::PosixFileSystem(), dir.path() + "/db", o);
  if (!opened.ok()) {
    state.SkipWithError("open failed");
    return;
  }
  std::unique_ptr<Engine> engine = *std::move(opened);
  {
    // Prefilled without syncs of its own: one batch per 1000 keys.
    const std::string value(100, 'v');
    for (uint64_t i = 0; i < kKeys; i += 1000) {
      WriteBatch batch;
      for (uint64_t j = i; j < i + 1000; ++j) {
        batch.Put(Key(j * 7919 % kKeys), value);
      }
      if (!engine->Write(batch).ok()) {
        state.SkipWithError("fill failed");
        return;
      }
    }
    if (!engine->Flush().ok()) state.SkipWithError("flush failed");
  }
  const EngineStats before = engine->stats();
  for (auto _ : state) {
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::vector<std::vector<uint32_t>> latencies(kReaders);  // ns
    std::thread writer([&] {
      // 1 KB values: a flush every ~1000 synced writes, so that tables are
      // compacted and deleted throughout.
      const std::string value(1000, 'w');
      std::mt19937_64 rnd(1);
      while (!stop.load(std::memory_order_relaxed)) {
        if (!engine->Put(Key(rnd() % kKeys), value).ok()) failed = true;
      }
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&, r] {
        std::mt19937_64 rnd(100 + r);
        latencies[r].reserve(1 << 22);
        while (!stop.load(std::memory_order_relaxed)) {
          const std::string key = Key(rnd() % kKeys);
          const auto t0 = std::chrono::steady_clock::now();
          if (!engine->Get(key).ok()) failed = true;
          const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
          latencies[r].push_back(
              static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(10));
    stop = true;
    writer.join();
    for (std::thread& t : readers) t.join();
    if (failed) state.SkipWithError("a read or write failed");
    std::vector<uint32_t> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    if (all.empty()) continue;
    const auto at = [&](double q) {
      return all[static_cast<size_t>(q * (all.size() - 1))] / 1000.0;
    };
    state.counters["gets"] = all.size();
    state.counters["p50_us"] = at(0.5);
    state.counters["p99_us"] = at(0.99);
    state.counters["p999_us"] = at(0.999);
    state.counters["max_us"] = all.back() / 1000.0;
  }
  const EngineStats after = engine->stats();
  state.counters["compactions"] = after.compactions - before.compactions;
  state.counters["tables_deleted"] =
      after.tables_deleted - before.tables_deleted;
}
BENCHMARK(BM_ReadLatencyDuringCompactions)
    ->Iterations(1)
    ->Repetitions(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::engine

BENCHMARK_MAIN();
