// EngineImpl: the engine itself, behind engine/engine.h's Engine, which
// forwards to it. Internal to the engine package: sibling targets compile
// against engine.h, which names none of the types below.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_ENGINE_ENGINE_IMPL_H_
#define STRATA_ENGINE_ENGINE_IMPL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/build_table.h"
#include "engine/check.h"
#include "engine/compaction.h"
#include "engine/db_iterator.h"
#include "engine/engine.h"
#include "engine/event_queue.h"
#include "engine/events.h"
#include "engine/follower.h"
#include "engine/memtable.h"
#include "engine/progress.h"
#include "engine/recovery.h"
#include "engine/table_cache.h"
#include "engine/table_numbers.h"
#include "engine/version.h"
#include "engine/write_batch.h"
#include "io/file_system.h"
#include "io/mutex.h"
#include "manifest/manifest.h"
#include "sstable/block_cache.h"
#include "sstable/table_writer.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace strata::engine {

class EngineImpl {
 public:
  // engine.h's API: Engine forwards each call here; the contracts are
  // documented there.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EngineImpl>> Open(
      io::FileSystem* fs, std::string dir, EngineOptions options = {});
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EngineImpl>> OpenFollower(
      io::FileSystem* fs, std::string dir, EngineOptions options = {});
  [[nodiscard]] absl::StatusOr<CatchUpReport> CatchUp();

  ~EngineImpl();
  EngineImpl(const EngineImpl&) = delete;
  EngineImpl& operator=(const EngineImpl&) = delete;

  [[nodiscard]] absl::Status Put(absl::string_view key,
                                 absl::string_view value);
  [[nodiscard]] absl::Status Delete(absl::string_view key);
  [[nodiscard]] absl::Status DeleteRange(absl::string_view start,
                                         absl::string_view end);
  [[nodiscard]] absl::Status Write(const WriteBatch& batch);
  [[nodiscard]] absl::Status Write(const WriteBatch& batch, uint64_t* lsn);

  uint64_t LatestLsn() const {
    return latest_lsn_.load(std::memory_order_acquire);
  }

  [[nodiscard]] absl::StatusOr<std::string> Get(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<std::string> Get(const ReadOptions& options,
                                                absl::string_view key) const;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options = {}) const;
  [[nodiscard]] absl::StatusOr<std::vector<KeyValue>> Scan(
      const ReadOptions& options, absl::string_view start,
      absl::string_view end, size_t limit = 0) const;
  [[nodiscard]] absl::StatusOr<std::vector<KeyValue>> Scan(
      absl::string_view start, absl::string_view end, size_t limit = 0) const;

  const Snapshot* GetSnapshot();
  void ReleaseSnapshot(const Snapshot* snapshot);

  [[nodiscard]] absl::Status Flush();
  [[nodiscard]] absl::Status Compact(const ProgressFn& progress = {});
  [[nodiscard]] absl::StatusOr<CheckReport> Check(
      const ProgressFn& progress = {}) const;

  absl::Status health() const;
  EngineStats stats() const;
  const OpenReport& open_report() const { return report_; }

  [[nodiscard]] absl::StatusOr<CheckpointReport> Checkpoint(
      const std::string& dest);

  std::shared_ptr<const manifest::State> manifest_state() const;

  [[nodiscard]] absl::Status Close();

 private:
  // What a reader uses, taken at once under mu_ (lsn: the snapshot's, if
  // one is given).
  struct ReadView {
    uint64_t lsn = 0;
    std::shared_ptr<MemTable> mem;
    std::vector<std::shared_ptr<MemTable>> frozen;  // Newest first.
    std::shared_ptr<const Version> version;
  };

  EngineImpl(io::FileSystem* fs, std::string dir, EngineOptions options,
             bool follower = false);
  // One attempt of Open.
  static absl::StatusOr<std::unique_ptr<EngineImpl>> OpenOnce(
      io::FileSystem* fs, std::string dir, const EngineOptions& options);
  static constexpr int kReadOnlyOpenAttempts = 8;

  // --- Open and close (engine_open.cc) ---
  absl::Status Recover();
  // Creates the directory and its subdirectories and takes the LOCK;
  // `is_database`: CheckDbDirForOpen found a database there.
  absl::Status PrepareDirectory(bool is_database);
  absl::Status OpenManifest();
  // Replays the data WAL the manifest lists (engine/recovery.h) and opens
  // wal_ for writing after its last whole record; for a new database,
  // creates the first segment instead.
  absl::StatusOr<ReplayedWal> OpenDataWal();
  wal::WriterOptions WalWriterOptions() const;
  // Makes a replayed data-WAL segment durable before its records are served.
  absl::Status SyncWalSegment(uint64_t number);
  // Copies what the replay found into report_.
  void NoteReplay(const ReplayedWal& replayed);
  // Deletes WAL orphans now and table orphans now or, with background
  // work, from the background thread (engine/recovery.h).
  absl::Status DeleteOrphansAtOpen(
      std::shared_ptr<const manifest::State> state);
  std::string WalPath(uint64_t number) const;

  // --- Follower (engine_follow.cc) ---
  // Get without the follower's retry.
  absl::StatusOr<std::string> GetOnce(const ReadOptions& options,
                                      absl::string_view key) const;
  absl::StatusOr<std::vector<KeyValue>> ScanOnce(const ReadOptions& options,
                                                 absl::string_view start,
                                                 absl::string_view end,
                                                 size_t limit) const;
  // A follower's read met a missing table: catch up, so that the next
  // attempt reads the primary's newer state. False if the catch-up failed
  // or found nothing new: the table is then missing for good.
  bool CatchUpForRead() const;
  // A bound on attempts that each catch up past new edits (a primary that
  // compacts faster than a read opens its tables), against a loop.
  static constexpr int kFollowerReadAttempts = 1000;

  // --- Writes ---
  absl::Status CheckWritable() const ABSL_LOCKS_EXCLUDED(mu_);
  // FailedPrecondition once Close has begun. Checked by every step that
  // takes work_mu_, after taking it (see Close).
  absl::Status CheckNotClosing() const ABSL_LOCKS_EXCLUDED(mu_);
  // Freezes a full memtable, waiting first if too many await a flush.
  absl::Status MakeRoomForWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status Freeze() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void MarkVisible(uint64_t lsn) ABSL_LOCKS_EXCLUDED(mu_);
  // Readers see every LSN up to `lsn` (it never falls): each one is durable.
  void RaiseVisibleLsn(uint64_t lsn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every assigned LSN is visible: no write waits in its sync, so a flush
  // needs no WAL sync of its own.
  bool AllVisible() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);

  // --- Background work (flush and compaction) ---
  void BackgroundLoop();
  // Runs flushes, then compactions if due: inline, or by the thread.
  absl::Status DoWork() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::Status FlushFrozen() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::Status FlushOne(const FrozenMemTable& frozen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  // Flushes the active memtable: one edit adds its table and raises the
  // LSN; if ShouldRetireActiveWal(), the same edit makes a new segment
  // active, retiring the old one.
  absl::Status FlushActive() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_, work_mu_);
  // The kept-WAL rule: Flush() keeps the active segment, and replay skips
  // the records the flush's LSN covers, until it holds kMaxKeptWalBytes of
  // records (or memtable_bytes, if less) — at most that much is read at
  // open only to be skipped — or held damage a best-effort open skipped.
  bool ShouldRetireActiveWal() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes `mem` to a new table, into a spare file if there is one.
  absl::StatusOr<manifest::TableMeta> WriteTable(const MemTable& mem)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  // The last LSN once `table` (the oldest unflushed memtable's) is live.
  uint64_t RaisedLsn(const manifest::TableMeta& table) const;
  // Without a background thread, the caller makes the spares (the next WAL
  // segment and table files) at the end of its step, if they are wanted:
  // the same files and order as the thread, but deterministic.
  void PrepareSparesInline() ABSL_LOCKS_EXCLUDED(work_mu_, mu_);
  // The next WAL segment and table files, for the thread or the above.
  void MakeSpares() ABSL_LOCKS_EXCLUDED(mu_);
  // The background thread's: the manifest generations a checkpoint
  // superseded (ManifestOptions::defer_deletions).
  void DeleteObsoleteManifestFiles() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status MaybeCompact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  // Runs a CompactionJob and commits it. A damaged input is kept and left
  // out of later automatic compactions; a failed output fails the engine.
  absl::Status RunCompaction(std::vector<manifest::TableMeta> inputs,
                             CompactionReason reason,
                             const ProgressFn& progress = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  // The manifest's on_commit: queues the events of a committed edit.
  void OnEditCommitted(const manifest::Edit& edit);
  // Records the first background error: the engine becomes read-only.
  absl::Status Fail(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_);

  // --- Versions and files ---
  ReadView TakeReadView(const ReadOptions& options = {}) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The range tombstones of every table of `version`, gathered once.
  absl::StatusOr<std::shared_ptr<const sstable::TombstoneIndex>>
  TableTombstones(const Version& version) const;
  // The LSNs of the live snapshots, ascending.
  std::vector<uint64_t> SnapshotLsns() const ABSL_LOCKS_EXCLUDED(mu_);
  // Makes the manifest's current state what readers see, and runs `also`
  // under mu_ in the same step (a flushed memtable leaves as its table
  // arrives).
  void PublishVersion(const std::function<void()>& also)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool DeletionsAllowed() const ABSL_LOCKS_EXCLUDED(mu_);
  // Called by whichever thread drops the last version that used `numbers`,
  // often a reader: queues them for DeleteRetiredTables, so that no reader
  // waits for an unlink (which can hold the disk's syncs for milliseconds).
  void DeleteTables(const std::vector<uint64_t>& numbers)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Unlinks the queued tables. Called by the background thread, and at the
  // end of Flush, Compact and inline work (without a background thread, a
  // table a reader let go waits for the next of them, or Close). Flush and
  // Compact return with what they retired unlinked.
  void DeleteRetiredTables() ABSL_LOCKS_EXCLUDED(delete_mu_, mu_);
  // DeleteRetiredTables, unless the background thread will.
  void DeleteRetiredTablesInline() ABSL_LOCKS_EXCLUDED(mu_);
  // Compact's merge of every table, after its flush.
  absl::Status CompactAll(const ProgressFn& progress)
      ABSL_LOCKS_EXCLUDED(work_mu_);
  void DeleteWal(uint64_t number);
  // Looks for `key` in the tables of `view`, newest first, raising *found
  // (the newest version) and *covering (the newest range tombstone over
  // it, both at or below view.lsn) as it goes.
  absl::Status GetFromTables(const ReadView& view, absl::string_view key,
                             std::optional<sstable::Found>* found,
                             uint64_t* covering) const;

  io::FileSystem* const fs_;
  const std::string dir_;
  const std::string wal_dir_;
  const std::string sst_dir_;
  const EngineOptions options_;
  mutable sstable::ReadCounters read_counters_;
  // Null without a block cache (block_cache_bytes 0, or mapped reads).
  const std::unique_ptr<sstable::BlockCache> block_cache_;
  mutable TableCache tables_;  // A cache: filled by const reads.
  const TableBuilder builder_;
  VersionTracker versions_;
  std::unique_ptr<io::FileLock> lock_;
  std::unique_ptr<manifest::Manifest> manifest_;
  std::unique_ptr<TableNumbers> numbers_;  // Set by Open.
  OpenReport report_;                      // Written by Open only.
  bool lost_data_ = false;  // Best-effort recovery skipped something.
  // The state at open, for the background thread's scan of sst/.
  std::shared_ptr<const manifest::State> table_orphan_scan_;

  // Serializes writers' LSN assignment and WAL order, and freezes.
  Mutex write_mu_ ABSL_ACQUIRED_BEFORE(work_mu_, mu_);
  std::unique_ptr<wal::Writer> wal_;  // Set by Open; safe for concurrent use.
  uint64_t wal_number_ ABSL_GUARDED_BY(write_mu_) = 0;
  // Record bytes in the active segment (its size, framing aside).
  uint64_t wal_bytes_ ABSL_GUARDED_BY(write_mu_) = 0;
  // See ShouldRetireActiveWal().
  static constexpr uint64_t kMaxKeptWalBytes = uint64_t{256} << 10;
  // Close checkpoints the manifest if its log holds more than this.
  static constexpr uint64_t kCheckpointAtCloseBytes = uint64_t{64} << 10;
  // Best-effort recovery skipped damage in the data WAL: the next flush of
  // the active memtable retires its segment whatever its size, so that a
  // later normal open does not meet the damage again.
  bool retire_damaged_wal_ ABSL_GUARDED_BY(write_mu_) = false;
  uint64_t last_lsn_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::shared_ptr<MemTable> active_ ABSL_GUARDED_BY(write_mu_);

  // Held while retired tables are unlinked, so that Close, which takes it
  // to mark the engine closed, returns only once no unlink is under way.
  Mutex delete_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  // Held while flushing or compacting: one at a time.
  Mutex work_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::set<uint64_t> damaged_ ABSL_GUARDED_BY(work_mu_);
  // Spare table files kept ready (engine/table_numbers.h): several, so that
  // one directory sync serves several flushes and a burst of flushes does
  // not outrun the background thread.
  static constexpr size_t kSpareTables = 8;

  // What readers see, and the background thread's signals.
  mutable Mutex mu_;
  CondVar work_cv_;  // Frozen memtables to flush, or shutdown.
  CondVar done_cv_;  // A flush ended, or a failure: stalled writers look.
  std::shared_ptr<MemTable> mem_ ABSL_GUARDED_BY(mu_);
  std::deque<FrozenMemTable> frozen_ ABSL_GUARDED_BY(mu_);  // Oldest first.
  std::shared_ptr<const Version> current_ ABSL_GUARDED_BY(mu_);
  uint64_t visible_lsn_ ABSL_GUARDED_BY(mu_) = 0;
  // visible_lsn_, for LatestLsn() without the lock.
  std::atomic<uint64_t> latest_lsn_{0};
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  // A spare was used (the WAL rotated, or a flush took the table file): the
  // background thread makes the next ones.
  bool spare_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  EngineStats stats_ ABSL_GUARDED_BY(mu_);
  std::multiset<uint64_t> snapshots_ ABSL_GUARDED_BY(mu_);  // Their LSNs.
  // Tables no version uses any more, waiting for DeleteRetiredTables.
  std::vector<uint64_t> retired_tables_ ABSL_GUARDED_BY(mu_);

  // OpenFollower's; one CatchUp at a time.
  std::unique_ptr<Follower> follower_;
  Mutex follow_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  // Set by the constructor if there are listeners; armed (edits reported)
  // once open has queued the recovered state.
  std::unique_ptr<EventQueue> events_;
  std::atomic<bool> events_armed_{false};

  std::thread background_;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_ENGINE_IMPL_H_
