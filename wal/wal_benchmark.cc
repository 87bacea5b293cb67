// WAL performance against the physical limit, in one binary:
//  - append+sync latency vs a raw pwrite+fdatasync loop of the same bytes;
//  - group commit with 1..16 threads, vs the same threads syncing their
//    records in rounds with no queue at all;
//  - replay throughput of a 256 MiB log of 128-byte records (warm cache).
//
//   bazel run -c opt --config=opt //wal:wal_benchmark
//
// Files go to $STRATA_BENCH_DIR, or a fresh directory under the system's
// temp directory: point it at the disk you want to measure.

#include <chrono>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "io/file_system.h"
#include "io/posix_file_system.h"
#include "testing/bench_dir.h"
#include "testing/random.h"
#include "testing/raw_sync_loop.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using ::strata::testing::BenchDir;

// The bytes one framed record of `size` occupies (one fragment).
size_t FramedSize(size_t size) { return size + 7; }

void BM_RawPwriteFdatasync(benchmark::State& state) {
  testing::RunRawAppendFdatasync(state, FramedSize(state.range(0)));
}
BENCHMARK(BM_RawPwriteFdatasync)->Arg(128)->Arg(4096)->UseRealTime();

void BM_WalAppendSync(benchmark::State& state) {
  BenchDir dir;
  auto writer = Writer::Create(io::PosixFileSystem(), dir.path(), 1,
                               {.sync = SyncPolicy::Always()});
  if (!writer.ok()) {
    state.SkipWithError(writer.status().ToString().c_str());
    return;
  }
  const std::string record(state.range(0), 'w');
  for (auto _ : state) {
    if (!(*writer)->Append(record).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * FramedSize(record.size()));
}
BENCHMARK(BM_WalAppendSync)->Arg(128)->Arg(4096)->UseRealTime();

// The ceiling for BM_WalGroupCommit on this machine: one pwrite+fdatasync
// of every thread's record per round, threads meeting at barriers.
void BM_RawGroupFdatasync(benchmark::State& state) {
  testing::RunRawGroupFdatasync(state, FramedSize(128));
}
BENCHMARK(BM_RawGroupFdatasync)
    ->ThreadRange(1, 16)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

std::unique_ptr<BenchDir> group_dir;
std::unique_ptr<Writer> group_writer;

void BM_WalGroupCommit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    group_dir = std::make_unique<BenchDir>();
    group_writer = *Writer::Create(io::PosixFileSystem(), group_dir->path(), 1,
                                   {.sync = SyncPolicy::Always()});
  }
  const std::string record(128, 'g');
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (!group_writer->Append(record).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Benchmark's stop barrier: every thread's appends are done.
    const double elapsed_us = std::chrono::duration<double, std::micro>(
                                  std::chrono::steady_clock::now() - start)
                                  .count();
    const Writer::Stats stats = group_writer->stats();
    state.counters["records_per_sync"] =
        benchmark::Counter(static_cast<double>(stats.records) / stats.syncs);
    // Where a group's time goes: the sync, the wait from the group's first
    // caller to its last, and the rest (mostly waking threads).
    const double groups = static_cast<double>(stats.groups);
    state.counters["us_per_group"] = elapsed_us / groups;
    state.counters["sync_us_per_group"] = stats.sync_nanos / groups / 1e3;
    state.counters["gather_us_per_group"] = stats.gather_nanos / groups / 1e3;
    group_writer.reset();
    group_dir.reset();
  }
}
BENCHMARK(BM_WalGroupCommit)
    ->ThreadRange(1, 16)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

void BM_Replay256MiB(benchmark::State& state) {
  BenchDir dir;
  constexpr uint64_t kTotal = uint64_t{256} << 20;
  const std::string record = testing::Random(1).Bytes(128);
  uint64_t records = 0;
  {
    auto writer = *Writer::Create(
        io::PosixFileSystem(), dir.path(), 1,
        {.sync = SyncPolicy::Never(), .max_segment_size = uint64_t{64} << 20});
    for (uint64_t written = 0; written < kTotal; written += record.size()) {
      writer->Append(record).IgnoreError();
      ++records;
    }
    writer->Close().IgnoreError();
  }
  auto segments = *ListSegments(io::PosixFileSystem(), dir.path());
  uint64_t file_bytes = 0;
  for (uint64_t s : segments) {
    file_bytes += *io::PosixFileSystem()->GetFileSize(
        io::JoinPath(dir.path(), SegmentFileName(s)));
  }
  const bool raw = state.range(0) == 1;
  std::unique_ptr<char[]> buffer(new char[uint64_t{64} << 20]);
  for (auto _ : state) {
    if (raw) {
      // The physical limit: pread of the same files, warm, into one buffer.
      for (uint64_t s : segments) {
        auto file = *io::PosixFileSystem()->NewRandomAccessFile(
            io::JoinPath(dir.path(), SegmentFileName(s)));
        absl::string_view got;
        file->Read(0, file->Size(), buffer.get(), &got).IgnoreError();
        benchmark::DoNotOptimize(got.data());
      }
      continue;
    }
    auto reader = *Reader::Open(io::PosixFileSystem(), dir.path(), segments);
    absl::string_view r;
    RecordPosition pos;
    uint64_t n = 0;
    while (reader->Next(&r, &pos)) ++n;
    if (!reader->status().ok() || n != records) {
      state.SkipWithError("replay failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * file_bytes);
  state.SetItemsProcessed(state.iterations() * records);
}
// Arg 0: wal::Reader replay. Arg 1: raw pread of the same segments.
BENCHMARK(BM_Replay256MiB)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace strata::wal

BENCHMARK_MAIN();
