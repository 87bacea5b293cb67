#include "manifest/manifest.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/status_macros.h"
#include "manifest/codec.h"
#include "manifest/snapshot.h"
#include "wal/format.h"

namespace strata::manifest {
namespace {

// Superseded snapshots and logs are given back 1 MiB at a time: with online
// discard, each step holds the edits' log syncs for about 0.3 ms instead of
// 15 ms for a whole 68 MB snapshot (io::FileSystem::RemoveFileInSteps).
constexpr uint64_t kRemoveStep = uint64_t{1} << 20;
// How long a checkpoint's switch of logs waits for a moment with no edit in
// flight before it holds new edits (Manifest::SwitchLog): a few group
// commits.
constexpr std::chrono::microseconds kSwitchGrace{2000};

// The manifest log: every edit synced before it is acknowledged; one
// segment per generation (generations, not size, end a segment).
wal::WriterOptions LogOptions() {
  wal::WriterOptions options;
  options.sync = wal::SyncPolicy::Always();
  options.max_segment_size = UINT64_MAX;
  return options;
}

}  // namespace

Manifest::Manifest(io::FileSystem* fs, std::string dir, ManifestOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

Manifest::~Manifest() {
  std::thread checkpointer;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    checkpoint_cv_.SignalAll();
    checkpointer = std::move(checkpointer_);
  }
  // A checkpoint under way is finished first (or fails); a crash instead
  // would leave it to the next open (docs/manifest_format.md).
  if (checkpointer.joinable()) checkpointer.join();
  MutexLock lock(&mu_);
  if (log_ != nullptr) log_->Close().IgnoreError();
}

absl::StatusOr<std::unique_ptr<Manifest>> Manifest::Open(
    io::FileSystem* fs, std::string dir, ManifestOptions options) {
  std::unique_ptr<Manifest> m(new Manifest(fs, std::move(dir), options));
  if (options.read_only) {
    STRATA_RETURN_IF_ERROR(m->LoadReadOnly());
    return m;
  }
  STRATA_RETURN_IF_ERROR(fs->CreateDir(m->dir_));
  STRATA_RETURN_IF_ERROR(m->Recover());
  // The checkpointer thread starts with the first checkpoint due: an open
  // does not wait for a thread it may never need.
  return m;
}

absl::Status Manifest::LoadReadOnly() {
  STRATA_ASSIGN_OR_RETURN(Loaded loaded, Load(fs_, dir_, options_.best_effort));
  if (loaded.empty) {
    return absl::NotFoundError(
        absl::StrCat("manifest: ", dir_, " holds no manifest"));
  }
  recovery_ = loaded.report;
  MutexLock lock(&mu_);
  committed_ = std::move(loaded.state);
  generation_ = loaded.generation;
  stats_.generation = generation_;
  stats_.log_bytes = loaded.newest_log_end.value_or(0);
  stats_.snapshot_bytes =
      fs_->GetFileSize(io::JoinPath(dir_, SnapshotFileName(generation_)))
          .value_or(0);
  failure_ = absl::FailedPreconditionError(
      absl::StrCat("manifest: ", dir_, " is open read-only"));
  Publish();
  return absl::OkStatus();
}

absl::Status Manifest::StartFresh() {
  STRATA_ASSIGN_OR_RETURN(uint64_t size, WriteSnapshot(fs_, dir_, 1, State()));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<wal::Writer> log,
                          wal::Writer::Create(fs_, dir_, 1, LogOptions()));
  recovery_.created = true;
  recovery_.generation = 1;
  MutexLock lock(&mu_);
  log_ = std::move(log);
  stats_.log_bytes = log_->stats().segment_bytes;
  generation_ = 1;
  oldest_generation_ = 1;
  stats_.generation = 1;
  stats_.snapshot_bytes = size;
  Publish();
  return absl::OkStatus();
}

