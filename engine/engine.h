// Engine: a small LSN-ordered key-value store whose flushes and compactions
// drive manifest edits end to end (docs/design.md, docs/engine.md).
//
// Layout of a DB directory:
//   LOCK                held while open: a second process is refused
//   wal/NNNNNN.log      data-WAL segments: the active one and the frozen ones
//   sst/NNNNNN.sst      SSTables
//   manifest/           the manifest (manifest/manifest.h)
//
// Writes: a batch gets consecutive LSNs, is appended to the active data-WAL
// segment (group-committed across threads, durable per the sync policy) and
// added to the memtable; readers see it only once it is durable.
//
// Freeze (one manifest edit): when the memtable outgrows its limit, the WAL
// rotates to a new segment, which becomes active; the old one is frozen with
// its memtable. Flush: the frozen memtable is written to a new table, synced
// (file and directory entry durable); then one edit adds the table, retires
// the frozen WAL and raises the last LSN; only after that edit is durable is
// the WAL segment deleted. Flush() of the active memtable is one edit that
// adds its table and raises the last LSN; its WAL segment stays active
// (replay skips what the last LSN covers) until the kept-WAL rule
// (ShouldRetireActiveWal, below) has the same edit retire it. The
// background thread makes the next WAL segment and the next table file ahead
// of time, so neither a rotation nor a flush syncs a directory. Compaction
// (size-tiered, or full on request): one edit adds the outputs and removes the
// inputs, which are deleted once the edit is durable and no reader pins them.
//
// A failed background step (flush, compaction output, manifest write or
// sync, a WAL failure) leaves the engine read-only: writes return the error,
// reads go on, and no file is deleted until it is reopened.
//
// This header is what sibling targets compile against: the API and the
// value types it takes and returns. The engine's internals (memtables,
// versions, the table cache, the follower's tailing) are behind
// engine/engine_impl.h, which no consumer includes.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_ENGINE_ENGINE_H_
#define STRATA_ENGINE_ENGINE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/check.h"
#include "engine/compaction.h"
#include "engine/db_iterator.h"
#include "engine/events.h"
#include "engine/progress.h"
#include "engine/write_batch.h"
#include "io/file_system.h"
#include "manifest/edit.h"
#include "manifest/load.h"
#include "manifest/manifest.h"
#include "sstable/table_writer.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace strata::engine {

class EngineImpl;

// What open does with damage at the end of the active data-WAL segment.
enum class WalRecovery {
  // Damage with nothing valid after it — a torn write, zeros, or a complete
  // last record that fails its checksum — is cut off and reported
  // (OpenReport::wal_tail; the CLI prints it). The default, as RocksDB's
  // point-in-time recovery: under SyncPolicy::Always a damaged complete
  // record was acknowledged, and it is lost, visibly.
  kTolerateCorruptedTail,
  // Only what an interrupted append leaves is cut: a tail that ends inside
  // a record, or zeros. A complete record that fails its checks is DataLoss
  // naming the file and offset, as in the manifest log.
  kAbsoluteConsistency,
};

// How the engine writes tables unless told otherwise: TableWriterOptions'
// defaults, with LZ4 compression.
inline sstable::TableWriterOptions DefaultTableOptions() {
  sstable::TableWriterOptions options;
  options.compression = sstable::Compression::kLz4;
  return options;
}

