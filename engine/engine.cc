#include "engine/engine.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/db_dir.h"
#include "engine/merging_iterator.h"
#include "engine/table_meta.h"
#include "re2/re2.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"
#include "wal/format.h"

// Returns a failed status from the enclosing function.
#define STRATA_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (absl::Status _status = (expr); !_status.ok()) return _status; \
  } while (0)

namespace strata::engine {
namespace {

// True if the table's key range meets [start, end) (`end` empty: no bound).
bool Overlaps(const manifest::TableMeta& t, absl::string_view start,
              absl::string_view end) {
  if (t.largest_key < start) return false;
  return end.empty() || absl::string_view(t.smallest_key) < end;
}

}  // namespace

Engine::Engine(io::FileSystem* fs, std::string dir, EngineOptions options)
    : fs_(fs),
      dir_(std::move(dir)),
      wal_dir_(io::JoinPath(dir_, kWalDir)),
      sst_dir_(io::JoinPath(dir_, kSstDir)),
      options_(std::move(options)),
      tables_(fs, sst_dir_),
      versions_([this](const std::vector<uint64_t>& numbers) {
        DeleteTables(numbers);
      }) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(io::FileSystem* fs,
                                                     std::string dir,
                                                     EngineOptions options) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Engine> engine(
      new Engine(fs, std::move(dir), std::move(options)));
  STRATA_RETURN_IF_ERROR(engine->Recover());
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
    // Frozen memtables found by recovery are flushed now; a failure leaves
    // the engine read-only, as it would in the background.
    engine->DoWork().IgnoreError();
  }
  return engine;
}

Engine::~Engine() { Close().IgnoreError(); }

absl::Status Engine::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closing_ = true;
    work_cv_.SignalAll();
    done_cv_.SignalAll();
  }
  if (background_.joinable()) background_.join();
  {
    MutexLock work(&work_mu_);
    // Empty and named by no edit: removed now rather than by the next open.
    const bool remove = !spare_tables_.empty() && DeletionsAllowed();
    for (SpareTable& spare : spare_tables_) {
      spare.file->Close().IgnoreError();
      if (remove)
        fs_->RemoveFile(tables_.TablePath(spare.number)).IgnoreError();
    }
    spare_tables_.clear();
  }
  absl::Status s;
  {
    // Writers that got past CheckWritable before closing_ was set finish
    // first: they hold write_mu_.
    MutexLock write(&write_mu_);
    if (wal_ != nullptr) s = wal_->Close();
  }
  if (manifest_ != nullptr) {
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
    closed_ = true;
    last = std::move(current_);
  }
  last.reset();   // Deletes tables only this version still pinned.
  lock_.reset();  // Another engine may open the directory now.
  return s;
}

// ---------------------------------------------------------------- Open

std::string Engine::WalPath(uint64_t number) const {
  return io::JoinPath(wal_dir_, wal::SegmentFileName(number));
}

absl::Status Engine::CheckDirectory() {
  absl::StatusOr<DbDirContents> contents = InspectDbDir(fs_, dir_);
  if (!contents.ok()) return contents.status();
  const absl::Status refusal = DbDirRefusal(dir_, *contents);
  if (refusal.ok()) report_.foreign_files = contents->found;
  if (refusal.ok() && options_.error_if_exists && !options_.read_only) {
    return absl::AlreadyExistsError(absl::StrCat(
        "engine: a database exists at ", dir_, " (error_if_exists is set)"));
  }
  if (absl::IsNotFound(refusal) && options_.create_if_missing &&
      !options_.read_only) {
    return absl::OkStatus();  // Created here.
  }
  if (absl::IsNotFound(refusal) && !options_.read_only) {
    return absl::NotFoundError(
        absl::StrCat(refusal.message(), " (create_if_missing is off)"));
  }
  return refusal;
}

absl::Status Engine::PrepareDirectory() {
  // The directory's own entry is durable before anything in it matters.
  STRATA_RETURN_IF_ERROR(fs_->CreateDir(dir_));
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(io::DirName(dir_)));
  absl::StatusOr<std::unique_ptr<io::FileLock>> lock =
      fs_->LockFile(io::JoinPath(dir_, "LOCK"));
  if (!lock.ok()) {
    return absl::Status(lock.status().code(),
                        absl::StrCat("engine: cannot lock ", dir_, ": ",
                                     lock.status().message()));
  }
  lock_ = std::move(*lock);
  STRATA_RETURN_IF_ERROR(fs_->CreateDir(wal_dir_));
  STRATA_RETURN_IF_ERROR(fs_->CreateDir(sst_dir_));
  return fs_->SyncDir(dir_);
}

