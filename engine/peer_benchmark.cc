// Strata against LevelDB (Debian's libleveldb-dev 1.23) and RocksDB
// (librocksdb-dev 7.8), the same workloads through one small interface, in
// one binary and one run, interleaved: each workload runs on Strata (with
// pread, its default, and with mapped reads), LevelDB and RocksDB in turn,
// and the whole sequence is repeated
// (STRATA_PEER_REPETITIONS, 3 by default), so that a disk or a neighbour
// that drifts over minutes moves every store's figures alike. The summary
// prints each figure's median over the repetitions with its min–max, and
// Strata's ratio to each peer's median.
//
//   fillrandom      1M random keys into an empty store, no sync, 1 thread
//   fillsync        synced puts from 1 and 8 threads
//   readrandom      Gets of present keys, 1M keys fully compacted
//   readmissing     Gets of absent keys inside every table's range
//   seekrandom      Seek to a random key, then Next 10 times
//   readrandom_nocompact  readrandom right after a fill of 1M keys, with no
//                   full compaction: read amplification, size-tiered
//                   (Strata) against leveled (the peers)
//   overwrite       250k keys filled, then overwritten three times in
//                   random order (ops/s of the overwrites); space_amp is
//                   bytes on disk over live bytes once the memtable is
//                   flushed and compactions are idle
//   readwhilewriting  one writer of random puts (at most 20,000/s) and
//                   four readers of random Gets over 250k compacted keys,
//                   for 2 s: reader ops/s and each Get's p99 and max
//                   latency
//   deleterange     100 ranges of 1,000 keys deleted (LevelDB has none: an
//                   iterator and a batch of deletes, as its users do), then
//                   readrandom over all keys
//
// Equal settings: 4 MiB memtable (write buffer), 4 KiB blocks, no
// compression (LevelDB 1.23 has Snappy only), 10-bit bloom filters, an
// 8 MiB block cache each, 16-byte keys, 100-byte values, one background
// thread's default compaction of each store.
//
//   STRATA_BENCH_DIR=/disk bazel run -c opt --config=opt
//   //engine:peer_benchmark

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "leveldb/write_batch.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "testing/bench_dir.h"