struct EngineOptions {
  // Create a database if `dir` is missing or empty. A directory holding
  // anything else is never made into one (see engine/db_dir.h).
  bool create_if_missing = true;
  // Refuse (AlreadyExists) to open a database that exists.
  bool error_if_exists = false;
  // Open for inspection, changing nothing on disk: no file is created,
  // written, renamed, truncated or deleted, and no lock is taken (so it
  // works on a read-only mount, and on a copy or a live database whose
  // LOCK another process holds; a live writer may then delete tables this
  // reader still wants, which its reads report). The data WAL is replayed
  // into memory, a torn tail left as it is; writes, Flush and Compact
  // return FailedPrecondition. A missing database is NotFound. Beside a
  // live writer, a load that meets a file the writer just removed is
  // retried (a few times, while the directory is seen to change).
  bool read_only = false;
  // The memtable is frozen once it holds about this many bytes.
  size_t memtable_bytes = size_t{4} << 20;
  // Writers wait while this many frozen memtables await a flush.
  size_t max_frozen_memtables = 2;
  wal::SyncPolicy wal_sync = wal::SyncPolicy::Always();
  WalRecovery wal_recovery = WalRecovery::kTolerateCorruptedTail;
  // Largest batch, encoded; larger ones are refused with InvalidArgument.
  uint64_t max_batch_bytes = uint64_t{16} << 20;
  // Flush and compact on a background thread. Off, the work runs in the
  // calling thread: in the write that fills the memtable, and in Flush()
  // and Compact() — deterministic, for tests and tools.
  bool background_work = true;
  bool auto_compaction = true;
  CompactionOptions compaction;
  // How tables are written. The engine compresses with LZ4 by default
  // (sstable::TableWriterOptions alone defaults to none): on values that
  // compress about 2:1 it halves the bytes on disk at the same fill rate,
  // and costs a read that misses the block cache about 1 µs to expand the
  // block; Zstandard saved 4% more and cost reads 40% (docs/engine.md,
  // "Compression").
  sstable::TableWriterOptions table = DefaultTableOptions();
  // Tables kept open at once (each a descriptor and its index and filter):
  // past it the least recently used is closed, and reopened when next
  // read. 0: no limit. A follower keeps every table it opened open
  // whatever this says: its primary may delete one it still serves.
  size_t max_open_tables = 1000;
  // Bytes of decoded data blocks kept in memory, shared by every table
  // (sstable/block_cache.h). 0: no cache.
  size_t block_cache_bytes = size_t{8} << 20;
  // Read tables through a memory mapping instead of pread: no copy, but an
  // I/O error on a mapped page is a SIGBUS that kills the process instead
  // of an error a read returns, and mapped reads use no block cache.
  bool mmap_reads = false;
  // Table numbers are reserved durably this many at a time, so a flush
  // needs no edit of its own to allocate one. Unused ones are never reused.
  uint64_t table_number_batch = 64;
  // Recover what can be recovered from a damaged manifest or data WAL; the
  // engine then deletes no file.
  bool best_effort = false;
  // Microseconds since the Unix epoch, for table creation times (tombstone
  // compaction's age); empty: the system clock. Tests set it.
  std::function<int64_t()> now_micros;
  // The manifest's own options. Its best_effort, read_only and on_commit
  // fields are ignored: the engine sets them.
  manifest::ManifestOptions manifest;
  // Told of flushes, compactions, edits, deletions, errors and stalls
  // (engine/events.h), on the engine's event thread.
  std::vector<std::shared_ptr<EventListener>> listeners;
};

// What Engine::Checkpoint made.
struct CheckpointReport {
  // Every write at or below it is in the copy, and no later one: every
  // write acknowledged before the call.
  uint64_t lsn = 0;
  uint64_t tables = 0;
  uint64_t tables_linked = 0;
  uint64_t tables_copied = 0;  // Where links could not be made.
  uint64_t table_bytes = 0;
  uint64_t wal_records = 0;  // Written to the copy's one segment.
  uint64_t wal_entries = 0;
  uint64_t wal_bytes = 0;
  std::chrono::nanoseconds duration{0};
};

// What one Engine::CatchUp did, and how far behind the follower had been.
struct CatchUpReport {
  uint64_t edits = 0;     // Applied by this call: the edits it was behind.
  uint64_t sequence = 0;  // Of the last edit applied, overall.
  uint64_t generation = 0;
  uint64_t generations_crossed = 0;  // Manifest logs followed to the next.
  // The follower had fallen behind generations the primary deleted (or
  // met a gap): it reloaded the newest snapshot (O(tables), not O(edits)).
  bool reloaded = false;
  uint64_t lsn_before = 0;  // LSN served before the call; behind by
  uint64_t lsn = 0;         // lsn - lsn_before.
  uint64_t wal_records = 0;
  uint64_t bytes_read = 0;  // Manifest and data-WAL bytes read.
  // Bytes past the last whole record in the active segment: a write the
  // primary has under way.
  uint64_t pending_bytes = 0;
  std::chrono::nanoseconds duration{0};
};

struct KeyValue {
  std::string key;
  std::string value;
  friend bool operator==(const KeyValue& a, const KeyValue& b) {
    return a.key == b.key && a.value == b.value;
  }
};

