// Strata against LevelDB (Debian's libleveldb-dev 1.23), the same workloads
// through one small interface, in one binary and one run:
//   fillrandom  1M random keys, no sync, one thread
//   fillsync    synced puts from 1 and 8 threads
//   readrandom  Gets of present keys over the fully compacted 1M keys
//   readmissing Gets of absent keys that fall inside every table's range
//   seekrandom  Seek to a random key, then Next 10 times
//   deleterange 100 ranges of 1,000 keys deleted (LevelDB has no range
//               delete: an iterator and a batch of deletes, as its users
//               do), then readrandom over all keys
// Equal settings: 4 MiB memtable (write buffer), 4 KiB blocks, no
// compression, 10-bit bloom filters, 16-byte keys, 100-byte values. LevelDB
// keeps its default 8 MiB block cache; Strata has none (the OS page cache
// serves both). At the end the binary prints Strata/LevelDB ratios.
//
//   STRATA_BENCH_DIR=/disk bazel run -c opt --config=opt
//   //engine:peer_benchmark

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "leveldb/write_batch.h"
#include "testing/bench_dir.h"

namespace strata::engine {
namespace {

constexpr uint64_t kKeys = 1'000'000;
constexpr size_t kValueBytes = 100;
constexpr size_t kMemtableBytes = size_t{4} << 20;

// 16 bytes: 15 digits and 'k' for a key that is written, 'm' for one that
// never is (it sorts between two written ones).
std::string Key(uint64_t i, char suffix = 'k') {
  return absl::StrFormat("%015d%c", i, suffix);
}
// The i-th key of a fill: a permutation of [0, kKeys).
uint64_t Shuffled(uint64_t i) { return i * 2654435761u % kKeys; }

class Store {
 public:
  virtual ~Store() = default;
  virtual bool Put(const std::string& key, const std::string& value) = 0;
  // False on an error; *found says whether the key was there.
  virtual bool Get(const std::string& key, bool* found) = 0;
  virtual bool SeekNext(const std::string& key, int n) = 0;
  virtual bool DeleteRange(const std::string& start,
                           const std::string& end) = 0;
  // Everything to tables, merged as far as the store goes.
  virtual bool CompactAll() = 0;
};

// Seek to `key`, then read up to `n` values: the same loop over either
// store's iterator. True unless the iterator reports an error.
template <typename It>
bool SeekAndReadN(It& it, const std::string& key, int n) {
  it.Seek(key);
  for (int i = 0; i < n && it.Valid(); ++i) {
    benchmark::DoNotOptimize(it.value().data());
    it.Next();
  }
  return it.status().ok();
}

class StrataStore final : public Store {
 public:
  static std::unique_ptr<Store> Open(const std::string& path, bool sync) {
    EngineOptions o;
    o.memtable_bytes = kMemtableBytes;
    o.wal_sync = sync ? wal::SyncPolicy::Always() : wal::SyncPolicy::Never();
    auto engine = Engine::Open(io::PosixFileSystem(), path, o);
    if (!engine.ok()) return nullptr;
    return std::unique_ptr<Store>(new StrataStore(*std::move(engine)));
  }
  bool Put(const std::string& key, const std::string& value) override {
    return engine_->Put(key, value).ok();
  }
  bool Get(const std::string& key, bool* found) override {
    absl::StatusOr<std::string> v = engine_->Get(key);
    *found = v.ok();
    return v.ok() || absl::IsNotFound(v.status());
  }
  bool SeekNext(const std::string& key, int n) override {
    return SeekAndReadN(*engine_->NewIterator(), key, n);
  }
  bool DeleteRange(const std::string& start, const std::string& end) override {
    return engine_->DeleteRange(start, end).ok();
  }
  bool CompactAll() override { return engine_->Compact().ok(); }

