#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/compaction_job.h"
#include "engine/db_dir.h"
#include "engine/db_iterator.h"
#include "engine/engine_impl.h"
#include "engine/merging_iterator.h"
#include "engine/recovery.h"
#include "io/status_macros.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"
#include "wal/format.h"

namespace strata::engine {

EngineImpl::EngineImpl(io::FileSystem* fs, std::string dir,
                       EngineOptions options, bool follower)
    : fs_(fs),
      dir_(std::move(dir)),
      wal_dir_(io::JoinPath(dir_, kWalDir)),
      sst_dir_(io::JoinPath(dir_, kSstDir)),
      options_(std::move(options)),
      block_cache_(options_.block_cache_bytes != 0 && !options_.mmap_reads
                       ? std::make_unique<sstable::BlockCache>(
                             options_.block_cache_bytes)
                       : nullptr),
      tables_(fs, sst_dir_,
              TableCacheOptions{
                  options_.max_open_tables,
                  /*pin=*/follower,
                  {&read_counters_, options_.mmap_reads, block_cache_.get()}}),
      builder_(
          fs, sst_dir_, options_.table, options_.compaction,
          options_.now_micros ? options_.now_micros
                              : [] { return absl::ToUnixMicros(absl::Now()); }),
      versions_([this](const std::vector<uint64_t>& numbers) {
        DeleteTables(numbers);
      }) {
  if (!options_.listeners.empty()) {
    events_ =
        std::make_unique<EventQueue>(options_.listeners, kMaxQueuedEvents);
  }
}

namespace {

// What an edit the engine commits was for: the note its listeners get.
struct EditNote {
  std::optional<FlushInfo> flush;
  std::optional<CompactionInfo> compaction;
};

}  // namespace

void EngineImpl::OnEditCommitted(const manifest::Edit& edit) {
  if (!events_armed_.load(std::memory_order_acquire)) return;
  manifest::Edit copy;
  copy.sequence = edit.sequence;
  copy.ops = edit.ops;
  std::shared_ptr<const EditNote> note =
      std::static_pointer_cast<const EditNote>(edit.note);
  events_->Push([copy = std::move(copy), note](EventListener& l) {
    l.OnEditCommitted(copy);
    if (note == nullptr) return;
    if (note->flush.has_value()) {
      FlushInfo info = *note->flush;
      info.sequence = copy.sequence;
      l.OnFlushCompleted(info);
    }
    if (note->compaction.has_value()) {
      CompactionInfo info = *note->compaction;
      info.sequence = copy.sequence;
      l.OnCompactionCompleted(info);
    }
  });
}

// ---------------------------------------------------------------- Writes

absl::Status EngineImpl::Put(absl::string_view key, absl::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(batch);
}

absl::Status EngineImpl::Delete(absl::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(batch);
}

absl::Status EngineImpl::DeleteRange(absl::string_view start,
                                     absl::string_view end) {
  WriteBatch batch;
  batch.DeleteRange(start, end);
  return Write(batch);
}

absl::Status EngineImpl::CheckWritable() const {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("engine: ", dir_, " is open read-only"));
  }
  MutexLock lock(&mu_);
  if (closing_) return absl::FailedPreconditionError("engine: closed");
  return failure_;
}

absl::Status EngineImpl::Write(const WriteBatch& batch) {
  return Write(batch, nullptr);
}

absl::Status EngineImpl::Write(const WriteBatch& batch, uint64_t* lsn) {
  if (batch.empty()) {
    if (lsn != nullptr) *lsn = LatestLsn();
    return absl::OkStatus();
  }
  STRATA_RETURN_IF_ERROR(batch.Validate());
  std::string record;
  absl::string_view records[1];
  uint64_t last;
  std::optional<wal::Writer::Ticket> ticket;
  {
    MutexLock write(&write_mu_);
    STRATA_RETURN_IF_ERROR(CheckWritable());
    STRATA_RETURN_IF_ERROR(MakeRoomForWrite());
    const uint64_t first = last_lsn_ + 1;
    EncodeBatch(batch, first, &record);
    if (record.size() > options_.max_batch_bytes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "engine: a batch of %d bytes exceeds the limit of %d bytes",
          record.size(), options_.max_batch_bytes));
    }
    last_lsn_ += batch.count();
    last = last_lsn_;
    wal_bytes_ += record.size();
    records[0] = record;
    // Enqueued under write_mu_: the WAL's order is the LSNs' order. Added to
    // the memtable now, but invisible to readers until it is durable.
    ticket.emplace(wal_->Enqueue(records));
    uint64_t lsn = first;
    for (const WriteBatch::Op& op : batch.ops()) {
      active_->Add({op.key, lsn++, op.kind, op.value});
    }
  }
  if (absl::Status s = wal_->Wait(*std::move(ticket)); !s.ok()) {
    return Fail(std::move(s));
  }
  MarkVisible(last);
  if (lsn != nullptr) *lsn = last;
  return absl::OkStatus();
}

