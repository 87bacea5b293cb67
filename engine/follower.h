// Follower: the tailing half of Engine::OpenFollower (docs/engine.md,
// "Followers"; the rules in docs/manifest_format.md, "Tailing"). Internal
// to the engine.
//
// It keeps the primary's manifest state by reading the edits appended to
// the current manifest log since the last call, following the log to the
// next generation when a checkpoint switches (each edit must continue the
// sequence: a gap, or a generation deleted before it was read, reloads the
// newest snapshot instead), then reads the records appended to each live
// data-WAL segment into one memtable per segment. It writes nothing and
// takes no lock file.
//
// Costs: with nothing new, one read returning no bytes per open log or
// segment and two existence checks in manifest/; with E new edits, O(E)
// plus the new bytes, whatever the table count.
//
// Thread-compatible: the engine serializes CatchUp.

#ifndef STRATA_ENGINE_FOLLOWER_H_
#define STRATA_ENGINE_FOLLOWER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/engine.h"
#include "engine/memtable.h"
#include "engine/recovery.h"
#include "io/file_system.h"
#include "manifest/edit.h"
#include "wal/tail.h"

namespace strata::engine {

class Follower {
 public:
  Follower(io::FileSystem* fs, const std::string& dir);

  // What readers see after a catch-up.
  struct View {
    std::shared_ptr<const manifest::State> state;
    bool state_changed = false;
    std::shared_ptr<MemTable> active;
    std::vector<FrozenMemTable> frozen;  // Oldest first.
    uint64_t lsn = 0;
    // With collect_edits: the edits applied, in order; after a reload (or
    // the first call) only the state is known.
    std::vector<manifest::Edit> edits;
    bool reloaded = false;
  };
  // Keep the edits each CatchUp applies, for event listeners.
  void set_collect_edits(bool collect) { collect_edits_ = collect; }
  [[nodiscard]] absl::StatusOr<View> CatchUp(CatchUpReport* report);

 private:
  struct Segment {
    std::unique_ptr<wal::SegmentTail> tail;
    std::shared_ptr<MemTable> mem = std::make_shared<MemTable>();
  };

  absl::Status CatchUpManifest(CatchUpReport* report);
  // Loads the newest snapshot and its log, as a read-only open does.
  absl::Status Reload(CatchUpReport* report);
  // Reads the new records of `tail` into the state. *gap: an edit did not
  // continue the sequence.
  absl::Status PollLog(wal::SegmentTail* tail, CatchUpReport* report,
                       bool* gap);
  // Reads every live segment's new records; *missing: a live segment is
  // gone (the primary retired it after the edit this follower has not read).
  absl::Status CatchUpWal(CatchUpReport* report, bool* missing);
  std::string LogPath(uint64_t generation) const;

  io::FileSystem* const fs_;
  const std::string dir_;
  const std::string manifest_dir_;
  const std::string wal_dir_;
  bool loaded_ = false;
  manifest::State state_;
  std::shared_ptr<const manifest::State> published_;
  uint64_t generation_ = 0;
  std::unique_ptr<wal::SegmentTail> log_;  // Of generation_, if it exists.
  std::map<uint64_t, Segment> segments_;   // Live data-WAL segments.
  uint64_t lsn_ = 0;
  bool collect_edits_ = false;
  std::vector<manifest::Edit> applied_;
  bool reloaded_ = false;  // In this call.
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_FOLLOWER_H_
