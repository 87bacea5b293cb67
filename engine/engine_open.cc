// Engine: opening (the checks of the directory, the manifest, the data-WAL
// replay and the orphan deletions, in that order) and closing. The rest of
// the class is in engine.cc: writes, reads, versions, flushes and
// compactions.

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/db_dir.h"
#include "engine/engine_impl.h"
#include "engine/recovery.h"
#include "io/status_macros.h"
#include "wal/format.h"

namespace strata::engine {
namespace {

// The largest number among the names in `dir` that end in one of
// `suffixes` (0 if none, or if `dir` cannot be listed).
uint64_t HighestNumberIn(io::FileSystem* fs, const std::string& dir,
                         std::initializer_list<absl::string_view> suffixes) {
  uint64_t highest = 0;
  absl::StatusOr<std::vector<std::string>> names = fs->ListDir(dir);
  if (!names.ok()) return 0;
  for (const std::string& name : *names) {
    for (absl::string_view suffix : suffixes) {
      if (std::optional<uint64_t> n = io::ParseNumberedFileName(name, suffix)) {
        highest = std::max(highest, *n);
      }
    }
  }
  return highest;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EngineImpl>> EngineImpl::Open(
    io::FileSystem* fs, std::string dir, EngineOptions options) {
  if (!options.read_only) return OpenOnce(fs, std::move(dir), options);
  // A read-only open beside a live writer can meet a file the writer
  // removed during the load (a retired segment, a superseded snapshot):
  // DataLoss or NotFound that is only a race. It loads again while the
  // writer is seen to change the directory, a bounded number of times;
  // damage that stays put is reported at once.
  std::string before = DbDirFingerprint(fs, dir);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::unique_ptr<EngineImpl>> engine =
        OpenOnce(fs, dir, options);
    if (engine.ok() || attempt == kReadOnlyOpenAttempts ||
        !(absl::IsDataLoss(engine.status()) ||
          absl::IsNotFound(engine.status()))) {
      return engine;
    }
    std::string after = DbDirFingerprint(fs, dir);
    if (after == before) return engine;
    before = std::move(after);
  }
}

absl::StatusOr<std::unique_ptr<EngineImpl>> EngineImpl::OpenOnce(
    io::FileSystem* fs, std::string dir, const EngineOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<EngineImpl> engine(
      new EngineImpl(fs, std::move(dir), options));
  STRATA_RETURN_IF_ERROR(engine->Recover());
  if (engine->events_ != nullptr) {
    // Listeners first get the state recovered; edits from here on.
    engine->events_->Push([state = engine->manifest_->current()](
                              EventListener& l) { l.OnRecovered({state}); });
    engine->events_armed_.store(true, std::memory_order_release);
  }
  engine->report_.duration = std::chrono::steady_clock::now() - start;
  {
    MutexLock lock(&engine->mu_);
    engine->stats_.open_time = engine->report_.duration;
    // Without the thread, spares are made after the first step that
    // wants them: open itself leaves no file but the live ones.
    engine->spare_wanted_ = engine->options_.background_work;
  }
  if (engine->options_.read_only) {
    // Frozen memtables stay in memory: nothing is written.
  } else if (engine->options_.background_work) {
    engine->background_ =
        std::thread([e = engine.get()] { e->BackgroundLoop(); });
  } else {
    MutexLock work(&engine->work_mu_);
    // Frozen memtables found by recovery are flushed now; a failure is
    // recorded by Fail and leaves the engine read-only, as it would in the
    // background.
    engine->DoWork().IgnoreError();
  }
  engine->DeleteRetiredTablesInline();
  return engine;
}

EngineImpl::~EngineImpl() {
  // Errors of a close nobody asked for have no one to go to; Close()
  // returns them.
  Close().IgnoreError();
}

absl::Status EngineImpl::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closing_ = true;
    work_cv_.SignalAll();
    done_cv_.SignalAll();
  }
  if (background_.joinable()) background_.join();
  absl::Status s;
  {
    // Writers, flushes and compactions that began before closing_ was set
    // finish first: they hold write_mu_ or work_mu_ throughout. Every later
    // one sees closing_ under the lock it takes and does nothing, so once
    // Close returns nothing in the directory changes.
    MutexLock write(&write_mu_);
    MutexLock work(&work_mu_);
    if (numbers_ != nullptr) numbers_->DropSpares(DeletionsAllowed());
    if (wal_ != nullptr) s = wal_->Close();
  }
  if (manifest_ != nullptr) {
    // A checkpoint the manifest's thread is writing ends first, so that the
    // generations it supersedes are deleted below.
    manifest_->WaitForCheckpoints();
    // A clean close leaves a long manifest log checkpointed, so the next
    // open reads a snapshot instead of replaying thousands of edits.
    if (health().ok() && manifest_->health().ok() &&
        manifest_->stats().log_bytes > kCheckpointAtCloseBytes) {
      absl::Status c = manifest_->Checkpoint();
      if (s.ok()) s = c;
    }
    DeleteObsoleteManifestFiles();
  }
  std::shared_ptr<const Version> last;
  {
    MutexLock lock(&mu_);
    last = std::move(current_);
  }
  last.reset();  // Retires tables only this version still pinned.
  DeleteRetiredTables();
  {
    // A version an iterator (or a flush or compaction still returning)
    // holds retires its tables after this: the next open deletes them as
    // orphans. An unlink under way ends first.
    MutexLock deleting(&delete_mu_);
    MutexLock lock(&mu_);
    closed_ = true;
  }
  // Every event queued so far is delivered before Close returns.
  if (events_ != nullptr) events_->Stop();
  lock_.reset();  // Another engine may open the directory now.
  return s;
}

