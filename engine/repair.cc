#include "engine/repair.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "encoding/escaping.h"
#include "engine/build_table.h"
#include "engine/compaction.h"
#include "engine/db_dir.h"
#include "engine/memtable.h"
#include "engine/write_batch.h"
#include "io/status_macros.h"
#include "manifest/edit.h"
#include "manifest/load.h"
#include "manifest/snapshot.h"
#include "re2/re2.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"
#include "sstable/table_writer.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace strata::engine {
namespace {

// The number in a file name repair moved aside ("sst-000012.sst",
// "wal-000003.log.1"), of the kind `pattern` captures.
std::optional<uint64_t> LostNumber(const std::string& name,
                                   const RE2& pattern) {
  uint64_t n = 0;
  if (!RE2::FullMatch(name, pattern, &n)) return std::nullopt;
  return n;
}

const RE2& LostTableName() {
  static const RE2* const kRe = new RE2(R"(sst-(\d{6,})\.sst.*)");
  return *kRe;
}
const RE2& LostSegmentName() {
  static const RE2* const kRe = new RE2(R"(wal-(\d{6,})\.log.*)");
  return *kRe;
}

// The number a manifest file's name starts with ("000012.snapshot",
// "000012.log", "000012.snapshot.tmp"), or 0.
uint64_t NumberPrefix(const std::string& name) {
  uint64_t n = 0;
  const size_t dot = name.find('.');
  if (dot == std::string::npos || !absl::SimpleAtoi(name.substr(0, dot), &n)) {
    return 0;
  }
  return n;
}

class Repairer {
 public:
  Repairer(io::FileSystem* fs, std::string dir, RepairOptions options)
      : fs_(fs),
        dir_(std::move(dir)),
        wal_dir_(io::JoinPath(dir_, kWalDir)),
        sst_dir_(io::JoinPath(dir_, kSstDir)),
        manifest_dir_(io::JoinPath(dir_, kManifestDir)),
        lost_dir_(io::JoinPath(dir_, kLostDir)),
        options_(std::move(options)) {}

  absl::StatusOr<RepairReport> Run() {
    ReadOldManifest();
    STRATA_RETURN_IF_ERROR(NoteLostNumbers());
    STRATA_RETURN_IF_ERROR(ScanTables());
    NoteMissingTables();
    // What the tables (and the old manifest) already hold is never replayed
    // again: a record at or below this LSN may be older than a delete that
    // compaction has since dropped, and would bring a key back.
    covered_lsn_ = last_lsn_;
    report_.covered_lsn = covered_lsn_;
    STRATA_RETURN_IF_ERROR(ReplayWal());
    STRATA_RETURN_IF_ERROR(WriteReplayedTable());
    STRATA_RETURN_IF_ERROR(MoveAside());
    STRATA_RETURN_IF_ERROR(InstallManifest());
    return std::move(report_);
  }

 private:
  // A file to move into lost/, and why.
  struct Aside {
    std::string path;
    std::string prefix;  // "sst", "wal" or "manifest.N"
    std::string reason;
  };

  void ReadOldManifest();
  absl::Status NoteLostNumbers();
  absl::Status ScanTables();
  void CheckTable(const std::string& name, uint64_t number);
  // Tables the old manifest lists as live that repair cannot use: the
  // result is then not one point in time, and the report says which LSNs.
  void NoteMissingTables();
  absl::Status ReplayWal();
  // One data-WAL segment's replay: where it is, and what it could not read.
  struct SegmentState {
    std::string path;
    uint64_t size = 0;
    size_t skips_seen = 0;  // Of the reader's skipped ranges.
    bool damaged = false;
    // The last unrecovered range, until a record after it gives before_lsn.
    std::optional<size_t> open_gap;
  };
  // Replays one segment (if `replaying`); false once replay must stop
  // (point in time).
  bool ReplaySegment(uint64_t number, bool replaying);
  // Applies the segment's records until its end, or until the first damage
  // unless salvaging: false if it stopped there.
  bool ReplayRecords(wal::Reader& reader, SegmentState& seg);
  // Records bytes [begin, end) of the segment as not replayed.
  void Unrecovered(SegmentState& seg, uint64_t begin, uint64_t end,
                   std::string reason);
  // Records the ranges the reader skipped since the last call, each to the
  // end of the segment if `to_end` (nothing after it is replayed).
  void NoteSkips(const wal::Reader& reader, SegmentState& seg, bool to_end);
  void Apply(const DecodedBatch& batch);
  absl::Status WriteReplayedTable();
  absl::Status MoveAside();
  absl::Status InstallManifest();
  absl::StatusOr<std::string> LostPath(const std::string& prefix,
                                       const std::string& name);