namespace strata::engine {
namespace {

constexpr uint64_t kKeys = 1'000'000;
constexpr uint64_t kSmallKeys = 250'000;  // overwrite, readwhilewriting.
constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 100;
constexpr size_t kMemtableBytes = size_t{4} << 20;
constexpr size_t kBlockCacheBytes = size_t{8} << 20;

// 16 bytes: 15 digits and 'k' for a key that is written, 'm' for one that
// never is (it sorts between two written ones).
std::string Key(uint64_t i, char suffix = 'k') {
  return absl::StrFormat("%015d%c", i, suffix);
}
// The i-th key of a fill of n keys: a permutation of [0, n) (n is a
// multiple of 1000 here, and 2654435761 is prime to it).
uint64_t Shuffled(uint64_t i, uint64_t n = kKeys) {
  return i * 2654435761u % n;
}

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
  // The memtable to a table, then whatever compactions that makes due, as
  // the store would run them.
  virtual bool FlushAndSettle() = 0;
};

// Seek to `key`, then read up to `n` values: the same loop over every
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
  static std::unique_ptr<Store> Open(const std::string& path, bool sync,
                                     bool mmap = false) {
    EngineOptions o;
    o.mmap_reads = mmap;
    o.memtable_bytes = kMemtableBytes;
    o.block_cache_bytes = kBlockCacheBytes;
    o.table.block_size = 4096;
    o.table.bloom_bits_per_key = 10;
    o.table.compression = sstable::Compression::kNone;
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
  // Flush runs the compactions it makes due before it returns.
  bool FlushAndSettle() override { return engine_->Flush().ok(); }

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
    o.block_cache = store->cache_.get();
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
  // LevelDB has no flush call and no way to wait for its compactions: a
  // compaction of an empty range forces the memtable out and waits for it.
  bool FlushAndSettle() override {
    const std::string nothing = Key(0, 'a');
    const leveldb::Slice s(nothing);
    db_->CompactRange(&s, &s);
    return true;
  }

 private:
  explicit LevelDbStore(bool sync)
      : filter_(leveldb::NewBloomFilterPolicy(10)),
        cache_(leveldb::NewLRUCache(kBlockCacheBytes)) {
    write_.sync = sync;
  }
  // Declared before db_: the database uses them until it closes.
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_;
};

class RocksDbStore final : public Store {
 public:
  static std::unique_ptr<Store> Open(const std::string& path, bool sync) {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = kMemtableBytes;
    o.compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions table;
    table.block_size = 4096;
    table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::Open(o, path, &db).ok()) return nullptr;
    auto store = std::unique_ptr<RocksDbStore>(new RocksDbStore(db));
    store->write_.sync = sync;
    return store;
  }
  bool Put(const std::string& key, const std::string& value) override {
    return db_->Put(write_, key, value).ok();
  }
  bool Get(const std::string& key, bool* found) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    *found = s.ok();
    return s.ok() || s.IsNotFound();
  }
  bool SeekNext(const std::string& key, int n) override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions()));
    return SeekAndReadN(*it, key, n);
  }
  bool DeleteRange(const std::string& start, const std::string& end) override {
    return db_->DeleteRange(write_, db_->DefaultColumnFamily(), start, end)
        .ok();
  }
  bool CompactAll() override {
    return db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr)
        .ok();
  }
  bool FlushAndSettle() override {
    if (!db_->Flush(rocksdb::FlushOptions()).ok()) return false;
    // Until no compaction runs or is due (RocksDB 7.8 has no call that
    // waits for them).
    for (int i = 0; i < 6000; ++i) {
      uint64_t pending = 0, running = 0;
      db_->GetIntProperty("rocksdb.compaction-pending", &pending);
      db_->GetIntProperty("rocksdb.num-running-compactions", &running);
      if (pending == 0 && running == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  explicit RocksDbStore(rocksdb::DB* db) : db_(db) {}
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_;
};

// strata_mmap: Strata reading tables through mappings (mmap_reads), as
// LevelDB 1.23 does by default on 64-bit systems (for up to 1000 tables);
// RocksDB reads with pread, as Strata does by default.
enum StoreKind : int {
  kStrata = 0,
  kLevelDb = 1,
  kRocksDb = 2,
  kStrataMmap = 3
};
constexpr StoreKind kStores[] = {kStrata, kStrataMmap, kLevelDb, kRocksDb};

const char* Name(int store) {
  switch (store) {
    case kStrata:
      return "strata";
    case kStrataMmap:
      return "strata_mmap";
    case kLevelDb:
      return "leveldb";
    default:
      return "rocksdb";
  }
}

std::unique_ptr<Store> OpenStore(int store, const std::string& path,
                                 bool sync) {
  switch (store) {
    case kStrata:
      return StrataStore::Open(path, sync);
    case kStrataMmap:
      return StrataStore::Open(path, sync, /*mmap=*/true);
    case kLevelDb:
      return LevelDbStore::Open(path, sync);
    default:
      return RocksDbStore::Open(path, sync);
  }
}

// A store in a directory of its own, removed with it.
struct Prepared {
  std::unique_ptr<testing::BenchDir> dir;
  std::unique_ptr<Store> store;
};

// A fresh store holding keys Shuffled(0..n), then compacted or flushed.
bool Prepare(int kind, uint64_t n, bool compact, Prepared* p) {
  p->dir = std::make_unique<testing::BenchDir>();
  p->store = OpenStore(kind, p->dir->path() + "/db", /*sync=*/false);
  if (p->store == nullptr) return false;
  const std::string value(kValueBytes, 'v');
  for (uint64_t i = 0; i < n; ++i) {
    if (!p->store->Put(Key(Shuffled(i, n)), value)) return false;
  }
  return compact ? p->store->CompactAll() : p->store->FlushAndSettle();
}

// The stores the read workloads share (they change nothing), made on first
// use: 1M keys, compacted or not.
Store* Shared(int kind, bool compacted) {
  static auto* stores = new std::map<std::pair<int, bool>, Prepared>();
  Prepared& p = (*stores)[{kind, compacted}];
  if (p.store == nullptr && !Prepare(kind, kKeys, compacted, &p)) {
    p.store.reset();
  }
  return p.store.get();
}

uint64_t BytesUnder(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  }
  return bytes;
}

// ------------------------------------------------------------ Workloads
// Each takes the store kind; the benchmark's name says which.

void FillRandom(benchmark::State& state, int kind) {
  testing::BenchDir dir;
  std::unique_ptr<Store> store = OpenStore(kind, dir.path(), false);
  const std::string value(kValueBytes, 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    if (!store->Put(Key(Shuffled(i++ % kKeys)), value)) {
      state.SkipWithError("put failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

std::unique_ptr<testing::BenchDir> sync_dir;
std::unique_ptr<Store> sync_store;
std::atomic<uint64_t> sync_counter{0};

void FillSync(benchmark::State& state, int kind) {
  if (state.thread_index() == 0) {
    sync_dir = std::make_unique<testing::BenchDir>();
    sync_store = OpenStore(kind, sync_dir->path(), true);
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
  if (state.thread_index() == 0) {
    sync_store.reset();
    sync_dir.reset();
  }
}

// Gets of random keys: present ('k') or absent ('m').
void ReadRandom(benchmark::State& state, Store* store, char suffix) {
  if (store == nullptr) {
    state.SkipWithError("fill failed");
    return;
  }
  std::mt19937_64 rnd(42);
  uint64_t found_count = 0;
  for (auto _ : state) {
    bool found;
    if (!store->Get(Key(rnd() % kKeys, suffix), &found)) {
      state.SkipWithError("get failed");
      break;
    }
    found_count += found;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["found"] =
      static_cast<double>(found_count) / state.iterations();
}

void SeekRandom(benchmark::State& state, int kind) {
  Store* store = Shared(kind, /*compacted=*/true);
  if (store == nullptr) {
    state.SkipWithError("fill failed");
    return;
  }
  std::mt19937_64 rnd(43);
  for (auto _ : state) {
    if (!store->SeekNext(Key(rnd() % kKeys), 10)) {
      state.SkipWithError("seek failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void Overwrite(benchmark::State& state, int kind) {
  Prepared p;
  if (!Prepare(kind, kSmallKeys, /*compact=*/false, &p)) {
    state.SkipWithError("fill failed");
    return;
  }
  const std::string value(kValueBytes, 'w');
  uint64_t i = 0;
  for (auto _ : state) {
    // Rounds 2 and 3 take other orders: a different multiplier each.
    const uint64_t round = i / kSmallKeys;
    const uint64_t k =
        (i % kSmallKeys) * (2654435761u + 2 * round) % kSmallKeys;
    if (!p.store->Put(Key(k), value)) {
      state.SkipWithError("put failed");
      break;
    }
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  if (!p.store->FlushAndSettle()) state.SkipWithError("settle failed");
  const double live = kSmallKeys * (kKeyBytes + kValueBytes);
  state.counters["space_amp"] = BytesUnder(p.dir->path()) / live;
}

void ReadWhileWriting(benchmark::State& state, int kind) {
  Prepared p;
  if (!Prepare(kind, kSmallKeys, /*compact=*/true, &p)) {
    state.SkipWithError("fill failed");
    return;
  }
  constexpr int kReaders = 4;
  constexpr uint64_t kWriteRate = 20'000;  // Writes per second.
  constexpr auto kFor = std::chrono::seconds(2);
  for (auto _ : state) {
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::atomic<uint64_t> writes{0};
    std::vector<std::vector<uint32_t>> latencies(kReaders);  // ns
    const auto start = std::chrono::steady_clock::now();
    std::thread writer([&] {
      // At kWriteRate at most, as db_bench's write rate limit: a store
      // whose writer would take the CPU from its readers, or whose readers
      // starve its writer, is then read under the same load. writes_per_s
      // says what each reached.
      const std::string value(kValueBytes, 'w');
      std::mt19937_64 rnd(7);
      const auto begin = std::chrono::steady_clock::now();
      for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        std::this_thread::sleep_until(
            begin + std::chrono::microseconds(n * 1'000'000 / kWriteRate));
        if (!p.store->Put(Key(rnd() % kSmallKeys), value)) failed = true;
        writes.fetch_add(1, std::memory_order_relaxed);
      }
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&, r] {
        std::mt19937_64 rnd(100 + r);
        latencies[r].reserve(1 << 20);
        while (!stop.load(std::memory_order_relaxed)) {
          const std::string key = Key(rnd() % kSmallKeys);
          const auto t0 = std::chrono::steady_clock::now();
          bool found;
          if (!p.store->Get(key, &found) || !found) failed = true;
          const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
          latencies[r].push_back(
              static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
        }
      });
    }
    std::this_thread::sleep_for(kFor);
    stop = true;
    writer.join();
    for (std::thread& t : readers) t.join();
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    state.SetIterationTime(took.count());
    if (failed) state.SkipWithError("a read or write failed");
    std::vector<uint32_t> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    if (all.empty()) continue;
    state.SetItemsProcessed(all.size());
    state.counters["p99_us"] = all[all.size() * 99 / 100] / 1000.0;
    state.counters["max_us"] = all.back() / 1000.0;
    state.counters["writes_per_s"] = writes.load() / took.count();
  }
}

void DeleteRangeThenReadRandom(benchmark::State& state, int kind) {
  Prepared p;
  if (!Prepare(kind, kSmallKeys, /*compact=*/true, &p)) {
    state.SkipWithError("fill failed");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < 100; ++r) {
    const uint64_t from = r * (kSmallKeys / 100);
    if (!p.store->DeleteRange(Key(from), Key(from + 1000))) {
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
    if (!p.store->Get(Key(rnd() % kSmallKeys), &found)) {
      state.SkipWithError("get failed");
      break;
    }
    found_count += found;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["found"] =
      static_cast<double>(found_count) / state.iterations();
  state.counters["delete_ms"] = deleting.count() * 1000;
}

// Registers every workload for every store, repetition by repetition, in
// the order they run: workload by workload, the three stores in turn.
void RegisterInterleaved(int repetitions) {
  for (int rep = 0; rep < repetitions; ++rep) {
    for (StoreKind kind : kStores) {
      const std::string tag = absl::StrCat("/", Name(kind), "/rep:", rep);
      // fillrandom: one pass over 1M keys.
      benchmark::RegisterBenchmark(("fillrandom" + tag).c_str(), FillRandom,
                                   kind)
          ->Iterations(kKeys)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    for (int threads : {1, 8}) {
      for (StoreKind kind : kStores) {
        benchmark::RegisterBenchmark(
            absl::StrCat("fillsync_", threads, "t/", Name(kind), "/rep:", rep)
                .c_str(),
            FillSync, kind)
            ->Threads(threads)
            ->MinTime(1.0)
            ->UseRealTime();
      }
    }
    const struct {
      const char* name;
      bool compacted;
      char suffix;
    } reads[] = {{"readrandom", true, 'k'},
                 {"readmissing", true, 'm'},
                 {"readrandom_nocompact", false, 'k'}};
    for (const auto& r : reads) {
      for (StoreKind kind : kStores) {
        benchmark::RegisterBenchmark(
            absl::StrCat(r.name, "/", Name(kind), "/rep:", rep).c_str(),
            [r, kind](benchmark::State& state) {
              ReadRandom(state, Shared(kind, r.compacted), r.suffix);
            })
            ->MinTime(1.0)
            ->UseRealTime();
      }
    }
    for (StoreKind kind : kStores) {
      benchmark::RegisterBenchmark(
          absl::StrCat("seekrandom/", Name(kind), "/rep:", rep).c_str(),
          SeekRandom, kind)
          ->MinTime(1.0)
          ->UseRealTime();
    }
    for (StoreKind kind : kStores) {
      benchmark::RegisterBenchmark(
          absl::StrCat("overwrite/", Name(kind), "/rep:", rep).c_str(),
          Overwrite, kind)
          ->Iterations(3 * kSmallKeys)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    for (StoreKind kind : kStores) {
      benchmark::RegisterBenchmark(
          absl::StrCat("readwhilewriting/", Name(kind), "/rep:", rep).c_str(),
          ReadWhileWriting, kind)
          ->Iterations(1)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
    for (StoreKind kind : kStores) {
      benchmark::RegisterBenchmark(
          absl::StrCat("deleterange/", Name(kind), "/rep:", rep).c_str(),
          DeleteRangeThenReadRandom, kind)
          ->MinTime(1.0)
          ->UseRealTime();
    }
  }
}

// Prints the runs as usual, then per workload and figure each store's
// median over the repetitions with its min–max, and Strata's ratio to each
// peer's median.
class InterleavedReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      // "workload/store/rep:N" (and "/real_time", "/threads:8"...).
      const std::string name = run.benchmark_name();
      const size_t a = name.find('/');
      const size_t b = name.find('/', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::string workload = name.substr(0, a);
      const std::string store = name.substr(a + 1, b - a - 1);
      for (const auto& [counter, value] : run.counters) {
        if (counter == "items_per_second" || counter == "space_amp" ||
            counter == "p99_us" || counter == "max_us" ||
            counter == "writes_per_s") {
          figures_[{workload, counter}][store].push_back(value.value);
        }
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf(
        "\nMedians over the repetitions [min-max]; ratio = Strata's median "
        "over the peer's (ops/s: higher is better for Strata; space_amp, "
        "p99_us, max_us: lower is better)\n");
    std::printf("%-22s %-10s %-26s %-26s %-26s %-26s %7s %7s %7s\n", "workload",
                "figure", "strata", "strata_mmap", "leveldb", "rocksdb",
                "s/ldb", "s/rdb", "sm/ldb");
    for (const auto& [key, by_store] : figures_) {
      const auto median = [&](const char* store) {
        auto it = by_store.find(store);
        return it == by_store.end() ? 0.0 : Median(it->second);
      };
      std::printf(
          "%-22s %-10s", key.first.c_str(),
          key.second == "items_per_second" ? "ops/s" : key.second.c_str());
      for (const char* store :
           {"strata", "strata_mmap", "leveldb", "rocksdb"}) {
        auto it = by_store.find(store);
        if (it == by_store.end()) {
          std::printf(" %-26s", "-");
          continue;
        }
        const auto [lo, hi] =
            std::minmax_element(it->second.begin(), it->second.end());
        std::printf(" %-26s", absl::StrFormat("%.4g [%.4g-%.4g]",
                                              Median(it->second), *lo, *hi)
                                  .c_str());
      }
      const std::pair<const char*, const char*> ratios[] = {
          {"strata", "leveldb"},
          {"strata", "rocksdb"},
          {"strata_mmap", "leveldb"}};
      for (const auto& [mine, peer] : ratios) {
        const double p = median(peer);
        std::printf(
            " %7s",
            p == 0 ? "-" : absl::StrFormat("%.2f", median(mine) / p).c_str());
      }
      std::printf("\n");
    }
  }

 private:
  static double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n == 0 ? 0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  // (workload, figure) -> store -> one value per repetition.
  std::map<std::pair<std::string, std::string>,
           std::map<std::string, std::vector<double>>>
      figures_;
};

}  // namespace
}  // namespace strata::engine

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const char* reps = std::getenv("STRATA_PEER_REPETITIONS");
  strata::engine::RegisterInterleaved(reps != nullptr ? std::atoi(reps) : 3);
  strata::engine::InterleavedReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
