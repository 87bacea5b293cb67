#include "engine/follower.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/db_dir.h"
#include "engine/write_batch.h"
#include "io/status_macros.h"
#include "manifest/codec.h"
#include "manifest/load.h"
#include "wal/format.h"

namespace strata::engine {
namespace {

// Loads tried beside a live primary that keeps changing the directory (a
// load that fails while nothing changes is damage, after a few).
constexpr int kLoadAttempts = 1000;
// Rounds of manifest-then-WAL reading when a live segment vanished (each
// must find new edits).
constexpr int kWalAttempts = 1000;

}  // namespace

Follower::Follower(io::FileSystem* fs, const std::string& dir)
    : fs_(fs),
      dir_(dir),
      manifest_dir_(io::JoinPath(dir, kManifestDir)),
      wal_dir_(io::JoinPath(dir, kWalDir)) {}

std::string Follower::LogPath(uint64_t generation) const {
  return io::JoinPath(manifest_dir_, wal::SegmentFileName(generation));
}

absl::Status Follower::PollLog(wal::SegmentTail* tail, CatchUpReport* report,
                               bool* gap) {
  const uint64_t before = tail->bytes_read();
  absl::Status s = tail->Poll(
      /*sealed=*/false, [&](absl::string_view bytes, uint64_t offset) {
        manifest::Edit edit;
        STRATA_RETURN_IF_ERROR(manifest::DecodeEdit(
            bytes, absl::StrCat(tail->path(), " record"), offset, &edit));
        if (edit.sequence <= state_.last_sequence) return absl::OkStatus();
        if (edit.sequence != state_.last_sequence + 1) {
          *gap = true;
          return absl::AbortedError("gap");
        }
        if (collect_edits_) applied_.push_back(edit);
        manifest::Apply(std::move(edit), &state_);
        ++report->edits;
        return absl::OkStatus();
      });
  report->bytes_read += tail->bytes_read() - before;
  if (*gap) return absl::OkStatus();
  return s;
}

absl::Status Follower::Reload(CatchUpReport* report) {
  // A load beside a live primary can meet a generation it is deleting (a
  // file gone, or read as zeros while its blocks are given back): tried
  // again while the directory is seen to change, as a read-only open does.
  absl::StatusOr<manifest::Loaded> loaded;
  std::string seen = DbDirFingerprint(fs_, dir_);
  for (int attempt = 1; attempt <= kLoadAttempts; ++attempt) {
    loaded = manifest::Load(fs_, manifest_dir_, /*best_effort=*/false);
    if (loaded.ok() || !(absl::IsDataLoss(loaded.status()) ||
                         absl::IsNotFound(loaded.status()))) {
      break;
    }
    std::string now = DbDirFingerprint(fs_, dir_);
    if (now == seen) {
      // Nothing moved yet: a deletion in steps takes a while.
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(attempt, 20)));
      now = DbDirFingerprint(fs_, dir_);
      if (now == seen && attempt > 8) break;  // Damage that stays.
    }
    seen = std::move(now);
  }
  STRATA_RETURN_IF_ERROR(loaded.status());
  if (loaded->empty) {
    return absl::NotFoundError(
        absl::StrCat("engine: ", manifest_dir_, " holds no manifest"));
  }
  const uint64_t before = state_.last_sequence;
  if (loaded_ && loaded->state.last_sequence < state_.last_sequence) {
    return absl::DataLossError(absl::StrFormat(
        "engine: follower: %s went back from edit %d to edit %d", manifest_dir_,
        state_.last_sequence, loaded->state.last_sequence));
  }
  state_ = std::move(loaded->state);
  applied_.clear();  // Listeners get the state instead.
  reloaded_ = true;
  report->edits +=
      state_.last_sequence - std::min(before, state_.last_sequence);
  report->reloaded = loaded_;
  loaded_ = true;
  generation_ = loaded->generation;
  log_.reset();
  absl::StatusOr<std::unique_ptr<wal::SegmentTail>> tail =
      wal::SegmentTail::Open(fs_, LogPath(generation_), generation_);
  if (tail.ok()) {
    log_ = *std::move(tail);
    bool gap = false;
    STRATA_RETURN_IF_ERROR(PollLog(log_.get(), report, &gap));
    if (gap) {
      return absl::DataLossError(absl::StrFormat(
          "engine: follower: %s does not continue the edits of its snapshot",
          LogPath(generation_)));
    }
  } else if (!absl::IsNotFound(tail.status()) &&
             !absl::IsUnavailable(tail.status())) {
    return tail.status();
  }
  return absl::OkStatus();
}