  io::FileSystem* const fs_;
  const std::string dir_;
  const std::string wal_dir_;
  const std::string sst_dir_;
  const std::string manifest_dir_;
  const std::string lost_dir_;
  const RepairOptions options_;

  // From the old manifest.
  std::set<uint64_t> superseded_;
  // Its live tables (number → LSN range), and those found usable in sst/.
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> old_live_;
  std::set<uint64_t> usable_;
  // The highest LSN the kept tables and the old manifest hold.
  uint64_t covered_lsn_ = 0;
  // Data-WAL segments its edits retired (below its active segment and not
  // frozen): their data is in tables, so they are not replayed again.
  uint64_t retired_below_ = 0;
  std::set<uint64_t> frozen_;
  // Every number seen, so that none is reused.
  uint64_t max_table_ = 0;
  uint64_t max_segment_ = 0;
  uint64_t last_lsn_ = 0;
  std::vector<manifest::TableMeta> tables_;
  MemTable replayed_;
  std::vector<Aside> aside_;
  RepairReport report_;
};

void Repairer::ReadOldManifest() {
  if (!fs_->FileExists(manifest_dir_).ok()) return;
  std::set<uint64_t> removed;
  auto visit = [&](const manifest::Edit& edit, const std::string&, uint64_t) {
    for (const manifest::Op& op : edit.ops) {
      if (const auto* r = std::get_if<manifest::RemoveTable>(&op)) {
        removed.insert(r->number);
      } else if (const auto* c = std::get_if<manifest::Compaction>(&op)) {
        removed.insert(c->removed.begin(), c->removed.end());
      }
    }
  };
  absl::StatusOr<manifest::Loaded> loaded =
      manifest::Load(fs_, manifest_dir_, /*best_effort=*/true, visit);
  if (!loaded.ok()) {
    report_.old_manifest =
        absl::StrCat("unreadable, nothing used: ", loaded.status().message());
    return;
  }
  if (loaded->empty) return;
  const manifest::State& state = loaded->state;
  for (uint64_t n : removed) {
    if (state.tables.count(n) == 0) superseded_.insert(n);
  }
  state.tables.ForEach([&](const manifest::TableMeta& t) {
    old_live_[t.number] = {t.smallest_lsn, t.largest_lsn};
  });
  max_table_ = state.next_table_number - 1;
  max_segment_ = std::max(state.active_wal, state.frozen_wals.empty()
                                                ? uint64_t{0}
                                                : state.frozen_wals.back());
  last_lsn_ = state.last_lsn;
  retired_below_ = state.active_wal;
  frozen_.insert(state.frozen_wals.begin(), state.frozen_wals.end());
  report_.old_manifest = absl::StrFormat(
      "generation %d, %d edits read%s: %d live tables, %d removed by its "
      "edits",
      loaded->generation, loaded->report.edits_replayed,
      loaded->report.lost_data
          ? absl::StrCat(" (then: ", loaded->report.loss, ")")
          : "",
      state.tables.size(), superseded_.size());
}

absl::Status Repairer::NoteLostNumbers() {
  absl::StatusOr<std::vector<std::string>> names = fs_->ListDir(lost_dir_);
  if (absl::IsNotFound(names.status())) return absl::OkStatus();
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (auto n = LostNumber(name, LostTableName())) {
      max_table_ = std::max(max_table_, *n);
    }
    if (auto n = LostNumber(name, LostSegmentName())) {
      max_segment_ = std::max(max_segment_, *n);
    }
  }
  return absl::OkStatus();
}