// What Open found and did.
struct OpenReport {
  manifest::RecoveryReport manifest;
  bool created = false;
  uint64_t wal_segments = 0;  // Replayed.
  uint64_t wal_records = 0;
  uint64_t wal_entries = 0;
  // Replayed entries already in tables (at or below the manifest's LSN).
  uint64_t wal_entries_flushed = 0;
  // A torn tail of the active segment was cut off (read-only: found): the
  // bytes [wal_tail_offset, wal_tail_offset + wal_tail_bytes) of
  // wal_tail_segment, and why.
  bool repaired_wal_tail = false;
  uint64_t wal_tail_segment = 0;
  uint64_t wal_tail_offset = 0;
  uint64_t wal_tail_bytes = 0;
  std::string wal_tail;
  std::vector<wal::SkippedRange> wal_skipped;  // Best effort only.
  // Deleted by open. With background work, table orphans are deleted by
  // the background thread instead (EngineStats::orphans_deleted_later).
  std::vector<std::string> orphans_deleted;
  bool deletions_allowed = true;
  // Files in the directory that Strata did not write: left alone.
  std::vector<std::string> foreign_files;
  std::chrono::nanoseconds duration{0};
};

struct EngineStats {
  uint64_t writes = 0;  // Batches (a Put or Delete is one).
  uint64_t flushes = 0;
  uint64_t flushes_into_spare = 0;  // Into a table file made ahead.
  uint64_t compactions = 0;
  uint64_t compaction_failures = 0;  // Stopped by a damaged input.
  uint64_t tables_deleted = 0;
  uint64_t wals_deleted = 0;
  uint64_t orphans_deleted_later = 0;  // Table orphans, by the background.
  uint64_t last_lsn = 0;
  uint64_t frozen_memtables = 0;
  uint64_t memtable_bytes = 0;
  uint64_t live_tables = 0;
  uint64_t live_table_bytes = 0;
  uint64_t wal_bytes = 0;  // Written since open, framing included.
  uint64_t wal_syncs = 0;
  uint64_t manifest_edits = 0;  // Since open.
  // The manifest's current log on disk (not only this process's edits):
  // what its checkpoint thresholds compare.
  uint64_t manifest_log_bytes = 0;
  uint64_t manifest_snapshot_bytes = 0;
  uint64_t manifest_generation = 0;
  uint64_t checkpoints = 0;  // Since open.
  // Reads since open: data blocks read from tables (Get, iterators and
  // compaction), and table lookups the bloom filter answered alone.
  uint64_t table_blocks_read = 0;
  uint64_t filter_skips = 0;
  // Table opens (a table let go for max_open_tables is opened again when
  // next read), and tables open now.
  uint64_t table_opens = 0;
  uint64_t open_tables = 0;
  // Block cache: lookups it answered and lookups it missed.
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t block_cache_bytes = 0;
  uint64_t live_snapshots = 0;
  uint64_t tombstone_compactions = 0;  // Of one table, for its tombstones.
  std::chrono::nanoseconds open_time{0};
};