absl::Status Engine::Recover() {
  STRATA_RETURN_IF_ERROR(CheckDirectory());
  if (!options_.read_only) STRATA_RETURN_IF_ERROR(PrepareDirectory());

  manifest::ManifestOptions mopts = options_.manifest;
  mopts.best_effort = options_.best_effort;
  mopts.read_only = options_.read_only;
  // The background thread deletes superseded manifest generations, so a
  // checkpoint inside a flush's edit holds no unlink.
  mopts.defer_deletions = options_.background_work;
  absl::StatusOr<std::unique_ptr<manifest::Manifest>> m =
      manifest::Manifest::Open(fs_, io::JoinPath(dir_, kManifestDir), mopts);
  if (!m.ok()) return m.status();
  manifest_ = std::move(*m);
  report_.manifest = manifest_->recovery();
  report_.created = report_.manifest.created;

  std::shared_ptr<const manifest::State> state = manifest_->current();
  absl::StatusOr<Replayed> replayed = ReplayWal(*state);
  if (!replayed.ok()) return replayed.status();
  state = manifest_->current();  // A new database's first edit changed it.
  const uint64_t lsn = std::max(state->last_lsn, replayed->lsn);

  {
    MutexLock work(&work_mu_);
    next_table_ = reserved_end_ = state->next_table_number;
  }
  {
    MutexLock write(&write_mu_);
    last_lsn_ = lsn;
    wal_number_ = state->active_wal;
    wal_bytes_ = replayed->active_bytes;
    retire_damaged_wal_ = !report_.wal_skipped.empty();
    active_ = replayed->active;
  }
  {
    MutexLock lock(&mu_);
    visible_lsn_ = lsn;
    mem_ = replayed->active;
    for (Frozen& f : replayed->frozen) frozen_.push_back(std::move(f));
    current_ = versions_.Make(state);
  }

  report_.deletions_allowed = DeletionsAllowed();
  if (options_.read_only || !report_.deletions_allowed) {
    return absl::OkStatus();
  }
  STRATA_RETURN_IF_ERROR(DeleteWalOrphans(*state));
  if (options_.background_work) {
    // sst/ may hold many thousands of names: the background thread scans
    // it, so open time does not grow with the table count.
    table_orphan_scan_ = state;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> deleted = DeleteTableOrphans(*state);
  if (!deleted.ok()) return deleted.status();
  report_.orphans_deleted.insert(report_.orphans_deleted.end(),
                                 deleted->begin(), deleted->end());
  return absl::OkStatus();
}

absl::StatusOr<Engine::Replayed> Engine::ReplayWal(
    const manifest::State& state) {
  wal::WriterOptions wopts;
  wopts.sync = options_.wal_sync;
  wopts.max_record_size = options_.max_batch_bytes;
  // Segments rotate only on freeze, which the manifest records.
  wopts.max_segment_size = UINT64_MAX;
  Replayed out;
  out.active = std::make_shared<MemTable>();

  if (state.active_wal == 0) {  // A new database: its first segment.
    if (options_.read_only) return out;
    absl::StatusOr<std::unique_ptr<wal::Writer>> w =
        wal::Writer::Create(fs_, wal_dir_, 1, wopts);
    if (!w.ok()) return w.status();
    wal_ = std::move(*w);
    STRATA_RETURN_IF_ERROR(manifest_->SetActiveWal(1));
    return out;
  }

  std::vector<uint64_t> segments = state.frozen_wals;
  segments.push_back(state.active_wal);
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1) {
      return absl::DataLossError(absl::StrFormat(
          "engine: the manifest lists data-WAL segments %s, not consecutive",
          absl::StrJoin(segments, ",")));
    }
  }
  wal::ReaderOptions ropts;
  ropts.best_effort = options_.best_effort;
  ropts.strict_tail =
      options_.wal_recovery == WalRecovery::kAbsoluteConsistency;
  ropts.max_record_size = options_.max_batch_bytes;
  absl::StatusOr<std::unique_ptr<wal::Reader>> reader =
      wal::Reader::Open(fs_, wal_dir_, segments, ropts);
  if (!reader.ok()) return reader.status();

  std::map<uint64_t, std::shared_ptr<MemTable>> mems;
  for (uint64_t s : state.frozen_wals) mems[s] = std::make_shared<MemTable>();
  mems[state.active_wal] = out.active;
  absl::string_view record;
  wal::RecordPosition pos;
  DecodedBatch batch;
  while ((*reader)->Next(&record, &pos)) {
    STRATA_RETURN_IF_ERROR(DecodeBatch(
        record, (*reader)->SegmentPath(pos.segment), pos.offset, &batch));
    MemTable& mem = *mems[pos.segment];
    for (const sstable::Entry& e : batch.entries) {
      // Every entry at or below the manifest's LSN is in a table already: a
      // Flush() of the active memtable keeps its segment.
      if (e.lsn <= state.last_lsn) {
        ++report_.wal_entries_flushed;
      } else {
        mem.Add(e);
      }
    }
    out.lsn = std::max(out.lsn, batch.entries.back().lsn);
    if (pos.segment == state.active_wal) out.active_bytes += record.size();
    ++report_.wal_records;
    report_.wal_entries += batch.entries.size();
  }
  STRATA_RETURN_IF_ERROR((*reader)->status());
  report_.wal_segments = segments.size();
  report_.wal_skipped = (*reader)->skipped();
  lost_data_ = !report_.wal_skipped.empty();
  const wal::Tail& tail = (*reader)->tail();
  if (tail.torn()) {
    report_.repaired_wal_tail = true;
    report_.wal_tail_segment = tail.segment;
    report_.wal_tail_offset = tail.valid_end;
    report_.wal_tail_bytes = tail.file_size - tail.valid_end;
    report_.wal_tail = absl::StrFormat(
        "%s: %d bytes cut at offset %d: %s", WalPath(tail.segment),
        tail.file_size - tail.valid_end, tail.valid_end, tail.reason);
  }
  for (uint64_t s : state.frozen_wals) out.frozen.push_back({s, mems[s]});
  if (options_.read_only) return out;  // The torn tail stays on disk.

  absl::StatusOr<std::unique_ptr<wal::Writer>> w = wal::Writer::Reopen(
      fs_, wal_dir_, state.active_wal, tail.valid_end, wopts);
  if (!w.ok()) return w.status();
  wal_ = std::move(*w);
  return out;
}