absl::Status Follower::CatchUpManifest(CatchUpReport* report) {
  if (!loaded_) return Reload(report);
  for (int round = 0; round < kLoadAttempts; ++round) {
    bool gap = false;
    if (log_ == nullptr) {
      absl::StatusOr<std::unique_ptr<wal::SegmentTail>> tail =
          wal::SegmentTail::Open(fs_, LogPath(generation_), generation_);
      if (tail.ok()) log_ = *std::move(tail);
    }
    if (log_ != nullptr) {
      STRATA_RETURN_IF_ERROR(PollLog(log_.get(), report, &gap));
    }
    if (gap) return Reload(report);
    // A checkpoint makes the next log, then switches edits to it once the
    // edits in flight committed to this one: once it holds an edit, this
    // log is complete.
    const std::string next = LogPath(generation_ + 1);
    const absl::Status exists = fs_->FileExists(next);
    if (absl::IsNotFound(exists)) {
      // Logs are deleted oldest first: if this one is gone too, so may be
      // the next ones, unread.
      if (absl::IsNotFound(fs_->FileExists(LogPath(generation_)))) {
        return Reload(report);
      }
      return absl::OkStatus();
    }
    STRATA_RETURN_IF_ERROR(exists);
    if (log_ != nullptr) {  // Edits committed before the switch.
      STRATA_RETURN_IF_ERROR(PollLog(log_.get(), report, &gap));
      if (gap) return Reload(report);
    }
    absl::StatusOr<std::unique_ptr<wal::SegmentTail>> tail =
        wal::SegmentTail::Open(fs_, next, generation_ + 1);
    if (absl::IsUnavailable(tail.status())) {
      // Its header is not on disk yet — or it reads as zeros because it is
      // being deleted in steps, which a generation after it proves.
      if (fs_->FileExists(LogPath(generation_ + 2)).ok()) {
        return Reload(report);
      }
      return absl::OkStatus();
    }
    if (absl::IsNotFound(tail.status())) return Reload(report);
    STRATA_RETURN_IF_ERROR(tail.status());
    const uint64_t edits = report->edits;
    STRATA_RETURN_IF_ERROR(PollLog(tail->get(), report, &gap));
    if (gap) return Reload(report);
    if (report->edits == edits &&
        (*tail)->offset() == wal::SegmentHeader::kSize) {
      return absl::OkStatus();  // Not switched to yet.
    }
    log_ = *std::move(tail);
    ++generation_;
    ++report->generations_crossed;
  }
  return absl::OkStatus();  // The rest at the next call.
}