absl::Status Manifest::Recover() {
  STRATA_ASSIGN_OR_RETURN(Loaded loaded, Load(fs_, dir_, options_.best_effort));
  if (loaded.empty) {
    // The directory's entry is durable before the first file in it. A
    // directory that holds a manifest had its entry synced so by the open
    // that wrote it (or by the repair or checkpoint that did), so a reopen
    // saves that sync.
    STRATA_RETURN_IF_ERROR(fs_->SyncDir(io::DirName(dir_)));
    return StartFresh();
  }
  recovery_ = loaded.report;
  const uint64_t g = loaded.generation;
  if (loaded.rebuilt_snapshot.has_value()) {
    // The damaged snapshot is written again from what it should hold.
    STRATA_RETURN_IF_ERROR(
        WriteSnapshot(fs_, dir_, g, *loaded.rebuilt_snapshot).status());
  }
  if (recovery_.lost_data) {
    // Leave every file as found and continue in a new generation.
    {
      MutexLock lock(&mu_);
      committed_ = loaded.state;
      accepted_ = std::move(loaded.state);
      generation_ = g;
      stats_.generation = g;
      checkpointing_ = true;
      Publish();
    }
    return RunCheckpoint();
  }
  MutexLock lock(&mu_);
  committed_ = loaded.state;
  accepted_ = std::move(loaded.state);
  generation_ = g;
  stats_.generation = g;
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<wal::Writer> log,
      loaded.newest_log_end.has_value()
          ? wal::Writer::Reopen(fs_, dir_, g, *loaded.newest_log_end,
                                LogOptions())
          : wal::Writer::Create(fs_, dir_, g, LogOptions()));
  log_ = std::move(log);
  // The whole log, edits of earlier processes included, so that the
  // checkpoint threshold holds across any number of restarts.
  stats_.log_bytes = log_->stats().segment_bytes;
  stats_.snapshot_bytes =
      fs_->GetFileSize(io::JoinPath(dir_, SnapshotFileName(g))).value_or(0);
  for (const std::string& temp : loaded.listing.temporaries) {
    fs_->RemoveFile(io::JoinPath(dir_, temp)).IgnoreError();
  }
  if (loaded.abandoned_log.has_value()) {
    fs_->RemoveFile(
           io::JoinPath(dir_, wal::SegmentFileName(*loaded.abandoned_log)))
        .IgnoreError();
  }
  DeleteGenerationsBefore(g - 1, /*in_steps=*/false);
  oldest_generation_ = g > 1 ? g - 1 : g;
  Publish();
  return absl::OkStatus();
}

void Manifest::Publish() {
  auto state = std::make_shared<const State>(committed_);
  MutexLock lock(&current_mu_);
  current_ = std::move(state);
}

std::shared_ptr<const State> Manifest::current() const {
  MutexLock lock(&current_mu_);
  return current_;
}

absl::StatusOr<uint64_t> Manifest::Apply(Edit edit) {
  std::string record;
  absl::string_view view;
  std::optional<wal::Writer::Ticket> ticket;
  // Held until the wait ends: a checkpoint may switch log_ meanwhile.
  std::shared_ptr<wal::Writer> log;
  uint64_t sequence = 0;
  {
    MutexLock lock(&mu_);
    // A checkpoint switching logs holds new edits for as long as the edits
    // in flight take to commit (one group commit, at most).
    while (switching_) idle_cv_.Wait(&mu_);
    if (!failure_.ok()) return failure_;
    STRATA_RETURN_IF_ERROR(Validate(accepted_, edit));
    edit.sequence = accepted_.last_sequence + 1;
    EncodeEdit(edit, &record);
    if (record.size() > LogOptions().max_record_size) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "manifest: edit of %d bytes is larger than a log record may be",
          record.size()));
    }
    sequence = edit.sequence;
    manifest::Apply(edit, &accepted_);
    pending_.push_back(std::move(edit));
    view = record;
    // Enqueued under mu_: log order is sequence order.
    ticket.emplace(log_->Enqueue(absl::MakeConstSpan(&view, 1)));
    log = log_;
  }
  const absl::Status s = log->Wait(*std::move(ticket));
  bool checkpoint_here = false;
  {
    MutexLock lock(&mu_);
    if (!s.ok()) {
      DropFrom(sequence, s);
      return s;
    }
    CommitThrough(sequence);
    checkpoint_here = std::exchange(checkpoint_inline_, false);
  }
  // This edit is durable; a failed checkpoint stops the manifest and is
  // seen by every later call.
  if (checkpoint_here) RunCheckpoint().IgnoreError();
  return sequence;
}

