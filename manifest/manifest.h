// Manifest: the durable record of which data-WAL segments and SSTables make
// up a database (docs/design.md, docs/manifest_format.md).
//
// Every change is an Edit: validated against the current state (invalid
// edits are refused before anything is written), given the next sequence
// number, appended to the manifest log as one record and synced, and only
// then applied to the state readers see. Concurrent Apply calls are
// group-committed by the log (one write and one sync for all waiting edits;
// each caller gets its own result; edits apply in log order).
//
// Files, by generation G in one directory:
//   NNNNNN.snapshot  the whole state when G began (its last edit sequence)
//   NNNNNN.log       edits after it (a WAL segment numbered G)
// A checkpoint runs beside edits (on the manifest's own thread by
// default): it makes log G+1 durable, switches edits to it once the edits
// in flight have committed, then writes snapshot G+1 of the state at the
// switch (temp, sync, rename, directory sync) without the lock, and only
// then deletes generation G-1. Until snapshot G+1 is installed, open
// replays snapshot G and logs G and G+1 as one chain. The previous
// generation stays whole until the next one is, so a corrupt newest
// snapshot is recovered from the one before it without losing an edit.
//
// After a failed log write or sync the log's state is unknown: the manifest
// refuses every later edit with that first error, and reports that nothing
// may be deleted until it is reopened.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_MANIFEST_MANIFEST_H_
#define STRATA_MANIFEST_MANIFEST_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "io/mutex.h"
#include "manifest/edit.h"
#include "manifest/load.h"
#include "wal/writer.h"

namespace strata::manifest {

struct ManifestOptions {
  // Checkpoint automatically once the log since the last snapshot is larger
  // than both of these: bytes, and a multiple of the snapshot's size (so a
  // large state is not rewritten after every few edits).
  uint64_t checkpoint_log_bytes = uint64_t{4} << 20;
  double checkpoint_snapshot_ratio = 2.0;
  // Recover the longest consistent prefix instead of failing on damage. The
  // result is marked: deletions_allowed() stays false.
  bool best_effort = false;
  // Leave the files of superseded generations to DeleteObsoleteFiles()
  // rather than deleting them inside a checkpoint: for an owner with a
  // background thread, so that no unlink adds to a checkpoint's latency
  // (on a disk with online discard, unlinking a snapshot costs about as
  // much as writing it). Until then they are harmless: open ignores them
  // and deletes them.
  bool defer_deletions = false;
  // Run automatic checkpoints on a thread the manifest owns, so that the
  // edit that makes one due returns at once and edits keep committing while
  // the snapshot is written. Off, the edit that makes a checkpoint due runs
  // it before it returns — still without holding up other edits — which is
  // deterministic, for tests and single-threaded owners.
  bool background_checkpoints = true;
  // Open for inspection: load the state and change nothing on disk — no
  // directory, snapshot or log is created, no torn tail is cut, no file is
  // deleted. A directory holding no manifest is NotFound. Edits and
  // checkpoints are refused with FailedPrecondition.
  bool read_only = false;
  // Called once for every edit that commits (is durable and applied), in
  // sequence order, with the manifest's lock held: it must be quick and
  // must not call into the manifest. Never called for an edit that failed.
  std::function<void(const Edit&)> on_commit;
};

class Manifest {
 public:
  // Opens the manifest in `dir`, creating an empty one if `dir` holds none
  // (unless read_only).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Manifest>> Open(
      io::FileSystem* fs, std::string dir, ManifestOptions options = {});
  ~Manifest();

  // Validates, logs durably and applies `edit` (whose sequence is assigned
  // here). Returns the sequence. InvalidArgument if the edit does not apply;
  // the sticky failure after a failed write or sync.
  [[nodiscard]] absl::StatusOr<uint64_t> Apply(Edit edit);

  // One-op edits: the reference design's API, kept for consumers porting
  // from it (each is Apply of an edit holding that one op). The engine
  // commits whole edits instead (Edit::Freeze, Edit::Flush, ...), so that
  // each step of its work is one log record.
  [[nodiscard]] absl::Status SetVersion(uint64_t version);
  [[nodiscard]] absl::Status SetActiveWal(uint64_t wal);
  [[nodiscard]] absl::Status AddFrozenWal(uint64_t wal);
  [[nodiscard]] absl::Status RemoveFrozenWal(uint64_t wal);
  [[nodiscard]] absl::Status AddTable(TableMeta table);
  [[nodiscard]] absl::Status RemoveTable(uint64_t number);
  [[nodiscard]] absl::Status UpdateLsn(uint64_t lsn);
  [[nodiscard]] absl::Status AllocateTableId(uint64_t number);
  [[nodiscard]] absl::Status ApplyCompaction(std::vector<TableMeta> added,
                                             std::vector<uint64_t> removed);
  // One edit that allocates the single next table id durably; returns it.
  // (The engine reserves ids a batch at a time instead:
  // engine/table_numbers.h.)
  [[nodiscard]] absl::StatusOr<uint64_t> AllocateOneTableId();

  // The state after every edit applied so far. Immutable; readers keep it as
  // long as they like without holding any lock of the manifest's.
  std::shared_ptr<const State> current() const;

  // Writes a snapshot and starts a new generation now (after any checkpoint
  // under way). Edits go on committing meanwhile.
  [[nodiscard]] absl::Status Checkpoint();
  // Returns once no checkpoint is under way or asked for.
  void WaitForCheckpoints() ABSL_LOCKS_EXCLUDED(mu_);