absl::Status Repairer::ScanTables() {
  absl::StatusOr<std::vector<std::string>> names = fs_->ListDir(sst_dir_);
  if (absl::IsNotFound(names.status())) return absl::OkStatus();
  if (!names.ok()) return names.status();
  uint64_t done = 0;
  for (const std::string& name : *names) {
    // Older versions' temporaries (".sst.tmp") hold numbers too.
    for (const char* suffix : {".sst", ".sst.tmp"}) {
      if (auto n = io::ParseNumberedFileName(name, suffix)) {
        max_table_ = std::max(max_table_, *n);
      }
    }
    if (auto n = io::ParseNumberedFileName(name, ".sst")) CheckTable(name, *n);
    if (options_.progress && (++done % 64 == 0 || done == names->size())) {
      options_.progress(done, names->size());
    }
  }
  return absl::OkStatus();
}

void Repairer::CheckTable(const std::string& name, uint64_t number) {
  const std::string path = io::JoinPath(sst_dir_, name);
  if (fs_->GetFileSize(path).value_or(1) == 0) {
    report_.ignored.push_back(path);  // Made ahead for a flush; empty.
    return;
  }
  if (superseded_.count(number) > 0) {
    aside_.push_back({path, "sst",
                      "removed by a committed edit of the old manifest (a "
                      "compaction): kept aside, not resurrected"});
    return;
  }
  absl::StatusOr<std::unique_ptr<sstable::TableReader>> table =
      sstable::TableReader::Open(fs_, path);
  absl::Status s = table.status();
  if (s.ok()) s = (*table)->Verify();
  if (!s.ok()) {
    aside_.push_back(
        {path, "sst", absl::StrCat("does not verify: ", s.message())});
    if (old_live_.count(number) == 0) {
      // Its LSNs are unknown: whatever it held is missing from the result.
      report_.not_point_in_time.push_back(absl::StrCat(
          path,
          " does not verify and no readable manifest lists it: its "
          "entries, of unknown LSNs, are missing"));
    }
    return;
  }
  usable_.insert(number);
  const sstable::TableProperties& p = (*table)->properties();
  tables_.push_back(
      MetaFromProperties(number, p, TierOf(p.file_size, CompactionOptions())));
  last_lsn_ = std::max(last_lsn_, p.largest_lsn);
  report_.tables_kept.push_back(
      {path, p.entries, p.file_size, p.smallest_lsn, p.largest_lsn});
}

void Repairer::NoteMissingTables() {
  for (const auto& [number, lsns] : old_live_) {
    if (usable_.count(number) > 0) continue;
    report_.not_point_in_time.push_back(absl::StrFormat(
        "%s, live in the old manifest, is missing or does not verify: its "
        "entries (lsn %d..%d) are missing, while later ones are kept",
        io::JoinPath(sst_dir_, sstable::TableFileName(number)), lsns.first,
        lsns.second));
  }
}

absl::Status Repairer::ReplayWal() {
  absl::StatusOr<std::vector<uint64_t>> segments =
      wal::ListSegments(fs_, wal_dir_);
  if (absl::IsNotFound(segments.status())) return absl::OkStatus();
  if (!segments.ok()) return segments.status();
  bool replaying = true;
  for (uint64_t number : *segments) {
    max_segment_ = std::max(max_segment_, number);
    if (number < retired_below_ && frozen_.count(number) == 0) {
      report_.ignored.push_back(
          io::JoinPath(wal_dir_, wal::SegmentFileName(number)));
      continue;
    }
    replaying = ReplaySegment(number, replaying);
  }
  return absl::OkStatus();
}

void Repairer::Unrecovered(SegmentState& seg, uint64_t begin, uint64_t end,
                           std::string reason) {
  seg.damaged = true;
  report_.unrecovered.push_back(
      {seg.path, begin, end, last_lsn_, 0, std::move(reason)});
  seg.open_gap = report_.unrecovered.size() - 1;
}

void Repairer::NoteSkips(const wal::Reader& reader, SegmentState& seg,
                         bool to_end) {
  for (; seg.skips_seen < reader.skipped().size(); ++seg.skips_seen) {
    const wal::SkippedRange& r = reader.skipped()[seg.skips_seen];
    Unrecovered(seg, r.begin, to_end ? seg.size : r.end, r.reason);
  }
}