absl::Status Engine::DeleteWalOrphans(const manifest::State& state) {
  // Names this engine writes; anything else is left alone.
  static const RE2* const kWal = new RE2(R"((\d{6,})\.log)");
  absl::StatusOr<std::vector<std::string>> names = fs_->ListDir(wal_dir_);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    uint64_t n;
    if (!RE2::FullMatch(name, *kWal, &n) || n == state.active_wal ||
        state.IsFrozen(n)) {
      continue;
    }
    // One that cannot be removed now is an orphan again at the next open.
    const std::string path = io::JoinPath(wal_dir_, name);
    if (fs_->RemoveFile(path).ok()) report_.orphans_deleted.push_back(path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Engine::DeleteTableOrphans(
    const manifest::State& state) {
  // A number, the suffix, and the ".tmp" of older versions' temporaries.
  static const RE2* const kTable = new RE2(R"((\d{6,})\.sst(\.tmp)?)");
  absl::StatusOr<std::vector<std::string>> names = fs_->ListDir(sst_dir_);
  if (!names.ok()) return names.status();
  std::vector<std::string> deleted;
  for (const std::string& name : *names) {
    uint64_t n;
    std::string temp;
    // Numbers from next_table_number on belong to this engine's own work.
    if (!RE2::FullMatch(name, *kTable, &n, &temp) ||
        n >= state.next_table_number ||
        (temp.empty() && state.tables.count(n) > 0)) {
      continue;
    }
    const std::string path = io::JoinPath(sst_dir_, name);
    if (fs_->RemoveFile(path).ok()) deleted.push_back(path);
  }
  return deleted;
}

// ---------------------------------------------------------------- Writes

absl::Status Engine::Put(absl::string_view key, absl::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(batch);
}

absl::Status Engine::Delete(absl::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(batch);
}

absl::Status Engine::CheckWritable() const {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("engine: ", dir_, " is open read-only"));
  }
  MutexLock lock(&mu_);
  if (closing_) return absl::FailedPreconditionError("engine: closed");
  if (!failure_.ok()) return failure_;
  return absl::OkStatus();
}

absl::Status Engine::Write(const WriteBatch& batch) {
  if (batch.empty()) return absl::OkStatus();
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
  if (absl::Status s = wal_->Wait(std::move(*ticket)); !s.ok()) {
    return Fail(std::move(s));
  }
  MarkVisible(last);
  return absl::OkStatus();
}

void Engine::MarkVisible(uint64_t lsn) {
  MutexLock lock(&mu_);
  // Groups commit in LSN order, so every lower LSN is durable too.
  visible_lsn_ = std::max(visible_lsn_, lsn);
  ++stats_.writes;
}

absl::Status Engine::MakeRoomForWrite() {
  if (active_->ApproximateBytes() < options_.memtable_bytes) {
    return absl::OkStatus();
  }
  if (options_.background_work) {
    MutexLock lock(&mu_);
    while (frozen_.size() >= options_.max_frozen_memtables && failure_.ok() &&
           !closing_) {
      done_cv_.Wait(&mu_);
    }
    if (!failure_.ok()) return failure_;
  }
  STRATA_RETURN_IF_ERROR(Freeze());
  if (!options_.background_work) {
    {
      MutexLock work(&work_mu_);
      STRATA_RETURN_IF_ERROR(DoWork());
    }
    PrepareSparesInline();
  }
  return absl::OkStatus();
}

