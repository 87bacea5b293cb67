// Engine performance against the physical limit, in one binary:
//  - a raw pwrite+fdatasync loop: what one durable append costs here;
//  - flush commit: Put one key, then Flush and wait — the Flush's latency,
//    and the Put's and Flush's together, with about 1k and 10k live tables
//    (the cost should not grow);
//  - open time with about 1k and 10k live tables;
//  - Put throughput with 1 and 8 threads under the always-sync policy
//    (group commit), and without sync.
//
//   STRATA_BENCH_DIR=/path bazel run -c opt --config=opt
//       //engine:engine_benchmark   (one command line)

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "testing/bench_dir.h"
#include "testing/raw_sync_loop.h"

namespace strata::engine {
namespace {

using testing::BenchDir;

EngineOptions BenchOptions() {
  EngineOptions o;
  o.auto_compaction = false;  // Keep the table count where it is put.
  return o;
}

// What one durable append of a small record costs here.
void BM_RawAppendFdatasync(benchmark::State& state) {
  testing::RunRawAppendFdatasync(state, 64);
}
BENCHMARK(BM_RawAppendFdatasync)->UseRealTime();

// Databases with a given number of live tables, built once (one flush per
// table) and shared by the benchmarks that need them.
struct PreparedDb {
  std::unique_ptr<BenchDir> dir;
  std::string path;
};

// Removed at exit with their directories.
std::map<int64_t, PreparedDb>& Prepared() {
  static std::map<int64_t, PreparedDb> dbs;
  return dbs;
}

const std::string& DbWithTables(int64_t tables) {
  PreparedDb& db = Prepared()[tables];
  if (db.dir != nullptr) return db.path;
  db.dir = std::make_unique<BenchDir>();
  db.path = db.dir->path() + "/db";
  EngineOptions o = BenchOptions();
  o.wal_sync = wal::SyncPolicy::Never();  // Setup only.
  auto engine = Engine::Open(io::PosixFileSystem(), db.path, o);
  for (int64_t i = 0; engine.ok() && i < tables; ++i) {
    const std::string key = absl::StrFormat("key%08d", i);
    if (!(*engine)->Put(key, key).ok() || !(*engine)->Flush().ok()) break;
  }
  return db.path;
}

// Arg 0: tables; arg 1: 0 times the Flush call alone (the flush commit:
// table written and synced, one manifest edit), 1 times Put and Flush
// together (the Put's own WAL sync included).
void BM_FlushCommit(benchmark::State& state) {
  const std::string& path = DbWithTables(state.range(0));
  const bool with_put = state.range(1) == 1;
  auto engine = Engine::Open(io::PosixFileSystem(), path, BenchOptions());
  if (!engine.ok()) {
    state.SkipWithError(engine.status().ToString().c_str());
    return;
  }
  const uint64_t spare_before = (*engine)->stats().flushes_into_spare;
  uint64_t i = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (!(*engine)->Put(absl::StrFormat("flush%08d", i++), "value").ok()) {
      state.SkipWithError("put failed");
      break;
    }
    const auto flush_start = std::chrono::steady_clock::now();
    if (!(*engine)->Flush().ok()) {
      state.SkipWithError("flush failed");
      break;
    }
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - (with_put ? start : flush_start);
    state.SetIterationTime(took.count());
  }
  const EngineStats stats = (*engine)->stats();
  state.counters["live_tables"] = stats.live_tables;
  // Flushes that wrote into a table file made ahead (no directory sync).
  state.counters["into_spare"] = benchmark::Counter(
      static_cast<double>(stats.flushes_into_spare - spare_before) /
      state.iterations());
}
BENCHMARK(BM_FlushCommit)
    ->ArgsProduct({{1000, 10000}, {0, 1}})
    ->ArgNames({"tables", "with_put"})
    ->UseManualTime()
    ->Iterations(300);

void BM_Open(benchmark::State& state) {
  const std::string& path = DbWithTables(state.range(0));
  for (auto _ : state) {
    auto engine = Engine::Open(io::PosixFileSystem(), path, BenchOptions());
    if (!engine.ok()) {
      state.SkipWithError(engine.status().ToString().c_str());
      break;
    }
    // Open time is until the engine serves requests; closing (which waits
    // for the background thread's scan of sst/ for orphans) is not timed.
    state.PauseTiming();
    state.counters["live_tables"] = (*engine)->stats().live_tables;
    if (!(*engine)->Close().ok()) state.SkipWithError("close failed");
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Open)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(
    benchmark::kMillisecond);

std::unique_ptr<BenchDir> put_dir;
std::unique_ptr<Engine> put_engine;
std::atomic<uint64_t> put_counter{0};

void BM_Put(benchmark::State& state) {
  const bool sync = state.range(0) == 1;
  if (state.thread_index() == 0) {
    put_dir = std::make_unique<BenchDir>();
    EngineOptions o;
    o.wal_sync = sync ? wal::SyncPolicy::Always() : wal::SyncPolicy::Never();
    put_engine =
        std::move(*Engine::Open(io::PosixFileSystem(), put_dir->path(), o));
  }
  const std::string value(100, 'v');
  for (auto _ : state) {
    const uint64_t k = put_counter.fetch_add(1, std::memory_order_relaxed);
    if (!put_engine->Put(absl::StrFormat("key%012d", k), value).ok()) {
      state.SkipWithError("put failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["wal_syncs"] = put_engine->stats().wal_syncs;
    put_engine.reset();
    put_dir.reset();
  }
}
// Arg: 1 = always sync (group commit), 0 = no sync.
BENCHMARK(BM_Put)->Arg(1)->Threads(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Put)->Arg(0)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace strata::engine

BENCHMARK_MAIN();