class Engine {
 public:
  // Opens (creating if needed) the database in `dir`. `fs` must outlive the
  // engine.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Open(
      io::FileSystem* fs, std::string dir, EngineOptions options = {});
  // Opens a live primary's directory to follow it: without the lock and
  // without writing anything, as of the primary's last durable edit and
  // WAL record. Reads (Get, Scan, NewIterator, snapshots) see the state of
  // the last CatchUp(); writes, Flush, Compact fail. The follower may
  // serve a write the primary has written but not yet acknowledged (at
  // most the group commit under way). options: read_only, background_work
  // and listeners are ignored. docs/engine.md, "Followers".
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> OpenFollower(
      io::FileSystem* fs, std::string dir, EngineOptions options = {});
  // A follower's: applies what the primary committed since the last call —
  // manifest edits across any number of checkpoints and generations, then
  // the new records of the data WAL — and says how far behind it was.
  // With nothing new it reads no file (a read returning nothing per open
  // log, two existence checks); with E new edits it costs O(E) plus the
  // new WAL bytes. A read that meets a table the primary deleted catches up
  // and retries, so reads never fail for that. FailedPrecondition on an
  // engine not opened by OpenFollower.
  [[nodiscard]] absl::StatusOr<CatchUpReport> CatchUp();

  // Closes, ignoring errors; call Close() to see them.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] absl::Status Put(absl::string_view key,
                                 absl::string_view value);
  [[nodiscard]] absl::Status Delete(absl::string_view key);
  // Deletes every key in [start, end) (one range tombstone, one LSN).
  // InvalidArgument unless start sorts before end.
  [[nodiscard]] absl::Status DeleteRange(absl::string_view start,
                                         absl::string_view end);
  // All of `batch` or none of it, with consecutive LSNs. With `lsn`, sets
  // *lsn to the batch's last LSN once it is acknowledged: a read at that
  // LSN (LatestLsn(), a snapshot, a follower's) sees the whole batch. An
  // empty batch is acknowledged at once and sets *lsn to LatestLsn().
  [[nodiscard]] absl::Status Write(const WriteBatch& batch);
  [[nodiscard]] absl::Status Write(const WriteBatch& batch, uint64_t* lsn);

  // The newest LSN readers see: every write at or below it was
  // acknowledged (or replayed at open), none above. One atomic load.
  uint64_t LatestLsn() const;

  // The value of `key`; NotFound if it has none.
  [[nodiscard]] absl::StatusOr<std::string> Get(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<std::string> Get(const ReadOptions& options,
                                                absl::string_view key) const;
  // A streaming iterator (engine/db_iterator.h), unpositioned. It pins the
  // files it reads until it is destroyed; destroy it before the engine.
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options = {}) const;
  // Up to `limit` (0: no limit) live pairs with keys in [start, end), in
  // key order (`end` empty: to the last key), as of options.snapshot (if
  // any): a loop over NewIterator.
  [[nodiscard]] absl::StatusOr<std::vector<KeyValue>> Scan(
      const ReadOptions& options, absl::string_view start,
      absl::string_view end, size_t limit = 0) const;
  [[nodiscard]] absl::StatusOr<std::vector<KeyValue>> Scan(
      absl::string_view start, absl::string_view end, size_t limit = 0) const;

  // Snapshots. GetSnapshot returns a handle to the current state (its LSN,
  // LatestLsn() at the call); reads given it in ReadOptions see that state
  // and nothing newer, and compaction keeps every version it can see.
  // Lifetime rules:
  //  - ReleaseSnapshot(s) ends the handle (it is deleted); release each
  //    once, before the engine is destroyed. A null handle is ignored.
  //  - An iterator may outlive the release of its snapshot: it keeps the
  //    LSN it was made with and pins the files and memtables it reads, so
  //    it reads the same state to its end (compaction may then drop
  //    versions for new readers, never from under it).
  //  - ScopedSnapshot (below) releases on destruction.
  const Snapshot* GetSnapshot();
  void ReleaseSnapshot(const Snapshot* snapshot);

  // Flushes every frozen memtable, then the active one (writers wait
  // meanwhile: one edit adds its table and retires its WAL segment).
  // Returns when done.
  [[nodiscard]] absl::Status Flush();
  // Flushes, then merges every table into one, dropping shadowed versions
  // and tombstones.
  [[nodiscard]] absl::Status Compact(const ProgressFn& progress = {});
  // Verifies every live table (present, of the recorded size, every block
  // and the whole-file checksum) and that the listed WAL segments exist.
  [[nodiscard]] absl::StatusOr<CheckReport> Check(
      const ProgressFn& progress = {}) const;

  // OK, or the error that made the engine read-only.
  absl::Status health() const;
  EngineStats stats() const;
  const OpenReport& open_report() const;

  // An independent copy of the database in the new directory `dest`, as
  // of one LSN (report.lsn), taken while writes, flushes and compactions
  // go on: tables hard-linked (copied across file systems), the WAL's
  // records up to that LSN copied, and a manifest of one snapshot. Built
  // under DEST.checkpoint-tmp and renamed, so after a crash `dest` is whole
  // or absent (the next checkpoint to `dest` removes the leftover). An
  // existing `dest` is AlreadyExists. docs/engine.md, "Checkpoints".
  [[nodiscard]] absl::StatusOr<CheckpointReport> Checkpoint(
      const std::string& dest);

  // The manifest's current state (immutable): the live tables and WAL
  // segments, the last LSN in tables, the last edit's sequence.
  std::shared_ptr<const manifest::State> manifest_state() const;

  // Stops background work, syncs and closes the WAL. Later calls fail.
  [[nodiscard]] absl::Status Close();

 private:
  explicit Engine(std::unique_ptr<EngineImpl> impl);

  // Everything else: engine/engine_impl.h, internal to the engine.
  std::unique_ptr<EngineImpl> impl_;
};

// A snapshot released when this goes out of scope (before the engine).
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(Engine* engine)
      : engine_(engine), snapshot_(engine->GetSnapshot()) {}
  ~ScopedSnapshot() { engine_->ReleaseSnapshot(snapshot_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;

  const Snapshot* get() const { return snapshot_; }
  uint64_t lsn() const { return snapshot_->lsn(); }
  // Options that read at this snapshot.
  ReadOptions read_options() const {
    ReadOptions options;
    options.snapshot = snapshot_;
    return options;
  }

 private:
  Engine* const engine_;
  const Snapshot* const snapshot_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_ENGINE_H_