absl::Status Engine::Freeze() {
  if (active_->empty()) return absl::OkStatus();
  const uint64_t old_wal = wal_number_;
  // Syncs the old segment and makes the new one durable. No record goes to
  // the new one before the freeze edit is durable: write_mu_ is held.
  absl::StatusOr<uint64_t> new_wal = wal_->Rotate();
  if (!new_wal.ok()) return Fail(new_wal.status());
  manifest::Edit edit;
  edit.ops.push_back(manifest::AddFrozenWal{old_wal});
  edit.ops.push_back(manifest::SetActiveWal{*new_wal});
  if (absl::StatusOr<uint64_t> s = manifest_->Apply(std::move(edit)); !s.ok()) {
    return Fail(s.status());
  }
  wal_number_ = *new_wal;
  wal_bytes_ = 0;
  auto fresh = std::make_shared<MemTable>();
  {
    MutexLock lock(&mu_);
    frozen_.push_back({old_wal, active_});
    mem_ = fresh;
    spare_wanted_ = true;
    work_cv_.Signal();
  }
  active_ = std::move(fresh);
  return absl::OkStatus();
}

absl::Status Engine::Fail(absl::Status status) {
  MutexLock lock(&mu_);
  if (failure_.ok()) failure_ = status;
  done_cv_.SignalAll();
  return status;
}

absl::Status Engine::health() const {
  MutexLock lock(&mu_);
  return failure_;
}

// ---------------------------------------------------------------- Reads

Engine::ReadView Engine::TakeReadView() const {
  ReadView view;
  MutexLock lock(&mu_);
  view.lsn = visible_lsn_;
  view.mem = mem_;
  for (auto it = frozen_.rbegin(); it != frozen_.rend(); ++it) {
    view.frozen.push_back(it->mem);
  }
  view.version = current_;
  return view;
}

absl::StatusOr<std::string> Engine::Get(absl::string_view key) const {
  const ReadView view = TakeReadView();
  if (view.version == nullptr) {
    return absl::FailedPreconditionError("engine: closed");
  }
  std::optional<sstable::Found> found = view.mem->Get(key, view.lsn);
  for (size_t i = 0; !found.has_value() && i < view.frozen.size(); ++i) {
    found = view.frozen[i]->Get(key, view.lsn);
  }
  if (!found.has_value()) {
    absl::StatusOr<std::optional<sstable::Found>> in_tables =
        GetFromTables(view, key);
    if (!in_tables.ok()) return in_tables.status();
    found = std::move(*in_tables);
  }
  if (!found.has_value() || found->kind == sstable::EntryKind::kDelete) {
    return absl::NotFoundError(
        absl::StrCat("engine: no key \"", absl::CHexEscape(key), "\""));
  }
  return std::move(found->value);
}

absl::StatusOr<std::optional<sstable::Found>> Engine::GetFromTables(
    const ReadView& view, absl::string_view key) const {
  // Size-tiered tables overlap: the newest version is the one with the
  // largest LSN among every table whose range holds the key.
  std::vector<const manifest::TableMeta*> candidates;
  view.version->state->tables.ForEach([&](const manifest::TableMeta& t) {
    if (t.smallest_key <= key && key <= t.largest_key) candidates.push_back(&t);
  });
  std::sort(candidates.begin(), candidates.end(),
            [](const manifest::TableMeta* a, const manifest::TableMeta* b) {
              return a->largest_lsn > b->largest_lsn;
            });
  std::optional<sstable::Found> best;
  for (const manifest::TableMeta* t : candidates) {
    if (best.has_value() && t->largest_lsn < best->lsn) break;
    absl::StatusOr<std::shared_ptr<const sstable::TableReader>> table =
        tables_.Get(t->number);
    if (!table.ok()) return table.status();
    absl::StatusOr<std::optional<sstable::Found>> found =
        (*table)->Get(key, view.lsn);
    if (!found.ok()) return found.status();
    if (found->has_value() &&
        (!best.has_value() || (*found)->lsn > best->lsn)) {
      best = std::move(*found);
    }
  }
  return best;
}