void EngineImpl::MarkVisible(uint64_t lsn) {
  MutexLock lock(&mu_);
  // Groups commit in LSN order, so every lower LSN is durable too.
  RaiseVisibleLsn(lsn);
  ++stats_.writes;
}

bool EngineImpl::AllVisible() const {
  MutexLock lock(&mu_);
  return visible_lsn_ >= last_lsn_;
}

void EngineImpl::RaiseVisibleLsn(uint64_t lsn) {
  visible_lsn_ = std::max(visible_lsn_, lsn);
  latest_lsn_.store(visible_lsn_, std::memory_order_release);
}

absl::Status EngineImpl::MakeRoomForWrite() {
  if (active_->ApproximateBytes() < options_.memtable_bytes) {
    return absl::OkStatus();
  }
  if (options_.background_work) {
    MutexLock lock(&mu_);
    const size_t waiting = frozen_.size();
    const bool stalled =
        waiting >= options_.max_frozen_memtables && failure_.ok() && !closing_;
    if (stalled && events_ != nullptr) {
      events_->Push(
          [waiting](EventListener& l) { l.OnWriteStallBegin({waiting}); });
    }
    while (frozen_.size() >= options_.max_frozen_memtables && failure_.ok() &&
           !closing_) {
      done_cv_.Wait(&mu_);
    }
    if (stalled && events_ != nullptr) {
      events_->Push(
          [waiting](EventListener& l) { l.OnWriteStallEnd({waiting}); });
    }
    if (!failure_.ok()) return failure_;
  }
  STRATA_RETURN_IF_ERROR(Freeze());
  if (!options_.background_work) {
    {
      MutexLock work(&work_mu_);
      STRATA_RETURN_IF_ERROR(DoWork());
    }
    DeleteRetiredTables();
    PrepareSparesInline();
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::Freeze() {
  if (active_->empty()) return absl::OkStatus();
  const uint64_t old_wal = wal_number_;
  // Syncs the old segment and makes the new one durable. No record goes to
  // the new one before the freeze edit is durable: write_mu_ is held.
  absl::StatusOr<uint64_t> new_wal = wal_->Rotate();
  if (!new_wal.ok()) return Fail(new_wal.status());
  if (absl::StatusOr<uint64_t> s =
          manifest_->Apply(manifest::Edit::Freeze(old_wal, *new_wal));
      !s.ok()) {
    return Fail(s.status());
  }
  wal_number_ = *new_wal;
  wal_bytes_ = 0;
  auto fresh = std::make_shared<MemTable>();
  {
    MutexLock lock(&mu_);
    // The rotation synced every record of the old segment, the frozen
    // memtable's whole content: a table holds only visible entries.
    RaiseVisibleLsn(last_lsn_);
    frozen_.push_back({old_wal, active_});
    mem_ = fresh;
    spare_wanted_ = true;
    work_cv_.Signal();
  }
  active_ = std::move(fresh);
  return absl::OkStatus();
}

absl::Status EngineImpl::Fail(absl::Status status) {
  MutexLock lock(&mu_);
  if (failure_.ok()) {
    failure_ = status;
    if (events_ != nullptr) {
      events_->Push(
          [status](EventListener& l) { l.OnBackgroundError(status); });
    }
  }
  done_cv_.SignalAll();
  return status;
}

absl::Status EngineImpl::health() const {
  MutexLock lock(&mu_);
  return failure_;
}

// ---------------------------------------------------------------- Reads

EngineImpl::ReadView EngineImpl::TakeReadView(
    const ReadOptions& options) const {
  ReadView view;
  MutexLock lock(&mu_);
  view.lsn =
      options.snapshot != nullptr ? options.snapshot->lsn() : visible_lsn_;
  view.mem = mem_;
  for (auto it = frozen_.rbegin(); it != frozen_.rend(); ++it) {
    view.frozen.push_back(it->mem);
  }
  view.version = current_;
  return view;
}

const Snapshot* EngineImpl::GetSnapshot() {
  MutexLock lock(&mu_);
  snapshots_.insert(visible_lsn_);
  return new Snapshot(visible_lsn_);
}

void EngineImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  {
    MutexLock lock(&mu_);
    auto it = snapshots_.find(snapshot->lsn());
    if (it != snapshots_.end()) snapshots_.erase(it);
  }
  delete snapshot;
}

std::vector<uint64_t> EngineImpl::SnapshotLsns() const {
  MutexLock lock(&mu_);
  return std::vector<uint64_t>(snapshots_.begin(), snapshots_.end());
}

absl::StatusOr<std::string> EngineImpl::Get(absl::string_view key) const {
  return Get(ReadOptions(), key);
}

absl::StatusOr<std::string> EngineImpl::Get(const ReadOptions& options,
                                            absl::string_view key) const {
  for (int attempt = 1;; ++attempt) {
    // A failed read that found a table file missing (the cache counts
    // them): the primary may have deleted it, so a follower catches up.
    const uint64_t missing = tables_.missing_opens();
    absl::StatusOr<std::string> got = GetOnce(options, key);
    const bool table_missing = !got.ok() && tables_.missing_opens() != missing;
    if (!table_missing || follower_ == nullptr ||
        attempt == kFollowerReadAttempts || !CatchUpForRead()) {
      return got;
    }
  }
}

absl::StatusOr<std::string> EngineImpl::GetOnce(const ReadOptions& options,
                                                absl::string_view key) const {
  const ReadView view = TakeReadView(options);
  if (view.version == nullptr) {
    return absl::FailedPreconditionError("engine: closed");
  }
  // Memtables newest first: each holds only writes newer than the next
  // one's and every table's, so the first version found is the newest.
  std::optional<sstable::Found> found;
  uint64_t covering = 0;
  for (size_t i = 0; i <= view.frozen.size() && !found.has_value(); ++i) {
    const MemTable& mem = i == 0 ? *view.mem : *view.frozen[i - 1];
    covering = std::max(covering, mem.MaxCoveringTombstone(key, view.lsn));
    found = mem.Get(key, view.lsn);
  }
  if (!found.has_value()) {
    STRATA_RETURN_IF_ERROR(GetFromTables(view, key, &found, &covering));
  }
  if (!found.has_value() || found->kind != sstable::EntryKind::kPut ||
      covering > found->lsn) {
    return absl::NotFoundError(
        absl::StrCat("engine: no key \"", absl::CHexEscape(key), "\""));
  }
  return std::move(found->value);
}

absl::Status EngineImpl::GetFromTables(const ReadView& view,
                                       absl::string_view key,
                                       std::optional<sstable::Found>* found,
                                       uint64_t* covering) const {
  // Size-tiered tables overlap: the newest version is the one with the
  // largest LSN among every table whose range holds the key. A table whose
  // LSNs are all below what is already known cannot change the answer.
  for (const manifest::TableMeta* t : view.version->index().Holding(key)) {
    const uint64_t known =
        std::max(found->has_value() ? (*found)->lsn : 0, *covering);
    if (t->largest_lsn < known) break;
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const sstable::TableReader> table,
                            tables_.Get(t->number));
    *covering = std::max(*covering,
                         table->range_tombstones().MaxCovering(key, view.lsn));
    STRATA_ASSIGN_OR_RETURN(std::optional<sstable::Found> in_table,
                            table->Get(key, view.lsn));
    if (in_table.has_value() &&
        (!found->has_value() || in_table->lsn > (*found)->lsn)) {
      *found = std::move(in_table);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const sstable::TombstoneIndex>>
EngineImpl::TableTombstones(const Version& version) const {
  MutexLock lock(&version.tombstones_mu);
  if (version.tombstones != nullptr) return version.tombstones;
  std::vector<sstable::RangeTombstone> all;
  absl::Status status;
  version.state->tables.ForEach([&](const manifest::TableMeta& t) {
    // Range tombstones count as tombstones: a table with none has none.
    if (!status.ok() || t.tombstones == 0) return;
    absl::StatusOr<std::shared_ptr<const sstable::TableReader>> table =
        tables_.Get(t.number);
    if (!table.ok()) {
      status = table.status();
      return;
    }
    const auto& mine = (*table)->range_tombstones().tombstones();
    all.insert(all.end(), mine.begin(), mine.end());
  });
  STRATA_RETURN_IF_ERROR(status);
  version.tombstones =
      std::make_shared<const sstable::TombstoneIndex>(std::move(all));
  return version.tombstones;
}

std::unique_ptr<Iterator> EngineImpl::NewIterator(
    const ReadOptions& options) const {
  ReadView view = TakeReadView(options);
  if (view.version == nullptr) {
    return std::make_unique<Iterator>(
        absl::FailedPreconditionError("engine: closed"));
  }
  // A follower opens every table first, catching up past any the primary
  // deleted: an open table stays readable, so the iterator never meets a
  // missing file.
  for (int attempt = 1; follower_ != nullptr; ++attempt) {
    const uint64_t missing_before = tables_.missing_opens();
    absl::Status missing;
    view.version->state->tables.ForEach([&](const manifest::TableMeta& t) {
      if (!missing.ok()) return;
      absl::StatusOr<std::shared_ptr<const sstable::TableReader>> r =
          tables_.Get(t.number);
      if (!r.ok()) missing = r.status();
    });
    if (missing.ok()) break;
    if (tables_.missing_opens() == missing_before ||
        attempt == kFollowerReadAttempts || !CatchUpForRead()) {
      return std::make_unique<Iterator>(missing);
    }
    view = TakeReadView(options);
  }
  absl::StatusOr<std::shared_ptr<const sstable::TombstoneIndex>> in_tables =
      TableTombstones(*view.version);
  if (!in_tables.ok()) return std::make_unique<Iterator>(in_tables.status());
  std::vector<std::unique_ptr<EntryIterator>> children;
  std::vector<sstable::RangeTombstone> in_memtables;
  view.frozen.insert(view.frozen.begin(), view.mem);
  for (const std::shared_ptr<MemTable>& mem : view.frozen) {
    children.push_back(NewMemTableIterator(mem));
    for (sstable::RangeTombstone& t : mem->RangeTombstones(view.lsn)) {
      in_memtables.push_back(std::move(t));
    }
  }
  for (const auto& run : view.version->index().runs()) {
    children.push_back(NewRunIterator(&tables_, run));
  }
  return std::make_unique<Iterator>(
      NewMergingIterator(std::move(children)), view.lsn,
      sstable::TombstoneIndex(std::move(in_memtables)), *std::move(in_tables),
      std::vector<std::shared_ptr<const void>>{view.version});
}

absl::StatusOr<std::vector<KeyValue>> EngineImpl::Scan(absl::string_view start,
                                                       absl::string_view end,
                                                       size_t limit) const {
  return Scan(ReadOptions(), start, end, limit);
}

absl::StatusOr<std::vector<KeyValue>> EngineImpl::Scan(
    const ReadOptions& options, absl::string_view start, absl::string_view end,
    size_t limit) const {
  for (int attempt = 1;; ++attempt) {
    const uint64_t missing = tables_.missing_opens();
    absl::StatusOr<std::vector<KeyValue>> got =
        ScanOnce(options, start, end, limit);
    if (got.ok() || tables_.missing_opens() == missing ||
        follower_ == nullptr || attempt == kFollowerReadAttempts ||
        !CatchUpForRead()) {
      return got;
    }
  }
}

absl::StatusOr<std::vector<KeyValue>> EngineImpl::ScanOnce(
    const ReadOptions& options, absl::string_view start, absl::string_view end,
    size_t limit) const {
  std::unique_ptr<Iterator> it = NewIterator(options);
  std::vector<KeyValue> out;
  for (it->Seek(start); it->Valid(); it->Next()) {
    if (!end.empty() && it->key() >= end) break;
    out.push_back({std::string(it->key()), std::string(it->value())});
    if (limit != 0 && out.size() >= limit) break;
  }
  STRATA_RETURN_IF_ERROR(it->status());
  return out;
}

// ---------------------------------------------------------------- Work

void EngineImpl::BackgroundLoop() {
  if (table_orphan_scan_ != nullptr && DeletionsAllowed()) {
    absl::StatusOr<std::vector<std::string>> deleted =
        DeleteTableOrphans(fs_, sst_dir_, *table_orphan_scan_);
    MutexLock lock(&mu_);
    if (deleted.ok()) stats_.orphans_deleted_later += deleted->size();
  }
  table_orphan_scan_.reset();
  while (true) {
    bool prepare;
    {
      MutexLock lock(&mu_);
      while (!closing_ && !spare_wanted_ && retired_tables_.empty() &&
             (frozen_.empty() || !failure_.ok())) {
        work_cv_.Wait(&mu_);
      }
      if (closing_) return;
      // A failed engine makes no new files.
      prepare = std::exchange(spare_wanted_, false) && failure_.ok();
    }
    if (prepare) MakeSpares();
    // A slow listener slows background work; no event is dropped.
    if (events_ != nullptr) events_->WaitForRoom();
    {
      MutexLock work(&work_mu_);
      // A failure is recorded by Fail and seen by every caller from then on.
      DoWork().IgnoreError();
    }
    DeleteRetiredTables();
    DeleteObsoleteManifestFiles();
  }
}

absl::Status EngineImpl::DoWork() {
  STRATA_RETURN_IF_ERROR(FlushFrozen());
  if (!options_.auto_compaction) return absl::OkStatus();
  return MaybeCompact();
}

absl::Status EngineImpl::Flush() {
  {
    // Writers wait while the memtable is flushed: its WAL is retired by the
    // same edit that adds its table, with no freeze edit of its own.
    MutexLock write(&write_mu_);
    STRATA_RETURN_IF_ERROR(CheckWritable());
    MutexLock work(&work_mu_);
    STRATA_RETURN_IF_ERROR(FlushFrozen());  // Older memtables first.
    if (!active_->empty()) STRATA_RETURN_IF_ERROR(FlushActive());
  }
  PrepareSparesInline();
  absl::Status s;
  if (options_.auto_compaction) {
    MutexLock work(&work_mu_);
    s = CheckNotClosing();
    if (s.ok()) s = MaybeCompact();
  }
  // The caller is on the write path, not a reader: what its compactions
  // (and readers meanwhile) retired is unlinked before it returns, so the
  // space is back when Flush returns.
  DeleteRetiredTables();
  return s;
}

void EngineImpl::DeleteRetiredTablesInline() {
  // With a background thread, DeleteTables has woken it for them.
  if (!options_.background_work) DeleteRetiredTables();
}

absl::Status EngineImpl::CheckNotClosing() const {
  MutexLock lock(&mu_);
  if (closing_) return absl::FailedPreconditionError("engine: closed");
  return absl::OkStatus();
}

void EngineImpl::DeleteObsoleteManifestFiles() {
  if (manifest_->has_obsolete_files() && DeletionsAllowed()) {
    manifest_->DeleteObsoleteFiles();
  }
}

void EngineImpl::PrepareSparesInline() {
  if (options_.background_work) return;
  // Under work_mu_, as every step Close waits for: spares made after Close
  // returned would be files that appear in a closed database.
  MutexLock work(&work_mu_);
  {
    MutexLock lock(&mu_);
    if (!std::exchange(spare_wanted_, false) || !failure_.ok() || closing_) {
      return;
    }
  }
  MakeSpares();
}

void EngineImpl::MakeSpares() {
  // A best-effort open makes no file ahead: numbers past the recovered
  // prefix may belong to files its lost edits wrote.
  if (options_.best_effort) return;
  // The next WAL segment is made ready ahead, so a freeze or flush switches
  // to it without syncing. A failure here only means the switch will create
  // the segment itself.
  wal_->PrepareNextSegment().IgnoreError();
  // Numbers that cannot be reserved would fail the next flush the same way:
  // the engine turns read-only now.
  if (absl::Status s = numbers_->MakeSpares(kSpareTables); !s.ok()) {
    Fail(std::move(s)).IgnoreError();
  }
}

bool EngineImpl::ShouldRetireActiveWal() const {
  return wal_bytes_ >=
             std::min<uint64_t>(options_.memtable_bytes, kMaxKeptWalBytes) ||
         retire_damaged_wal_;
}

absl::Status EngineImpl::FlushActive() {
  const uint64_t old_wal = wal_number_;
  std::optional<uint64_t> new_wal;
  // A table holds only visible entries (docs/engine.md, "What a table
  // holds"): writes still waiting in their sync are made durable first —
  // records still in the commit queue are written to the old segment
  // before a rotation, and a Sync covers them too — and so visible.
  if (ShouldRetireActiveWal()) {
    absl::StatusOr<uint64_t> rotated = wal_->Rotate();
    if (!rotated.ok()) return Fail(rotated.status());
    new_wal = *rotated;
  } else if (!AllVisible()) {
    if (absl::Status s = wal_->Sync(); !s.ok()) return Fail(std::move(s));
  }
  {
    MutexLock lock(&mu_);
    RaiseVisibleLsn(last_lsn_);
  }
  absl::StatusOr<manifest::TableMeta> table = WriteTable(*active_);
  if (!table.ok()) return Fail(table.status());
  const uint64_t lsn = RaisedLsn(*table);
  manifest::Edit edit = manifest::Edit::FlushActive(*table, lsn, new_wal);
  if (events_ != nullptr) {
    auto note = std::make_shared<EditNote>();
    note->flush = FlushInfo{0, *table, new_wal.has_value() ? old_wal : 0, lsn,
                            /*active=*/true};
    edit.note = std::move(note);
  }
  if (absl::StatusOr<uint64_t> s = manifest_->Apply(std::move(edit)); !s.ok()) {
    return Fail(s.status());
  }
  auto fresh = std::make_shared<MemTable>();
  PublishVersion([&] {
    mu_.AssertHeld();
    mem_ = fresh;
    ++stats_.flushes;
    spare_wanted_ = true;
    work_cv_.Signal();
  });
  active_ = std::move(fresh);
  if (new_wal.has_value()) {
    wal_number_ = *new_wal;
    wal_bytes_ = 0;
    retire_damaged_wal_ = false;
    DeleteWal(old_wal);
  }
  return absl::OkStatus();
}

uint64_t EngineImpl::RaisedLsn(const manifest::TableMeta& table) const {
  // Only flushes raise the last LSN, one at a time, oldest memtable first:
  // it never falls.
  return std::max(manifest_->current()->last_lsn, table.largest_lsn);
}

absl::StatusOr<manifest::TableMeta> EngineImpl::WriteTable(
    const MemTable& mem) {
  std::optional<TableNumbers::Spare> spare = numbers_->TakeSpare();
  if (!spare.has_value()) {
    STRATA_ASSIGN_OR_RETURN(const uint64_t number, numbers_->Next());
    return builder_.FromMemTable(number, nullptr, mem);
  }
  {
    // The background thread is asked for more once this flush is done, so
    // that its file creations and directory sync do not queue on the
    // device ahead of this flush's syncs.
    MutexLock lock(&mu_);
    ++stats_.flushes_into_spare;
  }
  return builder_.FromMemTable(spare->number, std::move(spare->file), mem);
}

absl::Status EngineImpl::FlushFrozen() {
  while (true) {
    FrozenMemTable next;
    {
      MutexLock lock(&mu_);
      if (!failure_.ok()) return failure_;
      if (frozen_.empty()) return absl::OkStatus();
      next = frozen_.front();
    }
    STRATA_RETURN_IF_ERROR(FlushOne(next));
  }
}

absl::Status EngineImpl::FlushOne(const FrozenMemTable& frozen) {
  std::optional<manifest::TableMeta> table;
  uint64_t lsn = manifest_->current()->last_lsn;
  // Only a best-effort replay leaves a frozen WAL with no record.
  if (!frozen.mem->empty()) {
    absl::StatusOr<manifest::TableMeta> written = WriteTable(*frozen.mem);
    if (!written.ok()) return Fail(written.status());
    lsn = RaisedLsn(*written);
    table = *std::move(written);
  }
  manifest::Edit edit = manifest::Edit::Flush(table, frozen.wal, lsn);
  if (events_ != nullptr) {
    auto note = std::make_shared<EditNote>();
    note->flush = FlushInfo{0, std::move(table), frozen.wal, lsn,
                            /*active=*/false};
    edit.note = std::move(note);
  }
  if (absl::StatusOr<uint64_t> s = manifest_->Apply(std::move(edit)); !s.ok()) {
    return Fail(s.status());
  }
  // The memtable leaves and its table arrives in one step for readers.
  PublishVersion([&] {
    mu_.AssertHeld();
    frozen_.pop_front();
    ++stats_.flushes;
    done_cv_.SignalAll();
    spare_wanted_ = true;  // The background thread runs this flush.
  });
  DeleteWal(frozen.wal);
  return absl::OkStatus();
}

absl::Status EngineImpl::MaybeCompact() {
  while (true) {
    // Close waits for the compaction running, not for all that are due.
    if (!CheckNotClosing().ok()) return absl::OkStatus();
    std::shared_ptr<const manifest::State> state = manifest_->current();
    std::vector<manifest::TableMeta> inputs =
        PickSizeTiered(*state, options_.compaction, damaged_);
    if (inputs.empty()) break;
    STRATA_RETURN_IF_ERROR(
        RunCompaction(std::move(inputs), CompactionReason::kSizeTiered));
  }
  // Then tables dense with tombstones, one at a time: each output is new,
  // so it is not picked again until it has aged.
  std::set<uint64_t> tried = damaged_;
  while (CheckNotClosing().ok()) {
    std::optional<manifest::TableMeta> dense = PickForTombstones(
        *manifest_->current(), options_.compaction, tried, builder_.Now(),
        [this](const manifest::TableMeta& t) -> int64_t {
          absl::StatusOr<std::shared_ptr<const sstable::TableReader>> r =
              tables_.Get(t.number);
          return r.ok() ? (*r)->properties().created_micros : 0;
        });
    if (!dense.has_value()) return absl::OkStatus();
    tried.insert(dense->number);
    STRATA_RETURN_IF_ERROR(
        RunCompaction({*dense}, CompactionReason::kTombstones));
    MutexLock lock(&mu_);
    ++stats_.tombstone_compactions;
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::Compact(const ProgressFn& progress) {
  STRATA_RETURN_IF_ERROR(Flush());
  absl::Status s = CompactAll(progress);
  DeleteRetiredTables();  // As in Flush: the space is back on return.
  return s;
}

absl::Status EngineImpl::CompactAll(const ProgressFn& progress) {
  MutexLock work(&work_mu_);
  STRATA_RETURN_IF_ERROR(CheckNotClosing());
  std::shared_ptr<const manifest::State> state = manifest_->current();
  std::vector<manifest::TableMeta> inputs;
  uint64_t tombstones = 0;
  state->tables.ForEach([&](const manifest::TableMeta& t) {
    inputs.push_back(t);
    tombstones += t.tombstones;
  });
  if (inputs.empty() || (inputs.size() == 1 && tombstones == 0)) {
    return absl::OkStatus();
  }
  return RunCompaction(std::move(inputs), CompactionReason::kManual, progress);
}

absl::Status EngineImpl::RunCompaction(std::vector<manifest::TableMeta> inputs,
                                       CompactionReason reason,
                                       const ProgressFn& progress) {
  std::shared_ptr<EditNote> note;
  if (events_ != nullptr) {
    note = std::make_shared<EditNote>();
    note->compaction = CompactionInfo{0, inputs, {}, reason};
  }
  CompactionJob job(fs_, &tables_, numbers_.get(), &builder_,
                    *manifest_->current(), std::move(inputs), SnapshotLsns());
  job.set_progress(progress);
  if (absl::Status s = job.Run(); !s.ok()) {
    if (job.failure() == CompactionJob::Failure::kOutput) return Fail(s);
    // Keep every input. A damaged one (DataLoss) is left out of later
    // automatic compactions; an input that could not be read or opened
    // now (an I/O error, no descriptor left) is tried again later.
    if (absl::IsDataLoss(s)) {
      damaged_.insert(job.input_numbers().begin(), job.input_numbers().end());
    }
    MutexLock lock(&mu_);
    ++stats_.compaction_failures;
    return s;
  }
  manifest::Edit edit = job.edit();
  if (note != nullptr) {
    for (const manifest::Op& op : edit.ops) {
      if (const auto* c = std::get_if<manifest::Compaction>(&op)) {
        note->compaction->outputs = c->added;
      }
    }
    edit.note = std::move(note);
  }
  if (absl::StatusOr<uint64_t> a = manifest_->Apply(std::move(edit)); !a.ok()) {
    return Fail(a.status());
  }
  PublishVersion([&] {
    mu_.AssertHeld();
    ++stats_.compactions;
  });
  versions_.Retire(std::vector<uint64_t>(job.input_numbers().begin(),
                                         job.input_numbers().end()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Files

void EngineImpl::PublishVersion(const std::function<void()>& also) {
  std::shared_ptr<const Version> next = versions_.Make(manifest_->current());
  MutexLock lock(&mu_);
  std::swap(current_, next);  // The old one is released after the lock.
  also();
}

bool EngineImpl::DeletionsAllowed() const {
  // Read-only and followers: the directory is someone else's to change.
  if (options_.read_only) return false;
  // A best-effort open deletes no file at all: what it did not recover may
  // be what `strata repair` recovers from.
  if (options_.best_effort || lost_data_ || !manifest_->deletions_allowed()) {
    return false;
  }
  MutexLock lock(&mu_);
  return failure_.ok();
}

void EngineImpl::DeleteTables(const std::vector<uint64_t>& numbers) {
  MutexLock lock(&mu_);
  // Once closed, the next open deletes them as orphans.
  if (closed_ || options_.read_only) return;
  retired_tables_.insert(retired_tables_.end(), numbers.begin(), numbers.end());
  work_cv_.Signal();
}

void EngineImpl::DeleteRetiredTables() {
  MutexLock deleting(&delete_mu_);
  std::vector<uint64_t> numbers;
  {
    MutexLock lock(&mu_);
    if (closed_) return;  // Nothing changes after Close returns.
    numbers.swap(retired_tables_);
  }
  if (numbers.empty()) return;
  if (!DeletionsAllowed()) return;  // The next open deletes them as orphans.
  uint64_t deleted = 0;
  for (uint64_t n : numbers) {
    tables_.Evict(n);
    const std::string path = tables_.TablePath(n);
    if (!fs_->RemoveFile(path).ok()) continue;
    ++deleted;
    if (events_ != nullptr) {
      events_->Push([n, path](EventListener& l) {
        l.OnTableDeleted({n, path});
      });
    }
  }
  MutexLock lock(&mu_);
  stats_.tables_deleted += deleted;
}

void EngineImpl::DeleteWal(uint64_t number) {
  if (!DeletionsAllowed()) return;
  if (fs_->RemoveFile(WalPath(number)).ok()) {
    MutexLock lock(&mu_);
    ++stats_.wals_deleted;
  }
}

// ---------------------------------------------------------------- Status

std::shared_ptr<const manifest::State> EngineImpl::manifest_state() const {
  if (manifest_ != nullptr) return manifest_->current();
  MutexLock lock(&mu_);  // A follower: the state of its last catch-up.
  return current_ != nullptr ? current_->state
                             : std::make_shared<const manifest::State>();
}

EngineStats EngineImpl::stats() const {
  EngineStats s;
  uint64_t active_bytes = 0;
  {
    MutexLock lock(&mu_);
    s = stats_;
    s.last_lsn = visible_lsn_;
    s.frozen_memtables = frozen_.size();
    s.live_snapshots = snapshots_.size();
    if (mem_ != nullptr) active_bytes = mem_->ApproximateBytes();
  }
  s.memtable_bytes = active_bytes;
  if (wal_ != nullptr) {  // None when read-only.
    const wal::Writer::Stats w = wal_->stats();
    s.wal_bytes = w.bytes;
    s.wal_syncs = w.syncs;
  }
  if (manifest_ != nullptr) {  // None on a follower.
    const manifest::Manifest::Stats m = manifest_->stats();
    s.manifest_edits = m.edits;
    s.manifest_log_bytes = m.log_bytes;
    s.manifest_snapshot_bytes = m.snapshot_bytes;
    s.manifest_generation = m.generation;
    s.checkpoints = m.checkpoints;
  }
  s.table_blocks_read = read_counters_.data_blocks_read.load();
  s.filter_skips = read_counters_.filter_skips.load();
  s.table_opens = tables_.opens();
  s.open_tables = tables_.open_tables();
  if (block_cache_ != nullptr) {
    s.block_cache_hits = block_cache_->hits();
    s.block_cache_misses = block_cache_->misses();
    s.block_cache_bytes = block_cache_->usage();
  }
  std::shared_ptr<const manifest::State> state = manifest_state();
  s.live_tables = state->tables.size();
  state->tables.ForEach(
      [&](const manifest::TableMeta& t) { s.live_table_bytes += t.file_size; });
  return s;
}

absl::StatusOr<CheckReport> EngineImpl::Check(
    const ProgressFn& progress) const {
  // The version pins every table it lists: a compaction meanwhile deletes
  // none of them until Check lets go.
  const ReadView view = TakeReadView();
  if (view.version == nullptr) {
    return absl::FailedPreconditionError("engine: closed");
  }
  const CheckTarget target{fs_, sst_dir_, wal_dir_,
                           [this] { return manifest_state(); }, progress};
  return CheckFiles(target, *view.version->state);
}

}  // namespace strata::engine