absl::Status Follower::CatchUpWal(CatchUpReport* report, bool* missing) {
  *missing = false;
  std::set<uint64_t> live(state_.frozen_wals.begin(), state_.frozen_wals.end());
  if (state_.active_wal != 0) live.insert(state_.active_wal);
  for (auto it = segments_.begin(); it != segments_.end();) {
    // Retired: its records are in a table the state lists.
    it = live.count(it->first) == 0 ? segments_.erase(it) : std::next(it);
  }
  for (uint64_t n : live) {
    Segment& seg = segments_[n];
    if (seg.tail == nullptr) {
      const std::string path = io::JoinPath(wal_dir_, wal::SegmentFileName(n));
      absl::StatusOr<std::unique_ptr<wal::SegmentTail>> tail =
          wal::SegmentTail::Open(fs_, path, n);
      if (absl::IsNotFound(tail.status())) {
        segments_.erase(n);
        *missing = true;
        return absl::OkStatus();
      }
      if (absl::IsUnavailable(tail.status())) continue;  // Being made.
      STRATA_RETURN_IF_ERROR(tail.status());
      seg.tail = *std::move(tail);
    }
    const uint64_t before = seg.tail->bytes_read();
    DecodedBatch batch;
    // Every record is added, those the tables hold too: a segment's
    // memtable then holds the newest version of each key the segment has,
    // as reads expect of a memtable.
    STRATA_RETURN_IF_ERROR(seg.tail->Poll(
        /*sealed=*/n != state_.active_wal,
        [&](absl::string_view record, uint64_t offset) {
          STRATA_RETURN_IF_ERROR(
              DecodeBatch(record, seg.tail->path(), offset, &batch));
          for (const sstable::Entry& e : batch.entries) seg.mem->Add(e);
          lsn_ = std::max(lsn_, batch.entries.back().lsn);
          ++report->wal_records;
          return absl::OkStatus();
        }));
    report->bytes_read += seg.tail->bytes_read() - before;
    if (n == state_.active_wal)
      report->pending_bytes = seg.tail->pending_bytes();
  }
  return absl::OkStatus();
}

absl::StatusOr<Follower::View> Follower::CatchUp(CatchUpReport* report) {
  report->lsn_before = lsn_;
  applied_.clear();
  reloaded_ = false;
  bool forced = false;
  for (int round = 0;; ++round) {
    const uint64_t edits = report->edits;
    STRATA_RETURN_IF_ERROR(CatchUpManifest(report));
    bool progress = report->edits != edits;
    bool missing = false;
    STRATA_RETURN_IF_ERROR(CatchUpWal(report, &missing));
    if (!missing) break;
    // A segment the state lists is gone: the edit that retired it is
    // durable, so the manifest, read again, moves past it. A round that
    // found no new edit reloads the newest snapshot and its logs once (the
    // primary may have moved generations on meanwhile); only if the
    // segment is still missing after that — or after too many rounds — is
    // it damage.
    if (round > 0 && !progress && !forced) {
      forced = true;
      const uint64_t before = report->edits;
      STRATA_RETURN_IF_ERROR(Reload(report));
      progress = report->edits != before;
      if (!progress) {
        STRATA_RETURN_IF_ERROR(CatchUpWal(report, &missing));
        if (!missing) break;
      }
      continue;
    }
    if ((round > 0 && !progress) || round + 1 == kWalAttempts) {
      std::string listed;
      for (const auto& [n, seg] : segments_) absl::StrAppend(&listed, n, ",");
      return absl::DataLossError(absl::StrFormat(
          "engine: follower: a data-WAL segment the manifest lists in %s "
          "stays missing (edit %d, generation %d, active %d, frozen %d, "
          "open %s, round %d, log %s at %d (%s), next log %s)",
          wal_dir_, state_.last_sequence, generation_, state_.active_wal,
          state_.frozen_wals.size(), listed, round,
          log_ == nullptr ? "none" : log_->path(),
          log_ == nullptr ? 0 : log_->offset(),
          fs_->FileExists(LogPath(generation_)).ToString(),
          fs_->FileExists(LogPath(generation_ + 1)).ToString()));
    }
  }
  lsn_ = std::max(lsn_, state_.last_lsn);
  View view;
  view.state_changed = published_ == nullptr ||
                       published_->last_sequence != state_.last_sequence;
  if (view.state_changed) {
    published_ = std::make_shared<const manifest::State>(state_);
  }
  view.state = published_;
  for (uint64_t n : state_.frozen_wals) {
    auto it = segments_.find(n);
    view.frozen.push_back({n, it != segments_.end()
                                  ? it->second.mem
                                  : std::make_shared<MemTable>()});
  }
  auto active = segments_.find(state_.active_wal);
  view.active = active != segments_.end() ? active->second.mem
                                          : std::make_shared<MemTable>();
  view.lsn = lsn_;
  view.edits = std::move(applied_);
  applied_.clear();
  view.reloaded = reloaded_;
  report->sequence = state_.last_sequence;
  report->generation = generation_;
  report->lsn = lsn_;
  return view;
}

}  // namespace strata::engine