absl::StatusOr<std::vector<KeyValue>> Engine::Scan(absl::string_view start,
                                                   absl::string_view end,
                                                   size_t limit) const {
  const ReadView view = TakeReadView();
  if (view.version == nullptr) {
    return absl::FailedPreconditionError("engine: closed");
  }
  std::vector<std::unique_ptr<EntryIterator>> children;
  std::vector<OwnedEntry> entries;
  view.mem->Collect(start, end, view.lsn, &entries);
  children.push_back(NewVectorIterator(std::move(entries)));
  for (const auto& mem : view.frozen) {
    entries.clear();
    mem->Collect(start, end, view.lsn, &entries);
    children.push_back(NewVectorIterator(std::move(entries)));
  }
  absl::Status open_error;
  view.version->state->tables.ForEach([&](const manifest::TableMeta& t) {
    if (!open_error.ok() || !Overlaps(t, start, end)) return;
    absl::StatusOr<std::shared_ptr<const sstable::TableReader>> table =
        tables_.Get(t.number);
    if (!table.ok()) {
      open_error = table.status();
      return;
    }
    children.push_back(NewTableIterator(std::move(*table), start));
  });
  STRATA_RETURN_IF_ERROR(open_error);

  std::unique_ptr<EntryIterator> it = NewMergingIterator(std::move(children));
  std::vector<KeyValue> out;
  std::string last_key;
  bool have_last = false;
  for (; it->Valid(); it->Next()) {
    const sstable::Entry& e = it->entry();
    if (!end.empty() && e.key >= end) break;
    if (e.lsn > view.lsn || (have_last && e.key == last_key)) continue;
    last_key.assign(e.key.data(), e.key.size());
    have_last = true;
    if (e.kind == sstable::EntryKind::kDelete) continue;
    out.push_back({last_key, std::string(e.value)});
    if (limit != 0 && out.size() >= limit) break;
  }
  STRATA_RETURN_IF_ERROR(it->status());
  return out;
}

// ---------------------------------------------------------------- Work

void Engine::BackgroundLoop() {
  if (table_orphan_scan_ != nullptr && DeletionsAllowed()) {
    absl::StatusOr<std::vector<std::string>> deleted =
        DeleteTableOrphans(*table_orphan_scan_);
    MutexLock lock(&mu_);
    if (deleted.ok()) stats_.orphans_deleted_later += deleted->size();
  }
  table_orphan_scan_.reset();
  while (true) {
    bool prepare;
    {
      MutexLock lock(&mu_);
      while (!closing_ && !spare_wanted_ &&
             (frozen_.empty() || !failure_.ok())) {
        work_cv_.Wait(&mu_);
      }
      if (closing_) return;
      // A failed engine makes no new files.
      prepare = std::exchange(spare_wanted_, false) && failure_.ok();
    }
    if (prepare) MakeSpares();
    {
      MutexLock work(&work_mu_);
      // A failure is recorded by Fail and seen by every caller from then on.
      DoWork().IgnoreError();
    }
    DeleteObsoleteManifestFiles();
  }
}

absl::Status Engine::DoWork() {
  STRATA_RETURN_IF_ERROR(FlushFrozen());
  if (!options_.auto_compaction) return absl::OkStatus();
  return MaybeCompact();
}

absl::Status Engine::Flush() {
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
  if (!options_.auto_compaction) return absl::OkStatus();
  MutexLock work(&work_mu_);
  return MaybeCompact();
}

void Engine::DeleteObsoleteManifestFiles() {
  if (manifest_->has_obsolete_files() && DeletionsAllowed()) {
    manifest_->DeleteObsoleteFiles();
  }
}

void Engine::PrepareSparesInline() {
  if (options_.background_work) return;
  {
    MutexLock lock(&mu_);
    if (!std::exchange(spare_wanted_, false) || !failure_.ok()) return;
  }
  MakeSpares();
}

void Engine::MakeSpares() {
  // The next WAL segment is made ready ahead, so a freeze or flush switches
  // to it without syncing. A failure here only means the switch will create
  // the segment itself.
  wal_->PrepareNextSegment().IgnoreError();
  PrepareSpareTables();
}

