#include "manifest/manifest.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "manifest/codec.h"
#include "manifest/snapshot.h"
#include "wal/format.h"
#include "wal/reader.h"

namespace strata::manifest {
namespace {

// The manifest log: every edit synced before it is acknowledged; one
// segment per generation (generations, not size, end a segment).
wal::WriterOptions LogOptions() {
  wal::WriterOptions options;
  options.sync = wal::SyncPolicy::Always();
  options.max_segment_size = UINT64_MAX;
  return options;
}

// The files of a manifest directory, by kind.
struct Listing {
  std::set<uint64_t> snapshots;
  std::set<uint64_t> logs;
  std::vector<std::string> temporaries;
};

absl::StatusOr<Listing> List(io::FileSystem* fs, const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = fs->ListDir(dir);
  if (!names.ok()) return names.status();
  Listing listing;
  for (const std::string& name : *names) {
    if (std::optional<uint64_t> g = ParseSnapshotFileName(name)) {
      listing.snapshots.insert(*g);
    } else if (std::optional<uint64_t> g = wal::ParseSegmentFileName(name)) {
      listing.logs.insert(*g);
    } else if (absl::EndsWith(name, ".tmp")) {
      listing.temporaries.push_back(name);
    }
  }
  return listing;
}

}  // namespace

Manifest::Manifest(io::FileSystem* fs, std::string dir, ManifestOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

Manifest::~Manifest() {
  MutexLock lock(&mu_);
  if (log_ != nullptr) (void)log_->Close();
}

absl::StatusOr<std::unique_ptr<Manifest>> Manifest::Open(
    io::FileSystem* fs, std::string dir, ManifestOptions options) {
  std::unique_ptr<Manifest> m(new Manifest(fs, std::move(dir), options));
  if (absl::Status s = fs->CreateDir(m->dir_); !s.ok()) return s;
  if (absl::Status s = fs->SyncDir(io::DirName(m->dir_)); !s.ok()) return s;
  if (absl::Status s = m->Recover(); !s.ok()) return s;
  return m;
}

absl::Status Manifest::StartFresh() {
  absl::StatusOr<uint64_t> size = WriteSnapshot(fs_, dir_, 1, State());
  if (!size.ok()) return size.status();
  absl::StatusOr<std::unique_ptr<wal::Writer>> log =
      wal::Writer::Create(fs_, dir_, 1, LogOptions());
  if (!log.ok()) return log.status();
  recovery_.created = true;
  recovery_.generation = 1;
  MutexLock lock(&mu_);
  log_ = *std::move(log);
  generation_ = 1;
  stats_.generation = 1;
  stats_.snapshot_bytes = *size;
  Publish();
  return absl::OkStatus();
}

absl::Status Manifest::Recover() {
  absl::StatusOr<Listing> listing = List(fs_, dir_);
  if (!listing.ok()) return listing.status();
  if (listing->snapshots.empty()) {
    if (!listing->logs.empty()) {
      return absl::DataLossError(
          absl::StrFormat("manifest: %s: log %s exists but no snapshot does",
                          dir_, wal::SegmentFileName(*listing->logs.begin())));
    }
    return StartFresh();
  }
  const uint64_t g = *listing->snapshots.rbegin();
  if (!listing->logs.empty() && *listing->logs.rbegin() > g) {
    return absl::DataLossError(absl::StrFormat(
        "manifest: %s: log %s is newer than the newest snapshot %s", dir_,
        wal::SegmentFileName(*listing->logs.rbegin()), SnapshotFileName(g)));
  }
  State state;
  std::vector<uint64_t> logs;
  uint64_t rewrite_snapshot_at = 0;
  absl::StatusOr<State> newest = ReadSnapshot(fs_, dir_, g);
  if (newest.ok()) {
    state = *std::move(newest);
    if (listing->logs.count(g) > 0) logs.push_back(g);
  } else {
    if (!absl::IsDataLoss(newest.status())) return newest.status();
    const std::string error(newest.status().message());
    if (g == 1 || listing->snapshots.count(g - 1) == 0 ||
        listing->logs.count(g - 1) == 0) {
      return absl::DataLossError(
          absl::StrCat(error, "; no previous generation to recover from"));
    }
    absl::StatusOr<State> previous = ReadSnapshot(fs_, dir_, g - 1);
    if (!previous.ok()) {
      return absl::DataLossError(absl::StrCat(
          error,
          "; and the previous generation's: ", previous.status().message()));
    }
    state = *std::move(previous);
    logs.push_back(g - 1);
    if (listing->logs.count(g) > 0) logs.push_back(g);
    recovery_.used_previous_generation = true;
    recovery_.snapshot_error = error;
    rewrite_snapshot_at = g;
  }
  recovery_.generation = g;
  recovery_.snapshot_sequence = state.last_sequence;
  uint64_t tail_segment = 0, tail_end = 0;
  if (absl::Status s = Replay(logs, &state, rewrite_snapshot_at); !s.ok()) {
    return s;
  }
  if (!logs.empty()) {
    // Replay leaves the newest log's valid end in recovery_.
    tail_segment = logs.back();
    tail_end = replay_tail_end_;
  }

  MutexLock lock(&mu_);
  committed_ = state;
  accepted_ = std::move(state);
  generation_ = g;
  stats_.generation = g;
  if (recovery_.lost_data) {
    // Leave every file as found and continue in a new generation.
    checkpointing_ = true;
    return CheckpointLocked();
  }
  absl::StatusOr<std::unique_ptr<wal::Writer>> log =
      tail_segment == g
          ? wal::Writer::Reopen(fs_, dir_, g, tail_end, LogOptions())
          : wal::Writer::Create(fs_, dir_, g, LogOptions());
  if (!log.ok()) return log.status();
  log_ = *std::move(log);
  stats_.log_bytes = tail_segment == g ? tail_end : 0;
  absl::StatusOr<uint64_t> snapshot_size =
      fs_->GetFileSize(io::JoinPath(dir_, SnapshotFileName(g)));
  stats_.snapshot_bytes = snapshot_size.value_or(0);
  for (const std::string& temp : listing->temporaries) {
    (void)fs_->RemoveFile(io::JoinPath(dir_, temp));
  }
  DeleteGenerationsBefore(g - 1);
  Publish();
  return absl::OkStatus();
}

absl::Status Manifest::Replay(std::vector<uint64_t> logs, State* state,
                              uint64_t rewrite_snapshot_at) {
  absl::StatusOr<std::unique_ptr<wal::Reader>> reader =
      wal::Reader::Open(fs_, dir_, logs, {.strict_tail = true});
  if (!reader.ok()) return reader.status();
  bool rewritten = rewrite_snapshot_at == 0;
  absl::string_view record;
  wal::RecordPosition pos;
  absl::Status damage;
  while ((*reader)->Next(&record, &pos)) {
    if (!rewritten && pos.segment == rewrite_snapshot_at) {
      // The damaged snapshot held exactly the state at the end of the
      // previous generation's log: write it again.
      absl::StatusOr<uint64_t> size =
          WriteSnapshot(fs_, dir_, rewrite_snapshot_at, *state);
      if (!size.ok()) return size.status();
      rewritten = true;
    }
    const std::string what =
        absl::StrFormat("manifest: %s record at offset %d",
                        (*reader)->SegmentPath(pos.segment), pos.offset);
    Edit edit;
    absl::Status s = DecodeEdit(record, what, 0, &edit);
    if (s.ok() && edit.sequence != state->last_sequence + 1) {
      s = absl::DataLossError(absl::StrFormat(
          "%s: edit sequence %d where %d was expected: an edit is missing or "
          "repeated",
          what, edit.sequence, state->last_sequence + 1));
    }
    if (s.ok()) {
      if (absl::Status v = Validate(*state, edit); !v.ok()) {
        s = absl::DataLossError(
            absl::StrFormat("%s: edit %d does not apply to the state: %s", what,
                            edit.sequence, v.message()));
      }
    }
    if (!s.ok()) {
      damage = std::move(s);
      break;
    }
    manifest::Apply(edit, state);
    ++recovery_.edits_replayed;
  }
  if (damage.ok()) damage = (*reader)->status();
  if (!damage.ok()) {
    if (!options_.best_effort || !absl::IsDataLoss(damage)) return damage;
    recovery_.lost_data = true;
    recovery_.loss = std::string(damage.message());
    return absl::OkStatus();
  }
  if (!rewritten) {
    absl::StatusOr<uint64_t> size =
        WriteSnapshot(fs_, dir_, rewrite_snapshot_at, *state);
    if (!size.ok()) return size.status();
  }
  const wal::Tail& tail = (*reader)->tail();
  replay_tail_end_ = tail.valid_end;
  if (tail.torn()) {
    recovery_.repaired_torn_tail = true;
    recovery_.torn_tail = absl::StrFormat(
        "%s: %d bytes after offset %d cut off: %s",
        (*reader)->SegmentPath(tail.segment), tail.file_size - tail.valid_end,
        tail.valid_end, tail.reason);
  }
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
  wal::Writer* log = nullptr;
  uint64_t sequence = 0;
  {
    MutexLock lock(&mu_);
    while (checkpointing_) idle_cv_.Wait(&mu_);
    if (!failure_.ok()) return failure_;
    if (absl::Status s = Validate(accepted_, edit); !s.ok()) return s;
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
    log = log_.get();
  }
  const absl::Status s = log->Wait(*std::move(ticket));

  MutexLock lock(&mu_);
  if (!s.ok()) {
    // The log failed: this edit, and every one queued after it, is not
    // known to be durable. None is applied; the manifest stops.
    if (failure_.ok()) failure_ = s;
    pending_.clear();
    accepted_ = committed_;
    idle_cv_.SignalAll();
    return s;
  }
  // Everything up to `sequence` is durable (groups commit in order).
  bool applied = false;
  while (!pending_.empty() && pending_.front().sequence <= sequence) {
    manifest::Apply(pending_.front(), &committed_);
    pending_.pop_front();
    ++stats_.edits;
    applied = true;
  }
  if (applied) {
    stats_.log_bytes = log_->stats().bytes;
    Publish();
  }
  if (pending_.empty()) {
    idle_cv_.SignalAll();
    if (!checkpointing_ && CheckpointDue()) {
      checkpointing_ = true;
      // A failed checkpoint stops the manifest; this edit is durable.
      (void)CheckpointLocked();
    }
  }
  return sequence;
}

bool Manifest::CheckpointDue() const {
  const double by_ratio =
      options_.checkpoint_snapshot_ratio * stats_.snapshot_bytes;
  return stats_.log_bytes > options_.checkpoint_log_bytes &&
         stats_.log_bytes > by_ratio;
}

absl::Status Manifest::Checkpoint() {
  MutexLock lock(&mu_);
  while (checkpointing_) idle_cv_.Wait(&mu_);
  if (!failure_.ok()) return failure_;
  checkpointing_ = true;
  while (!pending_.empty()) idle_cv_.Wait(&mu_);
  return CheckpointLocked();
}

absl::Status Manifest::CheckpointLocked() {
  const uint64_t next = generation_ + 1;
  absl::Status s;
  absl::StatusOr<uint64_t> size = WriteSnapshot(fs_, dir_, next, committed_);
  absl::StatusOr<std::unique_ptr<wal::Writer>> log;
  if (!size.ok()) {
    s = size.status();
  } else {
    log = wal::Writer::Create(fs_, dir_, next, LogOptions());
    if (!log.ok()) s = log.status();
  }
  if (s.ok()) {
    // Every edit of the old log is synced: nothing is pending.
    if (log_ != nullptr) (void)log_->Close();
    log_ = *std::move(log);
    generation_ = next;
    stats_.generation = next;
    stats_.log_bytes = log_->stats().bytes;
    stats_.snapshot_bytes = *size;
    ++stats_.checkpoints;
    if (!recovery_.lost_data) DeleteGenerationsBefore(next - 1);
  } else if (failure_.ok()) {
    failure_ = s;
  }
  checkpointing_ = false;
  idle_cv_.SignalAll();
  if (log_ != nullptr) Publish();
  return s;
}

void Manifest::DeleteGenerationsBefore(uint64_t generation) {
  absl::StatusOr<Listing> listing = List(fs_, dir_);
  if (!listing.ok()) return;  // Retried at the next checkpoint or open.
  bool removed = false;
  for (uint64_t g : listing->snapshots) {
    if (g >= generation) break;
    removed |= fs_->RemoveFile(io::JoinPath(dir_, SnapshotFileName(g))).ok();
  }
  for (uint64_t g : listing->logs) {
    if (g >= generation) break;
    removed |=
        fs_->RemoveFile(io::JoinPath(dir_, wal::SegmentFileName(g))).ok();
  }
  if (removed) (void)fs_->SyncDir(dir_);
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

absl::StatusOr<uint64_t> Manifest::NewTableNumber() {
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
