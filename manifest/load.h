// Reading a manifest directory without changing it: what Manifest::Open
// recovers from, and what the dump and check tools show.
//
// The newest snapshot that validates is loaded (falling back to the previous
// generation when the newest is damaged) and the logs from its generation on
// are replayed, each edit checked to continue the sequence without a gap and
// to apply to the state. Damage is DataLoss naming the file and offset,
// unless `best_effort`, which stops at the longest consistent prefix and
// says what was lost.

#ifndef STRATA_MANIFEST_LOAD_H_
#define STRATA_MANIFEST_LOAD_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "manifest/edit.h"
#include "wal/reader.h"

namespace strata::manifest {

// What Open found and did.
struct RecoveryReport {
  bool created = false;  // The directory held no manifest.
  uint64_t generation = 0;
  uint64_t snapshot_sequence = 0;  // The snapshot recovery started from.
  uint64_t edits_replayed = 0;
  // A torn tail of the newest log was cut off (and where, why).
  bool repaired_torn_tail = false;
  std::string torn_tail;
  // The newest snapshot was damaged; the previous generation was used and
  // the damaged snapshot rewritten.
  bool used_previous_generation = false;
  std::string snapshot_error;
  // A checkpoint had switched edits to the next log but not yet installed
  // its snapshot: the logs were replayed in a chain from the snapshot
  // before, and the missing snapshot written (docs/manifest_format.md).
  bool finished_checkpoint = false;
  // Best effort only: what was lost after the longest consistent prefix.
  bool lost_data = false;
  std::string loss;
};

// The files of a manifest directory, by kind.
struct Listing {
  std::set<uint64_t> snapshots;
  std::set<uint64_t> logs;
  std::vector<std::string> temporaries;
};

[[nodiscard]] absl::StatusOr<Listing> ListManifestDir(io::FileSystem* fs,
                                                      const std::string& dir);

struct Loaded {
  Listing listing;
  bool empty = false;  // No snapshot and no log: no manifest here.
  // The generation to continue in: of the newest snapshot, or of the log
  // after it when a checkpoint did not install its snapshot (then
  // rebuilt_snapshot is that snapshot's state).
  uint64_t generation = 0;
  State state;  // After every edit replayed.
  // The newest log's valid end, if it exists (where writing continues).
  std::optional<uint64_t> newest_log_end;
  // A log newer than every snapshot, holding no record: left by a crash
  // during a checkpoint, before the new generation was complete. Ignored.
  std::optional<uint64_t> abandoned_log;
  // When the newest snapshot was damaged: what it should hold, rebuilt
  // from the previous generation.
  std::optional<State> rebuilt_snapshot;
  RecoveryReport report;
};

// Called for every edit replayed, with the log file and record offset.
using EditVisitor =
    std::function<void(const Edit&, const std::string& file, uint64_t offset)>;

[[nodiscard]] absl::StatusOr<Loaded> Load(io::FileSystem* fs,
                                          const std::string& dir,
                                          bool best_effort,
                                          const EditVisitor& visit = nullptr);

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_LOAD_H_