void Manifest::DropFrom(uint64_t sequence, const absl::Status& s) {
  // The log failed: this edit, and every one queued after it, is not known
  // to be durable. None is applied; the manifest stops. Groups commit in
  // order and the log's failure is sticky, so every edit before this one
  // that is still pending was in an earlier group that is durable: its
  // caller, told so, applies it. Those stay.
  if (failure_.ok()) failure_ = s;
  while (!pending_.empty() && pending_.back().sequence >= sequence) {
    pending_.pop_back();
  }
  accepted_ = committed_;
  for (const Edit& e : pending_) manifest::Apply(e, &accepted_);
  if (pending_.empty()) idle_cv_.SignalAll();
}

void Manifest::CommitThrough(uint64_t sequence) {
  // Everything up to `sequence` is durable (groups commit in order).
  bool applied = false;
  while (!pending_.empty() && pending_.front().sequence <= sequence) {
    manifest::Apply(pending_.front(), &committed_);
    if (options_.on_commit) options_.on_commit(pending_.front());
    pending_.pop_front();
    ++stats_.edits;
    applied = true;
  }
  if (applied) {
    stats_.log_bytes = log_->stats().segment_bytes;
    Publish();
  }
  // A checkpoint waiting to switch logs does it now, if nothing is left
  // in flight: no edit has to wait for it.
  if (pending_.empty() && next_log_ != nullptr && failure_.ok()) {
    SwitchLogsLocked();
  }
  if (pending_.empty()) idle_cv_.SignalAll();
  if (!checkpointing_ && failure_.ok() && CheckpointDue()) {
    // Not this edit's cost: the checkpointer thread writes it while edits
    // go on (or, without one, this caller once it has its result).
    checkpointing_ = true;
    if (options_.background_checkpoints) {
      checkpoint_wanted_ = true;
      checkpoint_cv_.Signal();
      if (!checkpointer_.joinable()) {
        checkpointer_ = std::thread([this] { CheckpointLoop(); });
      }
    } else {
      checkpoint_inline_ = true;
    }
  }
}

bool Manifest::CheckpointDue() const {
  const double by_ratio =
      options_.checkpoint_snapshot_ratio * stats_.snapshot_bytes;
  return stats_.log_bytes > options_.checkpoint_log_bytes &&
         stats_.log_bytes > by_ratio;
}

absl::Status Manifest::Checkpoint() {
  {
    MutexLock lock(&mu_);
    while (checkpointing_) idle_cv_.Wait(&mu_);
    if (!failure_.ok()) return failure_;
    checkpointing_ = true;
  }
  return RunCheckpoint();
}

void Manifest::WaitForCheckpoints() {
  MutexLock lock(&mu_);
  while (checkpointing_ || checkpoint_wanted_) idle_cv_.Wait(&mu_);
}

void Manifest::CheckpointLoop() {
  while (true) {
    {
      MutexLock lock(&mu_);
      while (!checkpoint_wanted_ && !stopping_) checkpoint_cv_.Wait(&mu_);
      if (!checkpoint_wanted_) return;
      checkpoint_wanted_ = false;
    }
    // A failed checkpoint stops the manifest: failure_ says why.
    RunCheckpoint().IgnoreError();
  }
}

absl::Status Manifest::EndCheckpoint(absl::Status s) {
  if (!s.ok() && failure_.ok()) failure_ = s;
  checkpointing_ = false;
  idle_cv_.SignalAll();
  return s;
}

