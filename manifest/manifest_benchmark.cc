// Manifest performance against the physical limits, in one binary:
//  - Apply latency (one small edit) next to a raw pwrite+fdatasync of the
//    same framed bytes;
//  - group commit with 1..16 threads;
//  - Open time replaying 10k, 100k and 1M edits;
//  - small-edit latency (p50, p99, max) from 4 threads at 10k, 100k and 1M
//    live tables, and under checkpoints (back to back, every 4000 edits,
//    the engine's cadence) in pairs "BesideCheckpoints/ceiling/..." and
//    ".../manifest/...": the ceiling is the same 4 threads syncing raw
//    records in rounds beside a checkpoint's own work, run just before;
//  - Checkpoint and open-from-snapshot with 10k, 100k and 1M live tables,
//    next to a raw write+fsync of the snapshot's bytes, and the heap bytes
//    per live table against its encoded size.
//
//   STRATA_BENCH_DIR=/path bazel run -c opt --config=opt
//       //manifest:manifest_benchmark   (one command line)

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "io/mutex.h"
#include "io/posix_file_system.h"
#include "manifest/bench_state.h"
#include "manifest/codec.h"
#include "manifest/manifest.h"
#include "manifest/snapshot.h"
#include "testing/bench_dir.h"
#include "testing/raw_sync_loop.h"
#include "wal/format.h"
#include "wal/writer.h"

