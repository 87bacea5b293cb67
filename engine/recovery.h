// Recovery of a database's data WAL at open, and the orphan rules: plain
// functions over (file system, directory, manifest state), so each is tested
// on its own (engine/recovery_test.cc). Engine::Open calls them in this
// order: replay, then (when deletions are allowed) the orphan deletions.
//
// Thread-compatible: open runs them before any other thread exists.

#ifndef STRATA_ENGINE_RECOVERY_H_
#define STRATA_ENGINE_RECOVERY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/memtable.h"
#include "io/file_system.h"
#include "manifest/edit.h"
#include "wal/reader.h"

namespace strata::engine {

// A memtable that is full and awaits its flush, with the data-WAL segment
// that holds its records.
struct FrozenMemTable {
  uint64_t wal = 0;
  std::shared_ptr<MemTable> mem;
};

struct WalReplayOptions {
  bool best_effort = false;  // wal::ReaderOptions::best_effort.
  bool strict_tail = false;  // wal::ReaderOptions::strict_tail.
  uint64_t max_record_size = 0;
};

// What replaying the data WAL found.
struct ReplayedWal {
  std::vector<FrozenMemTable> frozen;  // One per frozen segment, oldest first.
  std::shared_ptr<MemTable> active;    // The active segment's records.
  uint64_t lsn = 0;                    // The newest LSN read.
  uint64_t active_bytes = 0;           // Record bytes in the active segment.
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t entries = 0;
  // Entries at or below the manifest's last LSN: in tables already.
  uint64_t entries_flushed = 0;
  std::vector<wal::SkippedRange> skipped;  // Best effort only.
  wal::Tail tail;  // Of the active segment: where a writer continues.
};

// Replays the data-WAL segments `state` lists (its frozen ones, then its
// active one) from `wal_dir` into memtables, one per segment. Entries at or
// below state.last_lsn are counted but not added: a flush of the active
// memtable keeps its segment, and those entries are in a table already.
// Changes nothing on disk. DataLoss if the listed segments are not
// consecutive, or per the reader's rules (wal/reader.h).
// Requires state.active_wal != 0.
[[nodiscard]] absl::StatusOr<ReplayedWal> ReplayDataWal(
    io::FileSystem* fs, const std::string& wal_dir,
    const manifest::State& state, const WalReplayOptions& options);

// A segment numbered past the active one gets records only after the edit
// that makes it active is durable: one that holds records while `state`
// names it neither active nor frozen proves an edit was lost (a damaged
// manifest record taken for a torn tail, say). DataLoss naming it, so that
// its acknowledged records are neither dropped nor deleted as an orphan.
[[nodiscard]] absl::Status CheckNoUnnamedWal(io::FileSystem* fs,
                                             const std::string& wal_dir,
                                             const manifest::State& state);

// Orphans (docs/design.md) are files that no edit names and no operation
// owns. Both functions delete only names Strata writes, and return the
// paths they deleted; a file that cannot be removed now is an orphan again
// at the next open. Call them only when deletions are allowed (no data was
// skipped by a best-effort recovery).
//
// In `wal_dir`: NNNNNN.log segments `state` lists neither as active nor as
// frozen.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> DeleteWalOrphans(
    io::FileSystem* fs, const std::string& wal_dir,
    const manifest::State& state);
// In `sst_dir`: NNNNNN.sst tables numbered below state.next_table_number
// that `state` does not list (numbers from there on belong to the running
// engine's own work), and NNNNNN.sst.tmp temporaries of older versions.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> DeleteTableOrphans(
    io::FileSystem* fs, const std::string& sst_dir,
    const manifest::State& state);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_RECOVERY_H_