void Manifest::SwitchLogsLocked() {
  // Closed by the checkpoint without the lock (or by the last Apply caller
  // still returning from a wait on it).
  switched_from_ = std::move(log_);
  log_ = std::move(next_log_);
  generation_ = next_generation_;
  stats_.generation = generation_;
  stats_.log_bytes = log_->stats().segment_bytes;
  // Every commit publishes committed_: with nothing pending, the published
  // state is the one to snapshot, and the old log holds exactly its edits.
  switched_state_ = current();
}

absl::StatusOr<std::shared_ptr<const State>> Manifest::SwitchLog(
    std::unique_ptr<wal::Writer> next_log, uint64_t next,
    std::shared_ptr<wal::Writer>* old_log) {
  MutexLock lock(&mu_);
  next_log_ = std::move(next_log);
  next_generation_ = next;
  if (pending_.empty() && failure_.ok()) SwitchLogsLocked();
  // Edits keep going to the old log while the commit that leaves nothing
  // in flight is awaited (CommitThrough switches then). Under a steady
  // stream of edits that moment may not come: after kSwitchGrace new edits
  // wait, and the edits in flight commit into the old log.
  const auto deadline = std::chrono::steady_clock::now() + kSwitchGrace;
  while (next_log_ != nullptr && failure_.ok()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    idle_cv_.WaitFor(&mu_, deadline - now);
  }
  if (next_log_ != nullptr && failure_.ok()) {
    switching_ = true;
    while (next_log_ != nullptr && failure_.ok()) idle_cv_.Wait(&mu_);
    switching_ = false;
    idle_cv_.SignalAll();
  }
  if (!failure_.ok()) {
    // A log failed. If it was the old one, the new one holds no edit and
    // the next open deletes it; if the new one, the next open replays both
    // logs after the old snapshot. No snapshot is written either way.
    next_log_.reset();
    switched_from_.reset();
    switched_state_.reset();
    return EndCheckpoint(failure_);
  }
  *old_log = std::move(switched_from_);
  return std::move(switched_state_);
}

absl::Status Manifest::RunCheckpoint() {
  uint64_t next;
  {
    MutexLock lock(&mu_);
    if (!failure_.ok()) return EndCheckpoint(failure_);
    next = generation_ + 1;
  }
  // 1. The next log, its header and directory entry durable before any
  // edit is acknowledged from it.
  absl::StatusOr<std::unique_ptr<wal::Writer>> log =
      wal::Writer::Create(fs_, dir_, next, LogOptions());
  if (!log.ok()) {
    MutexLock lock(&mu_);
    return EndCheckpoint(log.status());
  }
  // 2. Edits switch to it; the state as of the switch is the snapshot's.
  std::shared_ptr<wal::Writer> old_log;
  absl::StatusOr<std::shared_ptr<const State>> state =
      SwitchLog(*std::move(log), next, &old_log);
  if (!state.ok()) return state.status();
  // Every edit in it is synced: nothing to report from closing it.
  if (old_log != nullptr) old_log->Close().IgnoreError();
  old_log.reset();
  // 3. The snapshot, written and installed while edits commit into the new
  // log: until it is installed, open replays the old generation's snapshot
  // and both logs.
  absl::StatusOr<uint64_t> size = WriteSnapshotFile(fs_, dir_, next, **state);
  absl::Status s = size.status();
  if (s.ok()) s = InstallSnapshotFile(fs_, dir_, next);
  if (s.ok()) s = fs_->SyncDir(dir_);
  bool delete_now = false;
  {
    MutexLock lock(&mu_);
    if (!s.ok()) return EndCheckpoint(s);
    stats_.snapshot_bytes = *size;
    ++stats_.checkpoints;
    // 4. Generation next - 1 stays whole as the fallback; older ones go.
    if (options_.defer_deletions) {
      if (next - 1 > oldest_generation_) obsolete_before_ = next - 1;
    } else {
      delete_now = !recovery_.lost_data;
    }
  }
  // Without the lock: unlinking a large snapshot takes milliseconds, and
  // edits go on meanwhile. The checkpoint is not over until it is done, so
  // the next one cannot overlap it.
  if (delete_now) DeleteGenerationsBefore(next - 1);
  MutexLock lock(&mu_);
  if (delete_now) oldest_generation_ = std::max(oldest_generation_, next - 1);
  return EndCheckpoint(absl::OkStatus());
}