  // OK, or the error that stopped the manifest (read_only: the
  // FailedPrecondition every change meets).
  absl::Status health() const;
  // False after a best-effort recovery that lost data, or after a failure:
  // the engine must not delete files then.
  bool deletions_allowed() const;
  // With defer_deletions: whether a checkpoint left superseded files, and
  // deleting them (every generation before the previous one, which stays
  // whole as the fallback). Nothing is deleted while deletions_allowed()
  // is false. Safe to call concurrently with edits and checkpoints; it
  // holds no lock while it deletes.
  bool has_obsolete_files() const ABSL_LOCKS_EXCLUDED(mu_);
  void DeleteObsoleteFiles() ABSL_LOCKS_EXCLUDED(mu_);
  // Edits logged since the last snapshot (the reference's dirty flag).
  bool dirty() const ABSL_LOCKS_EXCLUDED(mu_);
  const RecoveryReport& recovery() const { return recovery_; }

  struct Stats {
    uint64_t generation = 0;
    uint64_t edits = 0;  // Applied since Open.
    // The current generation's log as it is on disk, edits of earlier
    // processes included: what the checkpoint thresholds compare.
    uint64_t log_bytes = 0;
    uint64_t snapshot_bytes = 0;
    uint64_t checkpoints = 0;  // Since Open.
  };
  Stats stats() const;

 private:
  Manifest(io::FileSystem* fs, std::string dir, ManifestOptions options);

  absl::Status Recover() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status StartFresh() ABSL_LOCKS_EXCLUDED(mu_);
  // options_.read_only: the state, and failure_ set to refuse every change.
  absl::Status LoadReadOnly() ABSL_LOCKS_EXCLUDED(mu_);
  // A checkpoint (checkpointing_ set by the caller): the next log made,
  // edits switched to it, the snapshot of the state as of the switch
  // written and installed, old generations deleted. Holds mu_ only to
  // switch and to record the result; an edit waits at most for the edits in
  // flight at the switch to commit.
  absl::Status RunCheckpoint() ABSL_LOCKS_EXCLUDED(mu_);
  // Switches edits to `next_log` once the edits in flight have committed;
  // the state they make, and the old log in *old_log. First it waits, for
  // up to kSwitchGrace, for a commit that leaves nothing in flight, which
  // switches the logs on the spot (SwitchLogsLocked) with no edit held;
  // only if none comes does it hold new edits until those in flight
  // commit.
  absl::StatusOr<std::shared_ptr<const State>> SwitchLog(
      std::unique_ptr<wal::Writer> next_log, uint64_t next,
      std::shared_ptr<wal::Writer>* old_log) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends a checkpoint; a failure stops the manifest. Returns `s`.
  absl::Status EndCheckpoint(absl::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The checkpointer thread: runs the checkpoints CommitThrough asks for.
  void CheckpointLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Touches only files of generations no operation uses any more: needs
  // no lock.
  // `in_steps`: with edits committing, so that no unlink holds their syncs
  // (io::FileSystem::RemoveFileInSteps); at open, plain unlinks are quicker.
  void DeleteGenerationsBefore(uint64_t generation, bool in_steps = true);
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool CheckpointDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After the log's commit of the edit with `sequence` failed with `s`:
  // drops it and every edit queued after it, and stops the manifest.
  void DropFrom(uint64_t sequence, const absl::Status& s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After the edit with `sequence` is durable: applies it and every edit
  // before it to the committed state, publishes it, and checkpoints if due
  // and nothing is pending.
  void CommitThrough(uint64_t sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // With nothing pending: edits go to next_log_ from here on; the old log
  // and the state it ends with are kept for SwitchLog.
  void SwitchLogsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ApplyOne(Op op);

  io::FileSystem* const fs_;
  const std::string dir_;
  const ManifestOptions options_;
  RecoveryReport recovery_;  // Written by Open only.

  mutable Mutex mu_;
  CondVar idle_cv_;  // Signaled when pending_ empties or a checkpoint ends.
  // The log edits go to. Shared: an Apply waiting on it holds it across a
  // checkpoint's switch to the next one.
  std::shared_ptr<wal::Writer> log_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;     // log_'s.
  State committed_ ABSL_GUARDED_BY(mu_);             // Durable edits, applied.
  State accepted_ ABSL_GUARDED_BY(mu_);              // committed_ + pending_.
  std::deque<Edit> pending_ ABSL_GUARDED_BY(mu_);    // Logged, not yet synced.
  bool checkpointing_ ABSL_GUARDED_BY(mu_) = false;  // One at a time.
  // A checkpoint is switching logs: new edits wait for pending_ to drain.
  bool switching_ ABSL_GUARDED_BY(mu_) = false;
  // A checkpoint's next log, until the switch to it (SwitchLog), and what
  // the switch leaves for it: the old log and the state it ends with.
  std::unique_ptr<wal::Writer> next_log_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<wal::Writer> switched_from_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const State> switched_state_ ABSL_GUARDED_BY(mu_);
  CondVar checkpoint_cv_;  // Wakes the checkpointer thread.
  bool checkpoint_wanted_ ABSL_GUARDED_BY(mu_) = false;  // By the thread.
  // Without background_checkpoints: the Apply that made a checkpoint due
  // runs it once it has committed.
  bool checkpoint_inline_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Started by the first checkpoint due (not at open: a thread costs an
  // open more than the rest of it at small sizes); joined by the
  // destructor.
  std::thread checkpointer_ ABSL_GUARDED_BY(mu_);
  // With defer_deletions: generations before this one await
  // DeleteObsoleteFiles (0: none).
  uint64_t obsolete_before_ ABSL_GUARDED_BY(mu_) = 0;
  // No file of an older generation is left (as far as this process knows).
  uint64_t oldest_generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);

  mutable Mutex current_mu_;
  std::shared_ptr<const State> current_ ABSL_GUARDED_BY(current_mu_);
};

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_MANIFEST_H_
