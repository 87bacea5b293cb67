#include "manifest/load.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/status_macros.h"
#include "manifest/codec.h"
#include "manifest/snapshot.h"
#include "wal/format.h"

namespace strata::manifest {
namespace {

// True if log `number` holds no record (a header, or less).
bool LogIsEmpty(io::FileSystem* fs, const std::string& dir, uint64_t number) {
  absl::StatusOr<std::unique_ptr<wal::Reader>> reader =
      wal::Reader::Open(fs, dir, {number}, {.strict_tail = true});
  if (!reader.ok()) return false;
  absl::string_view record;
  wal::RecordPosition pos;
  return !(*reader)->Next(&record, &pos) && (*reader)->status().ok();
}

// Whether the newest log is one generation past the newest snapshot `g`
// and holds edits: a checkpoint switched edits to it and did not install
// its snapshot. An empty one is abandoned (out->abandoned_log).
absl::StatusOr<bool> LogPastSnapshot(io::FileSystem* fs, const std::string& dir,
                                     uint64_t g, Loaded* out) {
  const Listing& l = out->listing;
  if (l.logs.empty() || *l.logs.rbegin() <= g) return false;
  const uint64_t newer = *l.logs.rbegin();
  if (newer == g + 1 && LogIsEmpty(fs, dir, newer)) {
    out->abandoned_log = newer;  // A checkpoint that made only its log.
    return false;
  }
  if (newer == g + 1) return true;
  return absl::DataLossError(absl::StrFormat(
      "manifest: %s: log %s is newer than the newest snapshot %s by more "
      "than one generation",
      dir, wal::SegmentFileName(newer), SnapshotFileName(g)));
}

// Picks the snapshot to start from and the logs to replay after it, in a
// chain: the newest snapshot (or, if it is damaged, the one before it) and
// every log from there on. The snapshot of the generation recovery
// continues in is rebuilt if it is damaged or was never installed.
absl::Status ChooseStart(io::FileSystem* fs, const std::string& dir,
                         Loaded* out, std::vector<uint64_t>* logs,
                         uint64_t* rebuild_at) {
  const Listing& l = out->listing;
  const uint64_t g = *l.snapshots.rbegin();
  STRATA_ASSIGN_OR_RETURN(const bool past, LogPastSnapshot(fs, dir, g, out));
  out->generation = past ? g + 1 : g;
  if (past) {
    *rebuild_at = g + 1;
    out->report.finished_checkpoint = true;
  }
  absl::StatusOr<State> newest = ReadSnapshot(fs, dir, g);
  uint64_t start = g;
  if (newest.ok()) {
    out->state = *std::move(newest);
  } else {
    if (!absl::IsDataLoss(newest.status())) return newest.status();
    const std::string error(newest.status().message());
    if (g == 1 || l.snapshots.count(g - 1) == 0 || l.logs.count(g - 1) == 0) {
      return absl::DataLossError(
          absl::StrCat(error, "; no previous generation to recover from"));
    }
    absl::StatusOr<State> previous = ReadSnapshot(fs, dir, g - 1);
    if (!previous.ok()) {
      return absl::DataLossError(absl::StrCat(
          error,
          "; and the previous generation's: ", previous.status().message()));
    }
    out->state = *std::move(previous);
    out->report.used_previous_generation = true;
    out->report.snapshot_error = error;
    if (!past) *rebuild_at = g;
    start = g - 1;
  }
  for (uint64_t log = start; log <= out->generation; ++log) {
    if (l.logs.count(log) > 0) logs->push_back(log);
  }
  return absl::OkStatus();
}

// Checks that `edit` continues `state`; `where()` names the record, and is
// only called to build an error.
template <typename Where>
absl::Status CheckEdit(const State& state, const Edit& edit, Where where) {
  if (edit.sequence != state.last_sequence + 1) {
    return absl::DataLossError(absl::StrFormat(
        "%s: edit sequence %d where %d was expected: an edit is missing or "
        "repeated",
        where(), edit.sequence, state.last_sequence + 1));
  }
  if (absl::Status v = Validate(state, edit); !v.ok()) {
    return absl::DataLossError(
        absl::StrFormat("%s: edit %d does not apply to the state: %s", where(),
                        edit.sequence, v.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Listing> ListManifestDir(io::FileSystem* fs,
                                        const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  Listing listing;
  for (const std::string& name : names) {
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

namespace {

// Replays `logs` onto out->state: every edit decoded, checked against the
// state and applied in order. With best effort, DataLoss ends the replay
// with what came before it (out->report.lost_data).
absl::StatusOr<Loaded> ReplayLogs(io::FileSystem* fs, const std::string& dir,
                                  const std::vector<uint64_t>& logs,
                                  uint64_t rebuild_at, bool best_effort,
                                  const EditVisitor& visit, Loaded* out_ptr) {
  Loaded& out = *out_ptr;
  // Only truncation at the end of the newest log is a torn write: every
  // record was synced before it was acknowledged.
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<wal::Reader> reader,
      wal::Reader::Open(fs, dir, logs, {.strict_tail = true}));
  absl::string_view record;
  wal::RecordPosition pos;
  absl::Status damage;
  uint64_t segment = 0;
  std::string file, what;
  while (reader->Next(&record, &pos)) {
    if (rebuild_at != 0 && !out.rebuilt_snapshot && pos.segment == rebuild_at) {
      out.rebuilt_snapshot = out.state;  // End of the previous log.
    }
    if (pos.segment != segment) {  // Named once per log, not per record.
      segment = pos.segment;
      file = reader->SegmentPath(segment);
      what = absl::StrCat("manifest: ", file, " record");
    }
    Edit edit;
    damage = DecodeEdit(record, what, 0, &edit);
    if (damage.ok()) {
      damage = CheckEdit(out.state, edit, [&] {
        return absl::StrFormat("%s at offset %d", what, pos.offset);
      });
    }
    if (!damage.ok()) break;
    if (visit) visit(edit, file, pos.offset);
    Apply(std::move(edit), &out.state);
    ++out.report.edits_replayed;
  }
  if (damage.ok()) damage = reader->status();
  if (!damage.ok()) {
    if (!best_effort || !absl::IsDataLoss(damage)) return damage;
    out.report.lost_data = true;
    out.report.loss = std::string(damage.message());
    out.rebuilt_snapshot.reset();  // A prefix, not the snapshot's state.
    return std::move(out);
  }
  if (rebuild_at != 0 && !out.rebuilt_snapshot)
    out.rebuilt_snapshot = out.state;
  const wal::Tail& tail = reader->tail();
  if (!logs.empty() && logs.back() == out.generation) {
    out.newest_log_end = tail.valid_end;
  }
  if (tail.torn()) {
    out.report.repaired_torn_tail = true;
    out.report.torn_tail = absl::StrFormat(
        "%s: %d bytes after offset %d cut off: %s",
        reader->SegmentPath(tail.segment), tail.file_size - tail.valid_end,
        tail.valid_end, tail.reason);
  }
  return std::move(out);
}

}  // namespace

absl::StatusOr<Loaded> Load(io::FileSystem* fs, const std::string& dir,
                            bool best_effort, const EditVisitor& visit) {
  Loaded out;
  STRATA_ASSIGN_OR_RETURN(Listing listing, ListManifestDir(fs, dir));
  out.listing = std::move(listing);
  if (out.listing.snapshots.empty()) {
    if (!out.listing.logs.empty()) {
      return absl::DataLossError(absl::StrFormat(
          "manifest: %s: log %s exists but no snapshot does", dir,
          wal::SegmentFileName(*out.listing.logs.begin())));
    }
    out.empty = true;
    return out;
  }
  std::vector<uint64_t> logs;
  uint64_t rebuild_at = 0;
  STRATA_RETURN_IF_ERROR(ChooseStart(fs, dir, &out, &logs, &rebuild_at));
  out.report.generation = out.generation;
  out.report.snapshot_sequence = out.state.last_sequence;

  return ReplayLogs(fs, dir, logs, rebuild_at, best_effort, visit, &out);
}

}  // namespace strata::manifest