namespace strata::manifest {
namespace {

// A benchmark's directory, and the manifest directory inside it.
class BenchDir : public testing::BenchDir {
 public:
  std::string manifest() const { return path() + "/manifest"; }
};

// The small edit the latency benchmarks apply: raise the LSN.
Edit SmallEdit(uint64_t lsn) { return Edit{0, {UpdateLsn{lsn}}}; }

void BM_RawAppendFdatasync(benchmark::State& state) {
  std::string record;
  EncodeEdit(Edit{1000000, {UpdateLsn{1000000}}}, &record);
  const size_t size = wal::FragmentHeader::kSize + record.size();
  testing::RunRawAppendFdatasync(state, size);
  state.counters["bytes_per_op"] = size;
}
BENCHMARK(BM_RawAppendFdatasync)->UseRealTime();

void BM_ApplySmallEdit(benchmark::State& state) {
  BenchDir dir;
  auto m = *Manifest::Open(io::PosixFileSystem(), dir.manifest());
  uint64_t lsn = 1000000;
  for (auto _ : state) {
    if (!m->Apply(SmallEdit(++lsn)).ok()) state.SkipWithError("apply failed");
  }
}
BENCHMARK(BM_ApplySmallEdit)->UseRealTime();

// The ceiling for BM_GroupCommit on this machine: each thread's framed
// version edit written and synced in rounds of one pwrite+fdatasync,
// threads meeting at barriers (see testing/raw_sync_loop.h).
void BM_RawGroupFdatasync(benchmark::State& state) {
  std::string record;
  EncodeEdit(Edit{1000000, {manifest::SetVersion{15}}}, &record);
  testing::RunRawGroupFdatasync(state,
                                wal::FragmentHeader::kSize + record.size());
}
BENCHMARK(BM_RawGroupFdatasync)
    ->ThreadRange(1, 16)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

std::unique_ptr<BenchDir> group_dir;
std::unique_ptr<Manifest> group_manifest;

void BM_GroupCommit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    group_dir = std::make_unique<BenchDir>();
    group_manifest =
        *Manifest::Open(io::PosixFileSystem(), group_dir->manifest());
  }
  for (auto _ : state) {
    // Version edits from many threads: always valid, order immaterial.
    if (!group_manifest->SetVersion(state.thread_index()).ok()) {
      state.SkipWithError("apply failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    group_manifest.reset();
    group_dir.reset();
  }
}
BENCHMARK(BM_GroupCommit)
    ->ThreadRange(1, 16)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// A manifest whose log holds `edits` edits: freeze / flush cycles with the
// live tables kept near 100 by removals. Written through the WAL directly
// (synced once at the end) to build it quickly.
void BuildLog(const std::string& dir, uint64_t edits) {
  { auto m = *Manifest::Open(io::PosixFileSystem(), dir); }
  const std::string log = dir + "/000001.log";
  wal::WriterOptions options;
  options.sync = wal::SyncPolicy::Never();
  auto writer =
      *wal::Writer::Reopen(io::PosixFileSystem(), dir, 1,
                           *io::PosixFileSystem()->GetFileSize(log), options);
  State state;
  uint64_t wal = 1, table = 0;
  std::string record;
  for (uint64_t seq = 1; seq <= edits; ++seq) {
    Edit edit;
    edit.sequence = seq;
    if (seq == 1) {
      edit.ops = {SetActiveWal{1}};
    } else if (seq % 2 == 0) {
      edit = Edit::Freeze(wal, wal + 1);
      edit.sequence = seq;
      ++wal;
    } else {
      ++table;
      edit.ops = {AllocateTableId{table}, AddTable{BenchTable(table)},
                  RemoveFrozenWal{wal - 1}, UpdateLsn{seq}};
      if (table > 100) edit.ops.push_back(RemoveTable{table - 100});
    }
    Apply(edit, &state);
    record.clear();
    EncodeEdit(edit, &record);
    writer->Append(record).IgnoreError();
  }
  writer->Close().IgnoreError();
}

void BM_OpenReplaying(benchmark::State& state) {
  BenchDir dir;
  const uint64_t edits = state.range(0);
  BuildLog(dir.manifest(), edits);
  for (auto _ : state) {
    auto m = Manifest::Open(io::PosixFileSystem(), dir.manifest(),
                            {.checkpoint_log_bytes = UINT64_MAX});
    if (!m.ok() || (*m)->recovery().edits_replayed != edits) {
      state.SkipWithError("open failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * edits);
}
BENCHMARK(BM_OpenReplaying)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Arg 1: 0 deletes the superseded generation inside the checkpoint (the
// default), 1 leaves it to DeleteObsoleteFiles, as the engine's background
// thread does (ManifestOptions::defer_deletions; not timed here).
void BM_Checkpoint(benchmark::State& state) {
  BenchDir dir;
  const uint64_t tables = state.range(0);
  const bool defer = state.range(1) == 1;
  { auto m = *Manifest::Open(io::PosixFileSystem(), dir.manifest()); }
  WriteSnapshot(io::PosixFileSystem(), dir.manifest(), 1,
                StateWithTables(tables))
      .IgnoreError();
  auto m = *Manifest::Open(
      io::PosixFileSystem(), dir.manifest(),
      {.checkpoint_log_bytes = UINT64_MAX, .defer_deletions = defer});
  uint64_t lsn = 1;
  for (auto _ : state) {
    // A checkpoint follows edits (it is due when the log has grown): one
    // edit, not timed, so the old log is not an empty one.
    state.PauseTiming();
    if (!m->Apply(SmallEdit(++lsn)).ok()) state.SkipWithError("apply failed");
    m->DeleteObsoleteFiles();
    state.ResumeTiming();
    if (!m->Checkpoint().ok()) state.SkipWithError("checkpoint failed");
  }
  state.SetBytesProcessed(state.iterations() * m->stats().snapshot_bytes);
  state.counters["snapshot_bytes"] = m->stats().snapshot_bytes;
}
BENCHMARK(BM_Checkpoint)
    ->ArgsProduct({{10000, 100000, 1000000}, {0, 1}})
    ->ArgNames({"tables", "defer_deletions"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The physical limit for a checkpoint: the snapshot's bytes written to a
// new file and fsynced. The previous file is removed untimed, as a
// checkpoint with deferred deletions leaves its predecessor's removal to
// the background.
void BM_RawWriteSyncSnapshotBytes(benchmark::State& state) {
  BenchDir dir;
  const std::string bytes = EncodeSnapshot(1, StateWithTables(state.range(0)));
  uint64_t n = 0;
  for (auto _ : state) {
    const std::string path = absl::StrCat(dir.path(), "/raw", ++n);
    if (!io::WriteFileSynced(io::PosixFileSystem(), path, bytes).ok()) {
      state.SkipWithError("write failed");
    }
    state.PauseTiming();
    if (n > 1) {
      io::PosixFileSystem()
          ->RemoveFile(absl::StrCat(dir.path(), "/raw", n - 1))
          .IgnoreError();
    }
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_RawWriteSyncSnapshotBytes)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The size of the small edit's log record, framed.
size_t SmallRecordBytes() {
  std::string record;
  EncodeEdit(Edit{1000000, {manifest::SetVersion{3}}}, &record);
  return wal::FragmentHeader::kSize + record.size();
}

// The physical ceiling for BM_EditLatency under checkpoints: the raw
// append+fdatasync loop while another thread writes a snapshot's worth of
// bytes (arg: live tables) the way a checkpoint does — 1 MiB pieces with
// writeback started after each, then fsync — once every 570 ms (about
// one checkpoint every 4000 edits at the edit rate measured here). The
// device's own latency spread under that load bounds what any log can do.
void BM_RawAppendFdatasyncBesideSnapshotWrites(benchmark::State& state) {
  std::string snapshot;
  EncodeState(StateWithTables(state.range(0)), &snapshot);
  BenchDir dir;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int n = 0; !stop; ++n) {
      const std::string path = absl::StrCat(dir.path(), "/bulk", n % 2);
      auto file = io::PosixFileSystem()->NewWritableFile(path);
      if (!file.ok()) return;
      constexpr size_t kPiece = size_t{1} << 20;
      for (size_t at = 0; at < snapshot.size(); at += kPiece) {
        absl::string_view piece =
            absl::string_view(snapshot).substr(at, kPiece);
        if (!(*file)->Append(piece).ok()) return;
        (*file)->StartWriteback().IgnoreError();
      }
      (*file)->Sync().IgnoreError();
      (*file)->Close().IgnoreError();
      for (int i = 0; i < 57 && !stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
  testing::RunRawAppendFdatasync(state, SmallRecordBytes());
  stop = true;
  writer.join();
}
BENCHMARK(BM_RawAppendFdatasyncBesideSnapshotWrites)
    ->Arg(1000000)
    ->MinTime(6)
    ->UseRealTime();

// How often checkpoints run beside the edits, as an argument of the
// benchmarks below: none, back to back (the next starts as soon as one
// ends), the engine's own cadence (ManifestOptions' defaults: once the log
// has outgrown both 4 MiB and twice the snapshot), or every that many
// edits.
constexpr int64_t kNoCheckpoints = 0;
constexpr int64_t kBackToBack = 1;
constexpr int64_t kEngineCadence = 2;

// Records between checkpoints for a cadence argument (0: none).
uint64_t RecordsPerCheckpoint(int64_t cadence, uint64_t tables) {
  if (cadence == kNoCheckpoints) return 0;
  if (cadence == kBackToBack) return 1;
  if (cadence == kEngineCadence) {
    const ManifestOptions defaults;
    std::string snapshot;
    EncodeState(StateWithTables(tables), &snapshot);
    const double threshold =
        std::max(static_cast<double>(defaults.checkpoint_log_bytes),
                 defaults.checkpoint_snapshot_ratio * snapshot.size());
    return static_cast<uint64_t>(threshold / SmallRecordBytes()) + 1;
  }
  return static_cast<uint64_t>(cadence);
}

// The ceiling for BM_EditLatency under checkpoints, without a manifest:
// 4 threads make a record durable per iteration in barrier rounds (the
// loop of BM_RawGroupFdatasync), while another thread does a checkpoint's
// own work at the given cadence — the next log segment created (header,
// sync, directory sync), WriteSnapshot of the same live tables (encode,
// checksum, write, sync, rename, directory sync), then the generation
// before the previous one (snapshot and log) removed in steps — as the
// manifest's thread would. Arg 0: live tables; arg 1: the cadence (above; 0:
// none). Its p99 next to the same loop without checkpoints is what this
// machine allows the manifest's ratio to be.
struct CheckpointLoad {
  BenchDir dir;
  std::atomic<bool> stop{false};
  std::thread thread;
  uint64_t checkpoints = 0;  // Read once the thread is joined.
};
// Records made durable by the raw loop; reset by thread 0 before the start.
std::atomic<uint64_t> beside_records{0};

// The checkpointer thread of BM_RawGroupFdatasyncBesideCheckpoints.
void CheckpointWork(CheckpointLoad* load, uint64_t tables, uint64_t every) {
  const State state = StateWithTables(tables);
  io::FileSystem* fs = io::PosixFileSystem();
  uint64_t next = every;
  for (uint64_t g = 1; !load->stop; ++g) {
    while (!load->stop && beside_records.load() < next) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (load->stop) break;
    next = beside_records.load() + every;
    // The manifest's checkpoint, step by step (Manifest::RunCheckpoint):
    // the next log created durably (header, sync, directory sync), the
    // snapshot written and installed, then generation g - 2 removed, its
    // snapshot and its log in 1 MiB steps.
    wal::WriterOptions log_options;
    log_options.max_segment_size = UINT64_MAX;
    auto log = wal::Writer::Create(fs, load->dir.path(), g, log_options);
    if (!log.ok() || !(*log)->Close().ok()) break;
    if (!WriteSnapshot(fs, load->dir.path(), g, state).ok()) break;
    if (g > 2) {
      for (const std::string& name :
           {SnapshotFileName(g - 2), wal::SegmentFileName(g - 2)}) {
        fs->RemoveFileInSteps(absl::StrCat(load->dir.path(), "/", name),
                              uint64_t{1} << 20)
            .IgnoreError();
      }
    }
    ++load->checkpoints;
  }
}

std::unique_ptr<CheckpointLoad> checkpoint_load;

void BM_RawGroupFdatasyncBesideCheckpoints(benchmark::State& state) {
  if (state.thread_index() == 0) {
    beside_records = 0;
    checkpoint_load = std::make_unique<CheckpointLoad>();
    const uint64_t every = RecordsPerCheckpoint(state.range(1), state.range(0));
    if (every > 0) {
      checkpoint_load->thread = std::thread(
          CheckpointWork, checkpoint_load.get(), state.range(0), every);
    }
  }
  testing::RunRawGroupFdatasync(state, SmallRecordBytes(), &beside_records);
  if (state.thread_index() == 0) {
    checkpoint_load->stop = true;
    if (checkpoint_load->thread.joinable()) checkpoint_load->thread.join();
    state.counters["checkpoints"] =
        static_cast<double>(checkpoint_load->checkpoints);
    checkpoint_load.reset();
  }
}

// Edit latency from 4 threads applying small edits, by live-table count,
// with or without checkpoints: p50, p99 and max of one Apply. Arg 0: live
// tables; arg 1: the cadence of checkpoints (above), run by the manifest's
// own thread as in production (the engine's cadence with the default
// options; otherwise the log threshold is set to that many edits' bytes).
// Compare with BM_RawAppendFdatasync (one raw append+fdatasync) and
// BM_RawGroupFdatasync/threads:4.
std::unique_ptr<BenchDir> latency_dir;
std::unique_ptr<Manifest> latency_manifest;
Mutex latency_mu;
std::vector<double> latencies_us;

void BM_EditLatency(benchmark::State& state) {
  const uint64_t tables = state.range(0);
  const int64_t cadence = state.range(1);
  if (state.thread_index() == 0) {
    latency_dir = std::make_unique<BenchDir>();
    {
      auto m = *Manifest::Open(io::PosixFileSystem(), latency_dir->manifest());
    }
    WriteSnapshot(io::PosixFileSystem(), latency_dir->manifest(), 1,
                  StateWithTables(tables))
        .IgnoreError();
    ManifestOptions options;
    if (cadence != kEngineCadence) {
      const uint64_t every = RecordsPerCheckpoint(cadence, tables);
      options.checkpoint_snapshot_ratio = 0;
      options.checkpoint_log_bytes =
          every == 0 ? UINT64_MAX : every * SmallRecordBytes();
    }
    latency_manifest = *Manifest::Open(io::PosixFileSystem(),
                                       latency_dir->manifest(), options);
    latencies_us.clear();
  }
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (!latency_manifest->SetVersion(state.thread_index()).ok()) {
      state.SkipWithError("apply failed");
    }
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    // Recorded inside the loop: its end is a barrier, so every thread's
    // figures are in when thread 0 reads them below.
    MutexLock lock(&latency_mu);
    latencies_us.push_back(us);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    testing::SetLatencyCounters(state, &latencies_us);
    latency_manifest->WaitForCheckpoints();
    state.counters["checkpoints"] = latency_manifest->stats().checkpoints;
    latency_manifest.reset();
    latency_dir.reset();
  }
}
// By table count, no checkpoint: an edit's cost must not grow with it.
BENCHMARK(BM_EditLatency)
    ->ArgsProduct({{10000, 100000, 1000000}, {kNoCheckpoints}})
    ->ArgNames({"tables", "checkpoints"})
    ->Threads(4)
    ->MinTime(3)
    ->UseRealTime();

// Under checkpoints: each case as the ceiling (raw syncs beside the same
// checkpoint work) and then the manifest, and the pair three times over,
// so that the two are read side by side while the disk drifts. Compare
// each pair's p99 and max. Cases: back to back at 1M and 10k tables, one
// every 4000 edits at 1M, the engine's cadence at 10k (at 1M it is one
// checkpoint per 136 MB of log: hours of this load). Registered in this
// order; --benchmark_filter=Beside picks them out.
int RegisterCheckpointPairs() {
  struct Case {
    int64_t tables, cadence;
    double seconds;
  };
  const Case cases[] = {{1000000, kBackToBack, 6},
                        {1000000, 4000, 6},
                        {10000, kBackToBack, 6},
                        {10000, kEngineCadence, 25}};
  for (int round = 1; round <= 3; ++round) {
    for (const Case& c : cases) {
      const std::string suffix = absl::StrCat(
          "/tables:", c.tables, "/checkpoints:",
          c.cadence == kBackToBack      ? std::string("back_to_back")
          : c.cadence == kEngineCadence ? std::string("engine")
                                        : absl::StrCat("every_", c.cadence),
          "/round:", round);
      benchmark::RegisterBenchmark(
          ("BesideCheckpoints/ceiling" + suffix).c_str(),
          BM_RawGroupFdatasyncBesideCheckpoints)
          ->Args({c.tables, c.cadence})
          ->Threads(4)
          ->MinTime(c.seconds)
          ->UseRealTime();
      benchmark::RegisterBenchmark(
          ("BesideCheckpoints/manifest" + suffix).c_str(), BM_EditLatency)
          ->Args({c.tables, c.cadence})
          ->Threads(4)
          ->MinTime(c.seconds)
          ->UseRealTime();
    }
  }
  return 0;
}
const int checkpoint_pairs = RegisterCheckpointPairs();

void BM_OpenFromSnapshot(benchmark::State& state) {
  BenchDir dir;
  const uint64_t tables = state.range(0);
  { auto m = *Manifest::Open(io::PosixFileSystem(), dir.manifest()); }
  const State full = StateWithTables(tables);
  WriteSnapshot(io::PosixFileSystem(), dir.manifest(), 1, full).IgnoreError();
  std::string encoded;
  EncodeState(full, &encoded);
  double heap_per_table = 0;
  double arena_per_table = 0;
  for (auto _ : state) {
    const size_t before = mallinfo2().uordblks;
    const size_t arena_before = internal::ChunkArena::MappedBytes();
    auto m = Manifest::Open(io::PosixFileSystem(), dir.manifest());
    if (!m.ok() || (*m)->current()->tables.size() != tables) {
      state.SkipWithError("open failed");
      break;
    }
    // The manifest holds two views of the state (committed and accepted)
    // sharing their table chunks, plus the published copy: all one set.
    heap_per_table =
        static_cast<double>(mallinfo2().uordblks - before) / tables;
    arena_per_table = static_cast<double>(internal::ChunkArena::MappedBytes() -
                                          arena_before) /
                      tables;
    // Open is timed, not the release of a million tables after it.
    state.PauseTiming();
    m->reset();
    state.ResumeTiming();
  }
  // The tables' chunks are in the huge-page arena, the rest on the heap.
  state.counters["heap_bytes_per_table"] = heap_per_table;
  state.counters["arena_bytes_per_table"] = arena_per_table;
  state.counters["encoded_bytes_per_table"] =
      static_cast<double>(encoded.size()) / tables;
  state.SetItemsProcessed(state.iterations() * tables);
}
BENCHMARK(BM_OpenFromSnapshot)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->MinTime(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace strata::manifest

BENCHMARK_MAIN();