bool Repairer::ReplayRecords(wal::Reader& reader, SegmentState& seg) {
  const bool salvage = options_.salvage_wal;
  absl::string_view record;
  wal::RecordPosition pos;
  DecodedBatch batch;
  while (reader.Next(&record, &pos)) {
    // A range skipped before this record: point in time stops here.
    NoteSkips(reader, seg, /*to_end=*/!salvage);
    if (seg.damaged && !salvage) return false;
    if (absl::Status s = DecodeBatch(record, seg.path, pos.offset, &batch);
        !s.ok()) {
      Unrecovered(seg, pos.offset,
                  salvage ? pos.offset + record.size() : seg.size,
                  std::string(s.message()));
      if (!salvage) return false;
      continue;
    }
    if (seg.open_gap.has_value()) {
      report_.unrecovered[*seg.open_gap].before_lsn = batch.first_lsn;
      seg.open_gap.reset();
    }
    Apply(batch);
  }
  return true;
}

bool Repairer::ReplaySegment(uint64_t number, bool replaying) {
  SegmentState seg;
  seg.path = io::JoinPath(wal_dir_, wal::SegmentFileName(number));
  seg.size = fs_->GetFileSize(seg.path).value_or(0);
  ++report_.wal_segments;
  if (!replaying) {
    Unrecovered(seg, 0, seg.size, "follows earlier damage (point in time)");
    aside_.push_back({seg.path, "wal", "not replayed: follows earlier damage"});
    return false;
  }
  wal::ReaderOptions ropts;
  ropts.best_effort = true;  // Damage is found here, and judged above.
  ropts.max_record_size = options_.max_batch_bytes;
  absl::StatusOr<std::unique_ptr<wal::Reader>> reader =
      wal::Reader::Open(fs_, wal_dir_, {number}, ropts);
  if (!reader.ok()) {
    Unrecovered(seg, 0, seg.size, std::string(reader.status().message()));
  } else if (ReplayRecords(**reader, seg)) {
    if (!(*reader)->status().ok()) {
      Unrecovered(seg, 0, seg.size, std::string((*reader)->status().message()));
    } else {
      NoteSkips(**reader, seg, /*to_end=*/false);
      const wal::Tail& tail = (*reader)->tail();
      if (tail.torn()) {
        Unrecovered(seg, tail.valid_end, tail.file_size,
                    absl::StrCat("torn tail: ", tail.reason));
      }
    }
  }
  if (seg.damaged) {
    aside_.push_back({seg.path, "wal", "holds bytes that were not replayed"});
  }
  return options_.salvage_wal || !seg.damaged;
}

void Repairer::Apply(const DecodedBatch& batch) {
  for (const sstable::Entry& e : batch.entries) {
    if (e.lsn <= covered_lsn_) {
      ++report_.wal_entries_covered;
      continue;
    }
    replayed_.Add(e);
    ++report_.wal_entries;
  }
  last_lsn_ = std::max(last_lsn_, batch.entries.back().lsn);
  ++report_.wal_records;
}

absl::Status Repairer::WriteReplayedTable() {
  if (replayed_.empty()) return absl::OkStatus();
  const uint64_t number = ++max_table_;
  const std::string path =
      io::JoinPath(sst_dir_, io::NumberedFileName(number, ".sst"));
  STRATA_RETURN_IF_ERROR(fs_->CreateDir(sst_dir_));
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<sstable::TableWriter> writer,
      sstable::TableWriter::Create(fs_, path, options_.table));
  STRATA_RETURN_IF_ERROR(AddMemTable(replayed_, writer.get()));
  absl::StatusOr<sstable::TableProperties> p = writer->Finish();  // Syncs.
  if (!p.ok()) return p.status();
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(sst_dir_));
  tables_.push_back(MetaFromProperties(
      number, *p, TierOf(p->file_size, CompactionOptions())));
  report_.tables_rebuilt.push_back(
      {path, p->entries, p->file_size, p->smallest_lsn, p->largest_lsn});
  return absl::OkStatus();
}

absl::StatusOr<std::string> Repairer::LostPath(const std::string& prefix,
                                               const std::string& name) {
  const std::string base =
      io::JoinPath(lost_dir_, absl::StrCat(prefix, "-", name));
  std::string path = base;
  for (int i = 1; fs_->FileExists(path).ok(); ++i) {
    path = absl::StrCat(base, ".", i);
  }
  return path;
}