std::string EngineImpl::WalPath(uint64_t number) const {
  return io::JoinPath(wal_dir_, wal::SegmentFileName(number));
}

absl::Status EngineImpl::PrepareDirectory(bool is_database) {
  // The directory's own entry, and those of wal/ and sst/, are durable
  // before anything in them matters. A directory that already holds a
  // database had them synced by the open that created them, before its
  // manifest was written (or by the checkpoint or repair that wrote it):
  // a reopen syncs only what it creates.
  if (!is_database) {
    STRATA_RETURN_IF_ERROR(fs_->CreateDir(dir_));
    STRATA_RETURN_IF_ERROR(fs_->SyncDir(io::DirName(dir_)));
  }
  absl::StatusOr<std::unique_ptr<io::FileLock>> lock =
      fs_->LockFile(io::JoinPath(dir_, kLockFile));
  if (!lock.ok()) {
    return absl::Status(lock.status().code(),
                        absl::StrCat("engine: cannot lock ", dir_, ": ",
                                     lock.status().message()));
  }
  lock_ = *std::move(lock);
  bool created = !is_database;
  for (const std::string* sub : {&wal_dir_, &sst_dir_}) {
    if (is_database && fs_->FileExists(*sub).ok()) continue;
    STRATA_RETURN_IF_ERROR(fs_->CreateDir(*sub));
    created = true;
  }
  return created ? fs_->SyncDir(dir_) : absl::OkStatus();
}

absl::Status EngineImpl::OpenManifest() {
  manifest::ManifestOptions mopts = options_.manifest;
  mopts.best_effort = options_.best_effort;
  mopts.read_only = options_.read_only;
  mopts.on_commit = nullptr;
  if (events_ != nullptr) {
    mopts.on_commit = [this](const manifest::Edit& edit) {
      OnEditCommitted(edit);
    };
  }
  // The background thread deletes superseded manifest generations, so a
  // checkpoint inside a flush's edit holds no unlink.
  mopts.defer_deletions = options_.background_work;
  // Without a background thread the engine is deterministic, and so is
  // the manifest: a due checkpoint runs in the edit that made it due.
  mopts.background_checkpoints = options_.background_work;
  STRATA_ASSIGN_OR_RETURN(
      manifest_,
      manifest::Manifest::Open(fs_, io::JoinPath(dir_, kManifestDir), mopts));
  report_.manifest = manifest_->recovery();
  report_.created = report_.manifest.created;
  return absl::OkStatus();
}

absl::Status EngineImpl::Recover() {
  const OpenIntent intent{options_.create_if_missing, options_.error_if_exists,
                          options_.read_only};
  bool is_database = false;
  STRATA_RETURN_IF_ERROR(CheckDbDirForOpen(
      fs_, dir_, intent, &report_.foreign_files, &is_database));
  if (!options_.read_only) {
    STRATA_RETURN_IF_ERROR(PrepareDirectory(is_database));
  }
  STRATA_RETURN_IF_ERROR(OpenManifest());
  if (!options_.best_effort) {
    STRATA_RETURN_IF_ERROR(
        CheckNoUnnamedWal(fs_, wal_dir_, *manifest_->current()));
  }
  STRATA_ASSIGN_OR_RETURN(ReplayedWal replayed, OpenDataWal());
  // A new database's first edit changed the state.
  std::shared_ptr<const manifest::State> state = manifest_->current();
  const uint64_t lsn = std::max(state->last_lsn, replayed.lsn);
  // A best-effort open recovered a prefix of the manifest: edits after it
  // may have allocated table numbers that files on disk now hold. New
  // tables are numbered past every one there (WAL segments likewise, in
  // WalWriterOptions), so nothing a lost edit wrote is ever written over.
  const uint64_t past_tables =
      options_.best_effort
          ? HighestNumberIn(fs_, sst_dir_, {".sst", ".sst.tmp"}) + 1
          : 0;
  numbers_ = std::make_unique<TableNumbers>(
      fs_, manifest_.get(), sst_dir_, options_.table_number_batch, past_tables);
  {
    MutexLock write(&write_mu_);
    last_lsn_ = lsn;
    wal_number_ = state->active_wal;
    wal_bytes_ = replayed.active_bytes;
    retire_damaged_wal_ = !report_.wal_skipped.empty();
    active_ = replayed.active;
  }
  {
    MutexLock lock(&mu_);
    visible_lsn_ = lsn;
    latest_lsn_.store(lsn, std::memory_order_release);
    mem_ = replayed.active;
    for (FrozenMemTable& f : replayed.frozen) frozen_.push_back(std::move(f));
    current_ = versions_.Make(state);
  }
  report_.deletions_allowed = DeletionsAllowed();
  if (options_.read_only || !report_.deletions_allowed) {
    return absl::OkStatus();
  }
  return DeleteOrphansAtOpen(state);
}