 private:
  explicit StrataStore(std::unique_ptr<Engine> engine)
      : engine_(std::move(engine)) {}
  std::unique_ptr<Engine> engine_;
};

class LevelDbStore final : public Store {
 public:
  static std::unique_ptr<Store> Open(const std::string& path, bool sync) {
    auto store = std::unique_ptr<LevelDbStore>(new LevelDbStore(sync));
    leveldb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = kMemtableBytes;
    o.block_size = 4096;
    o.compression = leveldb::kNoCompression;
    o.filter_policy = store->filter_.get();
    leveldb::DB* db = nullptr;
    if (!leveldb::DB::Open(o, path, &db).ok()) return nullptr;
    store->db_.reset(db);
    return store;
  }
  bool Put(const std::string& key, const std::string& value) override {
    return db_->Put(write_, key, value).ok();
  }
  bool Get(const std::string& key, bool* found) override {
    std::string value;
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), key, &value);
    *found = s.ok();
    return s.ok() || s.IsNotFound();
  }
  bool SeekNext(const std::string& key, int n) override {
    std::unique_ptr<leveldb::Iterator> it(
        db_->NewIterator(leveldb::ReadOptions()));
    return SeekAndReadN(*it, key, n);
  }
  bool DeleteRange(const std::string& start, const std::string& end) override {
    leveldb::WriteBatch batch;
    std::unique_ptr<leveldb::Iterator> it(
        db_->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(start); it->Valid() && it->key().ToString() < end;
         it->Next()) {
      batch.Delete(it->key());
    }
    return it->status().ok() && db_->Write(write_, &batch).ok();
  }
  bool CompactAll() override {
    db_->CompactRange(nullptr, nullptr);
    return true;
  }

 private:
  explicit LevelDbStore(bool sync)
      : filter_(leveldb::NewBloomFilterPolicy(10)) {
    write_.sync = sync;
  }
  // Declared before db_: the database uses the policy until it closes.
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_;
};

const char* Name(int64_t store) { return store == 0 ? "strata" : "leveldb"; }

std::unique_ptr<Store> OpenStore(int64_t store, const std::string& path,
                                 bool sync) {
  return store == 0 ? StrataStore::Open(path, sync)
                    : LevelDbStore::Open(path, sync);
}

// One fresh store per benchmark run (fills), or one filled store per kind
// shared by the read benchmarks (built on first use).
struct Prepared {
  std::unique_ptr<testing::BenchDir> dir;
  std::unique_ptr<Store> store;
};

Store* Filled(int64_t kind) {
  static std::map<int64_t, Prepared> filled;
  Prepared& p = filled[kind];
  if (p.store != nullptr) return p.store.get();
  p.dir = std::make_unique<testing::BenchDir>();
  p.store = OpenStore(kind, p.dir->path() + "/db", /*sync=*/false);
  if (p.store == nullptr) return nullptr;
  const std::string value(kValueBytes, 'v');
  for (uint64_t i = 0; i < kKeys; ++i) {
    if (!p.store->Put(Key(Shuffled(i)), value)) return nullptr;
  }
  if (!p.store->CompactAll()) return nullptr;
  return p.store.get();
}

// The filled store of the benchmark's kind (argument 0), or null after
// marking the benchmark skipped.
Store* FilledOrSkip(benchmark::State& state) {
  Store* store = Filled(state.range(0));
  if (store == nullptr) state.SkipWithError("fill failed");
  return store;
}