absl::Status Repairer::MoveAside() {
  if (aside_.empty()) return absl::OkStatus();
  STRATA_RETURN_IF_ERROR(fs_->CreateDir(lost_dir_));
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  std::set<std::string> sources;
  for (const Aside& a : aside_) {
    STRATA_ASSIGN_OR_RETURN(
        std::string to, LostPath(a.prefix, std::string(io::BaseName(a.path))));
    STRATA_RETURN_IF_ERROR(fs_->RenameFile(a.path, to));
    report_.moved.push_back({a.path, to, a.reason});
    sources.insert(io::DirName(a.path));
  }
  // The new locations first: a crash between the two syncs leaves a file
  // in both places, never in neither.
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(lost_dir_));
  for (const std::string& d : sources) {
    STRATA_RETURN_IF_ERROR(fs_->SyncDir(d));
  }
  aside_.clear();
  return absl::OkStatus();
}

absl::Status Repairer::InstallManifest() {
  // A new, empty active segment past every one seen: nothing is reused,
  // and the segments replayed are left for the engine to delete.
  const uint64_t active = max_segment_ + 1;
  wal::WriterOptions wopts;
  {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<wal::Writer> w,
                            wal::Writer::Create(fs_, wal_dir_, active, wopts));
    STRATA_RETURN_IF_ERROR(w->Close());
  }
  manifest::Edit edit;
  edit.sequence = 1;
  edit.ops.push_back(manifest::SetActiveWal{active});
  edit.ops.push_back(manifest::UpdateLsn{last_lsn_});
  if (max_table_ > 0) {
    edit.ops.push_back(manifest::AllocateTableId{max_table_});
  }
  for (manifest::TableMeta& t : tables_) {
    edit.ops.push_back(manifest::AddTable{std::move(t)});
  }
  manifest::State state;
  STRATA_RETURN_IF_ERROR(manifest::Validate(state, edit));
  manifest::Apply(std::move(edit), &state);
  STRATA_RETURN_IF_ERROR(fs_->CreateDir(manifest_dir_));
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  // A directory that holds a manifest has a durable entry of its own, and
  // durable wal/, sst/ and manifest/ entries: a reopen does not sync them
  // again (engine_open.cc, PrepareDirectory).
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(io::DirName(dir_)));
  // The new manifest is one snapshot of a generation past every file in
  // manifest/, installed before the old files go aside: a crash in between
  // leaves the new generation newest, so a second repair reads it (and
  // replays no segment it retired) rather than finding no manifest at all.
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> old,
                          fs_->ListDir(manifest_dir_));
  uint64_t generation = 0;
  for (const std::string& name : old) {
    generation = std::max(generation, NumberPrefix(name));
  }
  ++generation;
  STRATA_RETURN_IF_ERROR(
      manifest::WriteSnapshot(fs_, manifest_dir_, generation, state).status());
  for (const std::string& name : old) {
    aside_.push_back({io::JoinPath(manifest_dir_, name), "manifest",
                      "the old manifest, replaced by repair"});
  }
  STRATA_RETURN_IF_ERROR(MoveAside());
  report_.last_lsn = state.last_lsn;
  report_.next_table_number = state.next_table_number;
  report_.active_wal = active;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RepairReport> Repair(io::FileSystem* fs, const std::string& dir,
                                    RepairOptions options) {
  STRATA_ASSIGN_OR_RETURN(DbDirContents contents, InspectDbDir(fs, dir));
  const absl::Status refusal = DbDirRefusal(dir, contents);
  if (absl::IsNotFound(refusal) || absl::IsFailedPrecondition(refusal)) {
    return refusal;
  }
  absl::StatusOr<std::unique_ptr<io::FileLock>> lock =
      fs->LockFile(io::JoinPath(dir, kLockFile));
  if (!lock.ok()) {
    return absl::Status(
        lock.status().code(),
        absl::StrCat("repair: cannot lock ", dir,
                     " (is the database open?): ", lock.status().message()));
  }
  return Repairer(fs, dir, std::move(options)).Run();
}