absl::Status Engine::FlushActive() {
  const uint64_t old_wal = wal_number_;
  // The segment is kept, and replay skips the records the edit's LSN
  // covers, until it is big enough that replaying it would cost more than
  // a memtable's worth of reading: then it is retired by the same edit.
  std::optional<uint64_t> new_wal;
  if (wal_bytes_ >=
          std::min<uint64_t>(options_.memtable_bytes, kMaxKeptWalBytes) ||
      retire_damaged_wal_) {
    // The old segment's records are durable once this returns, though the
    // table holds them all: records still in the commit queue are written
    // to the old segment first.
    absl::StatusOr<uint64_t> rotated = wal_->Rotate();
    if (!rotated.ok()) return Fail(rotated.status());
    new_wal = *rotated;
  }
  absl::StatusOr<manifest::Edit> edit = FlushEdit(*active_);
  if (!edit.ok()) return Fail(edit.status());
  if (new_wal.has_value()) {
    edit->ops.push_back(manifest::SetActiveWal{*new_wal});
  }
  if (absl::StatusOr<uint64_t> s = manifest_->Apply(*std::move(edit));
      !s.ok()) {
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

absl::StatusOr<manifest::Edit> Engine::FlushEdit(const MemTable& mem) {
  uint64_t number;
  std::unique_ptr<io::WritableFile> made_ahead;
  if (!spare_tables_.empty()) {
    number = spare_tables_.front().number;
    made_ahead = std::move(spare_tables_.front().file);
    spare_tables_.pop_front();
    // The background thread is asked for more once this flush is done, so
    // that its file creations and directory sync do not queue on the
    // device ahead of this flush's syncs.
    MutexLock lock(&mu_);
    ++stats_.flushes_into_spare;
  } else {
    absl::StatusOr<uint64_t> n = NewTableNumber();
    if (!n.ok()) return n.status();
    number = *n;
  }
  absl::StatusOr<manifest::TableMeta> table =
      WriteMemTable(number, std::move(made_ahead), mem);
  if (!table.ok()) return table.status();
  // Only flushes raise the last LSN, one at a time, oldest memtable first:
  // it never falls.
  const uint64_t lsn =
      std::max(manifest_->current()->last_lsn, table->largest_lsn);
  manifest::Edit edit;
  edit.ops.push_back(manifest::AddTable{*std::move(table)});
  edit.ops.push_back(manifest::UpdateLsn{lsn});
  return edit;
}

absl::Status Engine::FlushFrozen() {
  while (true) {
    Frozen next;
    {
      MutexLock lock(&mu_);
      if (!failure_.ok()) return failure_;
      if (frozen_.empty()) return absl::OkStatus();
      next = frozen_.front();
    }
    STRATA_RETURN_IF_ERROR(FlushOne(next));
  }
}

absl::Status Engine::FlushOne(const Frozen& frozen) {
  manifest::Edit edit;
  // Only a best-effort replay leaves a frozen WAL with no record.
  if (!frozen.mem->empty()) {
    absl::StatusOr<manifest::Edit> flush = FlushEdit(*frozen.mem);
    if (!flush.ok()) return Fail(flush.status());
    edit = *std::move(flush);
  }
  edit.ops.push_back(manifest::RemoveFrozenWal{frozen.wal});
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

absl::StatusOr<manifest::TableMeta> Engine::WriteMemTable(
    uint64_t number, std::unique_ptr<io::WritableFile> made_ahead,
    const MemTable& mem) {
  // Written under its final name: until an edit names it, the manifest does
  // not, and a crash leaves an orphan that the next open deletes.
  const bool entry_durable = made_ahead != nullptr;
  absl::StatusOr<std::unique_ptr<sstable::TableWriter>> writer =
      entry_durable ? sstable::TableWriter::Create(std::move(made_ahead),
                                                   tables_.TablePath(number),
                                                   options_.table)
                    : sstable::TableWriter::Create(
                          fs_, tables_.TablePath(number), options_.table);
  if (!writer.ok()) return writer.status();
  absl::Status s;
  mem.ForEach([&](const sstable::Entry& e) {
    if (s.ok()) s = (*writer)->Add(e);
  });
  STRATA_RETURN_IF_ERROR(s);
  return FinishTable(number, writer->get(), entry_durable);
}

absl::StatusOr<manifest::TableMeta> Engine::FinishTable(
    uint64_t number, sstable::TableWriter* writer, bool entry_durable) {
  absl::StatusOr<sstable::TableProperties> props = writer->Finish();  // Syncs.
  if (!props.ok()) return props.status();
  // The table and its directory entry are durable before the edit naming
  // it is committed.
  if (!entry_durable) STRATA_RETURN_IF_ERROR(fs_->SyncDir(sst_dir_));
  return MetaFromProperties(number, *props,
                            TierOf(props->file_size, options_.compaction));
}

void Engine::PrepareSpareTables() {
  std::vector<uint64_t> numbers;
  {
    MutexLock work(&work_mu_);
    if (spare_tables_.size() > kSpareTables / 2) return;
    while (spare_tables_.size() + numbers.size() < kSpareTables) {
      absl::StatusOr<uint64_t> n = NewTableNumber();
      if (!n.ok()) {
        // The manifest failed to reserve numbers: a flush would fail the
        // same way, so the engine turns read-only now.
        Fail(n.status()).IgnoreError();
        return;
      }
      numbers.push_back(*n);
    }
  }
  // Outside work_mu_: a flush meanwhile takes a spare left, or makes its
  // own file. A failure here only means flushes do that; a file left behind
  // is an orphan below next_table_number, which the next open deletes, and
  // an unused number is never reused.
  std::vector<SpareTable> made;
  for (uint64_t number : numbers) {
    absl::StatusOr<std::unique_ptr<io::WritableFile>> file =
        fs_->NewWritableFile(tables_.TablePath(number));
    if (!file.ok()) break;
    made.push_back({number, *std::move(file)});
  }
  if (made.empty()) return;
  if (!fs_->SyncDir(sst_dir_).ok()) {
    for (SpareTable& spare : made) spare.file->Close().IgnoreError();
    return;
  }
  MutexLock work(&work_mu_);
  for (SpareTable& spare : made) spare_tables_.push_back(std::move(spare));
}

absl::StatusOr<uint64_t> Engine::NewTableNumber() {
  if (next_table_ >= reserved_end_) {
    const uint64_t last = next_table_ + options_.table_number_batch - 1;
    STRATA_RETURN_IF_ERROR(manifest_->AllocateTableId(last));
    reserved_end_ = last + 1;
  }
  return next_table_++;
}

absl::Status Engine::MaybeCompact() {
  while (true) {
    std::shared_ptr<const manifest::State> state = manifest_->current();
    std::vector<manifest::TableMeta> inputs =
        PickSizeTiered(*state, options_.compaction, damaged_);
    if (inputs.empty()) return absl::OkStatus();
    STRATA_RETURN_IF_ERROR(RunCompaction(std::move(inputs)));
  }
}

absl::Status Engine::Compact() {
  STRATA_RETURN_IF_ERROR(Flush());
  MutexLock work(&work_mu_);
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
  return RunCompaction(std::move(inputs));
}

absl::Status Engine::RunCompaction(std::vector<manifest::TableMeta> inputs) {
  std::shared_ptr<const manifest::State> state = manifest_->current();
  std::set<uint64_t> numbers;
  std::vector<std::unique_ptr<EntryIterator>> children;
  for (const manifest::TableMeta& t : inputs) {
    numbers.insert(t.number);
    absl::StatusOr<std::shared_ptr<const sstable::TableReader>> table =
        tables_.Get(t.number);
    if (!table.ok()) return CompactionInputFailed(numbers, table.status());
    children.push_back(NewTableIterator(std::move(*table)));
  }
  std::unique_ptr<EntryIterator> merged =
      NewMergingIterator(std::move(children));
  bool output_failed = false;
  absl::StatusOr<std::optional<manifest::TableMeta>> output =
      WriteCompactionOutput(merged.get(), OutsideTables(*state, numbers),
                            &output_failed);
  if (!output.ok()) {
    return output_failed ? Fail(output.status())
                         : CompactionInputFailed(numbers, output.status());
  }

  manifest::Compaction op;
  if (output->has_value()) op.added.push_back(std::move(**output));
  op.removed.assign(numbers.begin(), numbers.end());
  if (absl::StatusOr<uint64_t> a = manifest_->Apply(manifest::Edit{0, {op}});
      !a.ok()) {
    return Fail(a.status());
  }
  PublishVersion([&] {
    mu_.AssertHeld();
    ++stats_.compactions;
  });
  versions_.Retire(op.removed);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<manifest::TableMeta>>
Engine::WriteCompactionOutput(EntryIterator* merged,
                              const OutsideTables& outside,
                              bool* output_failed) {
  // One output (a size-tiered run), created on the first entry kept.
  std::unique_ptr<sstable::TableWriter> out;
  uint64_t number = 0;
  absl::Status out_status;
  auto emit = [&](const sstable::Entry& e) -> absl::Status {
    work_mu_.AssertHeld();  // Called by MergeForCompaction, on this thread.
    if (out == nullptr) {
      absl::StatusOr<uint64_t> n = NewTableNumber();
      if (!n.ok()) return out_status = n.status();
      number = *n;
      absl::StatusOr<std::unique_ptr<sstable::TableWriter>> w =
          sstable::TableWriter::Create(fs_, tables_.TablePath(number),
                                       options_.table);
      if (!w.ok()) return out_status = w.status();
      out = std::move(*w);
    }
    return out_status = out->Add(e);
  };
  if (absl::Status s = MergeForCompaction(merged, outside, emit); !s.ok()) {
    *output_failed = !out_status.ok();
    if (!*output_failed && out != nullptr) {
      out.reset();  // Not named by any edit: ours to remove.
      fs_->RemoveFile(tables_.TablePath(number)).IgnoreError();
    }
    return s;
  }
  if (out == nullptr) return std::nullopt;  // Every entry was dropped.
  absl::StatusOr<manifest::TableMeta> table =
      FinishTable(number, out.get(),
                  /*entry_durable=*/false);
  *output_failed = !table.ok();
  return table;
}

absl::Status Engine::CompactionInputFailed(const std::set<uint64_t>& inputs,
                                           absl::Status status) {
  // Keep every input, and leave them out of later automatic compactions.
  damaged_.insert(inputs.begin(), inputs.end());
  MutexLock lock(&mu_);
  ++stats_.compaction_failures;
  return status;
}

// ---------------------------------------------------------------- Files

void Engine::PublishVersion(const std::function<void()>& also) {
  std::shared_ptr<const Version> next = versions_.Make(manifest_->current());
  MutexLock lock(&mu_);
  std::swap(current_, next);  // The old one is released after the lock.
  also();
}

bool Engine::DeletionsAllowed() const {
  if (lost_data_ || !manifest_->deletions_allowed()) return false;
  MutexLock lock(&mu_);
  return failure_.ok();
}

void Engine::DeleteTables(const std::vector<uint64_t>& numbers) {
  if (!DeletionsAllowed()) return;  // The next open deletes them as orphans.
  uint64_t deleted = 0;
  for (uint64_t n : numbers) {
    tables_.Evict(n);
    if (fs_->RemoveFile(tables_.TablePath(n)).ok()) ++deleted;
  }
  MutexLock lock(&mu_);
  stats_.tables_deleted += deleted;
}

void Engine::DeleteWal(uint64_t number) {
  if (!DeletionsAllowed()) return;
  if (fs_->RemoveFile(WalPath(number)).ok()) {
    MutexLock lock(&mu_);
    ++stats_.wals_deleted;
  }
}

// ---------------------------------------------------------------- Status

EngineStats Engine::stats() const {
  EngineStats s;
  uint64_t active_bytes = 0;
  {
    MutexLock lock(&mu_);
    s = stats_;
    s.last_lsn = visible_lsn_;
    s.frozen_memtables = frozen_.size();
    if (mem_ != nullptr) active_bytes = mem_->ApproximateBytes();
  }
  s.memtable_bytes = active_bytes;
  if (wal_ != nullptr) {  // None when read-only.
    const wal::Writer::Stats w = wal_->stats();
    s.wal_bytes = w.bytes;
    s.wal_syncs = w.syncs;
  }
  const manifest::Manifest::Stats m = manifest_->stats();
  s.manifest_edits = m.edits;
  s.manifest_log_bytes = m.log_bytes;
  s.manifest_snapshot_bytes = m.snapshot_bytes;
  s.manifest_generation = m.generation;
  s.checkpoints = m.checkpoints;
  std::shared_ptr<const manifest::State> state = manifest_->current();
  s.live_tables = state->tables.size();
  state->tables.ForEach(
      [&](const manifest::TableMeta& t) { s.live_table_bytes += t.file_size; });
  return s;
}

absl::StatusOr<CheckReport> Engine::Check() const {
  // The version pins every table it lists: a compaction meanwhile deletes
  // none of them until Check lets go.
  const ReadView view = TakeReadView();
  if (view.version == nullptr) {
    return absl::FailedPreconditionError("engine: closed");
  }
  const std::shared_ptr<const manifest::State>& state = view.version->state;
  CheckReport report;
  absl::Status s;
  state->tables.ForEach([&](const manifest::TableMeta& t) {
    if (!s.ok()) return;
    const std::string path = tables_.TablePath(t.number);
    absl::StatusOr<uint64_t> size = fs_->GetFileSize(path);
    if (!size.ok()) {
      s =
          absl::DataLossError(absl::StrCat("engine: table listed by the "
                                           "manifest: ",
                                           size.status().message()));
      return;
    }
    if (*size != t.file_size) {
      s = absl::DataLossError(
          absl::StrFormat("engine: %s is %d bytes; the manifest records %d",
                          path, *size, t.file_size));
      return;
    }
    absl::StatusOr<std::unique_ptr<sstable::TableReader>> table =
        sstable::TableReader::Open(fs_, path);
    if (!table.ok()) {
      s = table.status();
      return;
    }
    if ((*table)->properties().file_checksum != t.checksum) {
      s = absl::DataLossError(absl::StrFormat(
          "engine: %s has checksum %08x; the manifest records %08x", path,
          (*table)->properties().file_checksum, t.checksum));
      return;
    }
    s = (*table)->Verify();
    ++report.tables;
    report.table_bytes += t.file_size;
    report.entries += t.entries;
  });
  STRATA_RETURN_IF_ERROR(s);
  std::vector<uint64_t> wals = state->frozen_wals;
  wals.push_back(state->active_wal);
  for (uint64_t w : wals) {
    absl::Status e = fs_->FileExists(WalPath(w));
    if (absl::IsNotFound(e)) {
      // A flush since the version was taken retired it (its data is in a
      // table now): a segment is deleted only after the edit that retires
      // it is applied, so the current state no longer lists it.
      std::shared_ptr<const manifest::State> now = manifest_->current();
      if (now->active_wal != w && !now->IsFrozen(w)) continue;
    }
    if (!e.ok()) {
      return absl::DataLossError(absl::StrCat(
          "engine: data-WAL segment listed by the manifest: ", e.message()));
    }
    ++report.wal_segments;
  }
  return report;
}

}  // namespace strata::engine