void BM_FillRandom(benchmark::State& state) {
  testing::BenchDir dir;
  std::unique_ptr<Store> store = OpenStore(state.range(0), dir.path(), false);
  const std::string value(kValueBytes, 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    if (!store->Put(Key(Shuffled(i++ % kKeys)), value)) {
      state.SkipWithError("put failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(BM_FillRandom)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kKeys)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

std::unique_ptr<testing::BenchDir> sync_dir;
std::unique_ptr<Store> sync_store;
std::atomic<uint64_t> sync_counter{0};

void BM_FillSync(benchmark::State& state) {
  if (state.thread_index() == 0) {
    sync_dir = std::make_unique<testing::BenchDir>();
    sync_store = OpenStore(state.range(0), sync_dir->path(), true);
  }
  const std::string value(kValueBytes, 'v');
  for (auto _ : state) {
    const uint64_t k = sync_counter.fetch_add(1, std::memory_order_relaxed);
    if (!sync_store->Put(Key(Shuffled(k % kKeys)), value)) {
      state.SkipWithError("put failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Name(state.range(0)));
  if (state.thread_index() == 0) {
    sync_store.reset();
    sync_dir.reset();
  }
}
BENCHMARK(BM_FillSync)
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(8)
    ->MinTime(2.0)
    ->UseRealTime();

// Arg 0: the store; arg 1: 0 present keys, 1 absent ones.
void BM_ReadRandom(benchmark::State& state) {
  Store* store = FilledOrSkip(state);
  if (store == nullptr) return;
  const bool missing = state.range(1) == 1;
  std::mt19937_64 rnd(42);
  uint64_t found_count = 0;
  for (auto _ : state) {
    bool found;
    if (!store->Get(Key(rnd() % kKeys, missing ? 'm' : 'k'), &found)) {
      state.SkipWithError("get failed");
      break;
    }
    found_count += found;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["found"] =
      static_cast<double>(found_count) / state.iterations();
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(BM_ReadRandom)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"store", "missing"})
    ->MinTime(2.0)
    ->UseRealTime();

void BM_SeekRandomNext10(benchmark::State& state) {
  Store* store = FilledOrSkip(state);
  if (store == nullptr) return;
  std::mt19937_64 rnd(43);
  for (auto _ : state) {
    if (!store->SeekNext(Key(rnd() % kKeys), 10)) {
      state.SkipWithError("seek failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(BM_SeekRandomNext10)->Arg(0)->Arg(1)->MinTime(2.0)->UseRealTime();

// Last: it deletes from the shared stores.
void BM_DeleteRangeThenReadRandom(benchmark::State& state) {
  Store* store = FilledOrSkip(state);
  if (store == nullptr) return;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < 100; ++r) {
    if (!store->DeleteRange(Key(r * 10000), Key(r * 10000 + 1000))) {
      state.SkipWithError("delete range failed");
      return;
    }
  }
  const std::chrono::duration<double> deleting =
      std::chrono::steady_clock::now() - start;
  std::mt19937_64 rnd(44);
  uint64_t found_count = 0;
  for (auto _ : state) {
    bool found;
    if (!store->Get(Key(rnd() % kKeys), &found)) {
      state.SkipWithError("get failed");
      break;
    }
    found_count += found;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["found"] =
      static_cast<double>(found_count) / state.iterations();
  state.counters["delete_ms"] = deleting.count() * 1000;
  state.SetLabel(Name(state.range(0)));
}
BENCHMARK(BM_DeleteRangeThenReadRandom)
    ->Arg(0)
    ->Arg(1)
    ->MinTime(2.0)
    ->UseRealTime();

// Prints the runs as usual, then each workload's Strata/LevelDB ratio of
// items per second.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end() || run.error_occurred) continue;
      std::string workload = run.benchmark_name();
      // The store is the first argument: "BM_X/0..." or "BM_X/store:0...".
      for (const char* tag : {"/store:0", "/store:1", "/0", "/1"}) {
        const size_t at = workload.find(tag);
        if (at == std::string::npos) continue;
        const bool strata = tag[std::string(tag).size() - 1] == '0';
        workload.erase(at, std::string(tag).size());
        (strata ? strata_ : leveldb_)[workload] = it->second.value;
        break;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-50s %14s %14s %7s\n", "workload", "strata ops/s",
                "leveldb ops/s", "ratio");
    for (const auto& [name, ops] : strata_) {
      auto peer = leveldb_.find(name);
      if (peer == leveldb_.end()) continue;
      std::printf("%-50s %14.0f %14.0f %7.2f\n", name.c_str(), ops,
                  peer->second, ops / peer->second);
    }
  }

 private:
  std::map<std::string, double> strata_, leveldb_;
};

}  // namespace
}  // namespace strata::engine

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  strata::engine::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