std::string RepairReportText(const RepairReport& r) {
  std::string out;
  absl::StrAppend(&out, "old manifest: ",
                  r.old_manifest.empty() ? "none" : r.old_manifest, "\n");
  for (const RepairReport::Table& t : r.tables_kept) {
    absl::StrAppendFormat(&out, "kept %s: %d entries, %d bytes, lsn %d..%d\n",
                          t.path, t.entries, t.bytes, t.smallest_lsn,
                          t.largest_lsn);
  }
  absl::StrAppendFormat(&out,
                        "data WAL: %d segments read, %d records read, %d "
                        "entries replayed, %d already in tables (at or "
                        "below lsn %d) skipped\n",
                        r.wal_segments, r.wal_records, r.wal_entries,
                        r.wal_entries_covered, r.covered_lsn);
  for (const RepairReport::Table& t : r.tables_rebuilt) {
    absl::StrAppendFormat(&out,
                          "rebuilt %s from the WAL: %d entries, lsn %d..%d\n",
                          t.path, t.entries, t.smallest_lsn, t.largest_lsn);
  }
  for (const RepairReport::Unrecovered& u : r.unrecovered) {
    absl::StrAppendFormat(
        &out, "NOT RECOVERED %s bytes [%d, %d): records after lsn %d%s: %s\n",
        u.path, u.begin, u.end, u.after_lsn,
        u.before_lsn != 0 ? absl::StrFormat(" and before lsn %d", u.before_lsn)
                          : "",
        u.reason);
  }
  for (const RepairReport::Moved& m : r.moved) {
    absl::StrAppendFormat(&out, "moved %s to %s: %s\n", m.from, m.to, m.reason);
  }
  for (const std::string& why : r.not_point_in_time) {
    absl::StrAppend(&out, "NOT ONE POINT IN TIME: ", why, "\n");
  }
  for (const std::string& path : r.ignored) {
    absl::StrAppendFormat(&out,
                          "ignored %s: an empty table made ahead, or a WAL "
                          "segment the old manifest retired\n",
                          path);
  }
  absl::StrAppendFormat(&out,
                        "new manifest: %d tables, last lsn %d, next table "
                        "%d, active WAL segment %d\n",
                        r.tables_kept.size() + r.tables_rebuilt.size(),
                        r.last_lsn, r.next_table_number, r.active_wal);
  return out;
}

std::string RepairReportJson(const RepairReport& r) {
  auto table = [](const RepairReport::Table& t) {
    return absl::StrFormat(
        "{\"path\":%s,\"entries\":%d,\"bytes\":%d,\"smallest_lsn\":%d,"
        "\"largest_lsn\":%d}",
        JsonString(t.path), t.entries, t.bytes, t.smallest_lsn, t.largest_lsn);
  };
  std::vector<std::string> kept, rebuilt, moved, unrecovered, ignored, mixed;
  for (const auto& why : r.not_point_in_time) mixed.push_back(JsonString(why));
  for (const auto& t : r.tables_kept) kept.push_back(table(t));
  for (const auto& t : r.tables_rebuilt) rebuilt.push_back(table(t));
  for (const auto& m : r.moved) {
    moved.push_back(absl::StrFormat("{\"from\":%s,\"to\":%s,\"reason\":%s}",
                                    JsonString(m.from), JsonString(m.to),
                                    JsonString(m.reason)));
  }
  for (const auto& u : r.unrecovered) {
    unrecovered.push_back(
        absl::StrFormat("{\"path\":%s,\"begin\":%d,\"end\":%d,\"after_lsn\":%d,"
                        "\"before_lsn\":%d,\"reason\":%s}",
                        JsonString(u.path), u.begin, u.end, u.after_lsn,
                        u.before_lsn, JsonString(u.reason)));
  }
  for (const auto& p : r.ignored) ignored.push_back(JsonString(p));
  return absl::StrFormat(
      "{\"old_manifest\":%s,\"tables_kept\":[%s],\"tables_rebuilt\":[%s],"
      "\"wal_segments\":%d,\"wal_records\":%d,\"wal_entries\":%d,"
      "\"wal_entries_covered\":%d,\"covered_lsn\":%d,"
      "\"not_point_in_time\":[%s],\"unrecovered\":[%s],\"moved\":[%s],"
      "\"ignored\":[%s],\"last_lsn\":%d,"
      "\"next_table_number\":%d,\"active_wal\":%d}\n",
      JsonString(r.old_manifest), absl::StrJoin(kept, ","),
      absl::StrJoin(rebuilt, ","), r.wal_segments, r.wal_records, r.wal_entries,
      r.wal_entries_covered, r.covered_lsn, absl::StrJoin(mixed, ","),
      absl::StrJoin(unrecovered, ","), absl::StrJoin(moved, ","),
      absl::StrJoin(ignored, ","), r.last_lsn, r.next_table_number,
      r.active_wal);
}

}  // namespace strata::engine
