// What sibling targets pay, beside the physical cost in the same run:
//  - BM_Checkpoint: Engine::Checkpoint of a database of 10k and 100k live
//    tables; BM_RawLink: link(2) of as many files into a new directory and
//    one directory sync — the floor a checkpoint that links every table
//    cannot go under;
//  - BM_CatchUp: a follower's CatchUp with nothing new, and after the
//    primary committed 100 edits, at 10k and 1M live tables.
//
// The databases are made directly (a manifest snapshot of N tables and N
// small table files), not by N flushes: neither a checkpoint nor a catch-up
// reads a table.
//
//   STRATA_BENCH_DIR=/path bazel run -c opt --config=opt
//       //engine:sibling_benchmark

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/db_dir.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "manifest/bench_state.h"
#include "manifest/manifest.h"
#include "manifest/snapshot.h"
#include "sstable/format.h"
#include "testing/bench_dir.h"
#include "wal/writer.h"

namespace strata::engine {
namespace {

using testing::BenchDir;

io::FileSystem* Fs() { return io::PosixFileSystem(); }

// A database directory whose manifest lists `tables` tables, each a small
// file in sst/ (table files only have to exist: nothing here reads them).
struct SyntheticDb {
  std::unique_ptr<BenchDir> dir;
  std::string path;
  bool ok = false;
};

bool MakeSyntheticDb(uint64_t tables, bool with_files, SyntheticDb* db) {
  db->dir = std::make_unique<BenchDir>();
  db->path = db->dir->path() + "/db";
  const std::string man = io::JoinPath(db->path, kManifestDir);
  const std::string sst = io::JoinPath(db->path, kSstDir);
  const std::string wal = io::JoinPath(db->path, kWalDir);
  for (const std::string& d : {db->path, man, sst, wal}) {
    if (!Fs()->CreateDir(d).ok()) return false;
  }
  {
    auto m = manifest::Manifest::Open(Fs(), man);
    if (!m.ok()) return false;
  }
  if (!manifest::WriteSnapshot(Fs(), man, 1, manifest::StateWithTables(tables))
           .ok()) {
    return false;
  }
  if (!wal::Writer::Create(Fs(), wal, 1, wal::WriterOptions()).ok()) {
    return false;
  }
  for (uint64_t n = 1; with_files && n <= tables; ++n) {
    const std::string path = io::JoinPath(sst, sstable::TableFileName(n));
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0644);
    if (fd < 0 || ::write(fd, "table", 5) != 5) return false;
    ::close(fd);
  }
  ::sync();
  db->ok = true;
  return true;
}

SyntheticDb& Db(uint64_t tables, bool with_files) {
  static auto* dbs = new std::map<std::pair<uint64_t, bool>, SyntheticDb>();
  SyntheticDb& db = (*dbs)[{tables, with_files}];
  if (db.dir == nullptr) MakeSyntheticDb(tables, with_files, &db);
  return db;
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

void BM_Checkpoint(benchmark::State& state) {
  const uint64_t tables = state.range(0);
  SyntheticDb& db = Db(tables, /*with_files=*/true);
  if (!db.ok) return state.SkipWithError("could not make the database");
  EngineOptions o;
  o.auto_compaction = false;
  auto engine = Engine::Open(Fs(), db.path, o);
  if (!engine.ok())
    return state.SkipWithError(engine.status().ToString().c_str());
  int i = 0;
  for (auto _ : state) {
    const std::string dest = absl::StrCat(db.dir->path(), "/cp", i++);
    absl::StatusOr<CheckpointReport> r = (*engine)->Checkpoint(dest);
    if (!r.ok() || r->tables_linked != tables) {
      state.SkipWithError(r.ok() ? "not every table linked"
                                 : r.status().ToString().c_str());
      break;
    }
    state.PauseTiming();
    RemoveTree(dest);
    state.ResumeTiming();
  }
  state.counters["tables"] = static_cast<double>(tables);
  state.counters["per_table_us"] =
      benchmark::Counter(static_cast<double>(tables),
                         benchmark::Counter::kIsIterationInvariantRate |
                             benchmark::Counter::kInvert);
}
BENCHMARK(BM_Checkpoint)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

// The floor: link(2) every table file into a new directory, then fsync it.
void BM_RawLink(benchmark::State& state) {
  const uint64_t tables = state.range(0);
  SyntheticDb& db = Db(tables, /*with_files=*/true);
  if (!db.ok) return state.SkipWithError("could not make the database");
  const std::string sst = io::JoinPath(db.path, kSstDir);
  int i = 0;
  for (auto _ : state) {
    const std::string dest = absl::StrCat(db.dir->path(), "/raw", i++);
    ::mkdir(dest.c_str(), 0755);
    for (uint64_t n = 1; n <= tables; ++n) {
      const std::string name = sstable::TableFileName(n);
      if (::link((sst + "/" + name).c_str(), (dest + "/" + name).c_str()) !=
          0) {
        state.SkipWithError("link failed");
        break;
      }
    }
    const int fd = ::open(dest.c_str(), O_RDONLY | O_DIRECTORY);
    ::fsync(fd);
    ::close(fd);
    state.PauseTiming();
    RemoveTree(dest);
    state.ResumeTiming();
  }
  state.counters["tables"] = static_cast<double>(tables);
}
BENCHMARK(BM_RawLink)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

// Arg 0: live tables; arg 1: edits the primary commits before each timed
// CatchUp (0: nothing new). The primary is the manifest itself, committing
// flush-like edits (a table added, the oldest removed), each durable.
void BM_CatchUp(benchmark::State& state) {
  const uint64_t tables = state.range(0);
  const int64_t edits = state.range(1);
  SyntheticDb fresh;  // Its own: the edits below change it.
  if (!MakeSyntheticDb(tables, /*with_files=*/false, &fresh)) {
    return state.SkipWithError("could not make the database");
  }
  manifest::ManifestOptions mo;
  mo.checkpoint_log_bytes = uint64_t{1} << 40;  // No checkpoint midway.
  auto primary = manifest::Manifest::Open(
      Fs(), io::JoinPath(fresh.path, kManifestDir), mo);
  if (!primary.ok()) return state.SkipWithError("manifest open failed");
  auto follower = Engine::OpenFollower(Fs(), fresh.path);
  if (!follower.ok()) {
    return state.SkipWithError(follower.status().ToString().c_str());
  }
  uint64_t next = tables + 1, oldest = 1;
  uint64_t bytes = 0, applied = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t e = 0; e < edits; ++e) {
      manifest::Edit edit;
      edit.ops.push_back(manifest::AllocateTableId{next});
      edit.ops.push_back(manifest::AddTable{manifest::BenchTable(next++)});
      edit.ops.push_back(manifest::RemoveTable{oldest++});
      if (!(*primary)->Apply(std::move(edit)).ok()) {
        return state.SkipWithError("edit failed");
      }
    }
    state.ResumeTiming();
    absl::StatusOr<CatchUpReport> r = (*follower)->CatchUp();
    if (!r.ok() || r->edits != static_cast<uint64_t>(edits)) {
      return state.SkipWithError(r.ok() ? "edits missed"
                                        : r.status().ToString().c_str());
    }
    bytes += r->bytes_read;
    applied += r->edits;
  }
  state.counters["tables"] = static_cast<double>(tables);
  state.counters["bytes_read"] = benchmark::Counter(
      static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
  state.counters["edits"] = benchmark::Counter(
      static_cast<double>(applied), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_CatchUp)
    ->ArgsProduct({{10000, 1000000}, {0, 100}})
    ->ArgNames({"tables", "edits"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Iterations(30);

}  // namespace
}  // namespace strata::engine

BENCHMARK_MAIN();