absl::Status EngineImpl::DeleteOrphansAtOpen(
    std::shared_ptr<const manifest::State> state) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> wals,
                          DeleteWalOrphans(fs_, wal_dir_, *state));
  report_.orphans_deleted = std::move(wals);
  if (options_.background_work) {
    // sst/ may hold many thousands of names: the background thread scans
    // it, so open time does not grow with the table count.
    table_orphan_scan_ = std::move(state);
    return absl::OkStatus();
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> tables,
                          DeleteTableOrphans(fs_, sst_dir_, *state));
  report_.orphans_deleted.insert(report_.orphans_deleted.end(), tables.begin(),
                                 tables.end());
  return absl::OkStatus();
}

wal::WriterOptions EngineImpl::WalWriterOptions() const {
  wal::WriterOptions wopts;
  wopts.sync = options_.wal_sync;
  wopts.max_record_size = options_.max_batch_bytes;
  // Segments rotate only on freeze, which the manifest records.
  wopts.max_segment_size = UINT64_MAX;
  if (options_.best_effort) {
    wopts.min_next_segment = HighestNumberIn(fs_, wal_dir_, {".log"}) + 1;
  }
  return wopts;
}

absl::StatusOr<ReplayedWal> EngineImpl::OpenDataWal() {
  const manifest::State& state = *manifest_->current();
  if (state.active_wal == 0) {  // A new database: its first segment.
    ReplayedWal none;
    none.active = std::make_shared<MemTable>();
    if (options_.read_only) return none;
    // Past any segment an interrupted creation left: no record went into
    // it (none does before the manifest names the segment), and it is
    // deleted below as an orphan rather than written over.
    const uint64_t first = HighestNumberIn(fs_, wal_dir_, {".log"}) + 1;
    STRATA_ASSIGN_OR_RETURN(
        wal_, wal::Writer::Create(fs_, wal_dir_, first, WalWriterOptions()));
    STRATA_RETURN_IF_ERROR(manifest_->SetActiveWal(first));
    return none;
  }
  WalReplayOptions ropts;
  ropts.best_effort = options_.best_effort;
  ropts.strict_tail =
      options_.wal_recovery == WalRecovery::kAbsoluteConsistency;
  ropts.max_record_size = options_.max_batch_bytes;
  STRATA_ASSIGN_OR_RETURN(ReplayedWal replayed,
                          ReplayDataWal(fs_, wal_dir_, state, ropts));
  NoteReplay(replayed);
  if (options_.read_only) return replayed;  // The torn tail stays on disk.
  // Nothing replayed is served before it is durable: the process that wrote
  // these records may have died before syncing them. Reopen syncs the
  // active segment; frozen ones are synced here (their rotation synced
  // them, unless the process that froze them had itself replayed them
  // unsynced — as versions before this rule did).
  for (uint64_t frozen : state.frozen_wals) {
    STRATA_RETURN_IF_ERROR(SyncWalSegment(frozen));
  }
  STRATA_ASSIGN_OR_RETURN(
      wal_, wal::Writer::Reopen(fs_, wal_dir_, state.active_wal,
                                replayed.tail.valid_end, WalWriterOptions()));
  return replayed;
}

absl::Status EngineImpl::SyncWalSegment(uint64_t number) {
  const std::string path = WalPath(number);
  if (absl::IsNotFound(fs_->FileExists(path))) {
    return absl::OkStatus();  // A best-effort replay found it missing.
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file,
                          fs_->NewAppendableFile(path));
  STRATA_RETURN_IF_ERROR(file->DataSync());
  return file->Close();
}

void EngineImpl::NoteReplay(const ReplayedWal& replayed) {
  report_.wal_segments = replayed.segments;
  report_.wal_records = replayed.records;
  report_.wal_entries = replayed.entries;
  report_.wal_entries_flushed = replayed.entries_flushed;
  report_.wal_skipped = replayed.skipped;
  lost_data_ = !replayed.skipped.empty();
  const wal::Tail& tail = replayed.tail;
  if (!tail.torn()) return;
  report_.repaired_wal_tail = true;
  report_.wal_tail_segment = tail.segment;
  report_.wal_tail_offset = tail.valid_end;
  report_.wal_tail_bytes = tail.file_size - tail.valid_end;
  report_.wal_tail = absl::StrFormat(
      "%s: %d bytes cut at offset %d: %s", WalPath(tail.segment),
      tail.file_size - tail.valid_end, tail.valid_end, tail.reason);
}

}  // namespace strata::engine