bool Manifest::has_obsolete_files() const {
  MutexLock lock(&mu_);
  return obsolete_before_ != 0;
}

void Manifest::DeleteObsoleteFiles() {
  uint64_t before;
  {
    MutexLock lock(&mu_);
    before = std::exchange(obsolete_before_, 0);
    if (before == 0 || !failure_.ok() || recovery_.lost_data) return;
  }
  DeleteGenerationsBefore(before);
  MutexLock lock(&mu_);
  oldest_generation_ = std::max(oldest_generation_, before);
}

void Manifest::DeleteGenerationsBefore(uint64_t generation, bool in_steps) {
  // Failures and crashes here leave files that the next checkpoint or open
  // deletes again; so neither is reported, and the directory is not synced.
  absl::StatusOr<Listing> listing = ListManifestDir(fs_, dir_);
  if (!listing.ok()) return;
  const uint64_t step = in_steps ? kRemoveStep : 0;  // 0: one unlink.
  for (uint64_t g : listing->snapshots) {
    if (g >= generation) break;
    fs_->RemoveFileInSteps(io::JoinPath(dir_, SnapshotFileName(g)), step)
        .IgnoreError();
  }
  for (uint64_t g : listing->logs) {
    if (g >= generation) break;
    fs_->RemoveFileInSteps(io::JoinPath(dir_, wal::SegmentFileName(g)), step)
        .IgnoreError();
  }
}

absl::Status Manifest::health() const {
  MutexLock lock(&mu_);
  return failure_;
}

bool Manifest::deletions_allowed() const {
  MutexLock lock(&mu_);
  return failure_.ok() && !recovery_.lost_data;
}

bool Manifest::dirty() const {
  MutexLock lock(&mu_);
  return committed_.last_sequence > 0 &&
         stats_.log_bytes > wal::SegmentHeader::kSize;
}

Manifest::Stats Manifest::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

absl::Status Manifest::ApplyOne(Op op) {
  Edit edit;
  edit.ops.push_back(std::move(op));
  return Apply(std::move(edit)).status();
}

absl::Status Manifest::SetVersion(uint64_t v) {
  return ApplyOne(manifest::SetVersion{v});
}
absl::Status Manifest::SetActiveWal(uint64_t w) {
  return ApplyOne(manifest::SetActiveWal{w});
}
absl::Status Manifest::AddFrozenWal(uint64_t w) {
  return ApplyOne(manifest::AddFrozenWal{w});
}
absl::Status Manifest::RemoveFrozenWal(uint64_t w) {
  return ApplyOne(manifest::RemoveFrozenWal{w});
}
absl::Status Manifest::AddTable(TableMeta t) {
  return ApplyOne(manifest::AddTable{std::move(t)});
}
absl::Status Manifest::RemoveTable(uint64_t n) {
  return ApplyOne(manifest::RemoveTable{n});
}
absl::Status Manifest::UpdateLsn(uint64_t l) {
  return ApplyOne(manifest::UpdateLsn{l});
}
absl::Status Manifest::AllocateTableId(uint64_t n) {
  return ApplyOne(manifest::AllocateTableId{n});
}
absl::Status Manifest::ApplyCompaction(std::vector<TableMeta> added,
                                       std::vector<uint64_t> removed) {
  return ApplyOne(Compaction{std::move(added), std::move(removed)});
}

absl::StatusOr<uint64_t> Manifest::AllocateOneTableId() {
  while (true) {
    uint64_t number;
    {
      MutexLock lock(&mu_);
      number = accepted_.next_table_number;
    }
    absl::Status s = AllocateTableId(number);
    if (s.ok()) return number;
    // Another caller took `number` first: try the next one.
    if (!absl::IsInvalidArgument(s)) return s;
  }
}

}  // namespace strata::manifest
