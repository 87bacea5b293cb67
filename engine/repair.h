// Repair: rebuilds the manifest of a database whose manifest is missing or
// unrecoverable, from the tables and WAL segments in the directory
// (docs/engine.md, "Creating, opening read-only, and repairing").
//
//  1. What the old manifest still proves: its newest readable generation is
//     loaded best-effort (the longest consistent prefix); every table an
//     edit of that prefix removed (a committed compaction) and that is not
//     live in it is superseded, and is moved aside rather than resurrected.
//  2. Every sst/NNNNNN.sst is verified whole (every block and the file
//     checksum); its properties give key range, LSN range and counts.
//     Tables that do not verify are moved to lost/. Empty files (made ahead
//     for flushes) are left for the engine.
//  3. Every wal/NNNNNN.log the old manifest did not retire (if it was
//     readable) is replayed, in order, up to its first damage — only its
//     entries above the highest LSN the kept tables (and the old manifest)
//     hold: an older entry may be one a since-compacted delete removed:
//     point-in-time, so by default nothing after the first damaged region is
//     replayed (later segments neither), and the report names each byte
//     range and the LSNs after which data may be missing. With
//     `salvage_wal`, replay continues past damage (not point-in-time). The
//     records replayed are written to one new table. Segments holding
//     anything not replayed are moved to lost/; fully replayed ones are left
//     for the next open to delete (their data is in the new table).
//  4. A new manifest is written as one snapshot (temporary file, sync,
//     rename, directory sync) of a generation past every file in manifest/:
//     every table kept and rebuilt, the largest LSN seen, a
//     next_table_number past every number seen and a new, empty active WAL
//     segment past every segment seen. Then the old manifest's files are
//     moved to lost/ (a crash before that leaves the new generation the
//     newest, which a second repair reads as the old manifest).
//
// The result is one point in time of the database unless a table the old
// manifest lists (or one no manifest lists) cannot be used, or WAL damage
// is salvaged past; the report says so, naming files and LSNs.
//
// Repair deletes nothing, never reuses a number and creates every file
// exclusively. Tables overlap freely:
// reads take the version with the largest LSN, so the newest version of a
// key wins exactly as before. Every step is ordered so that a crash at any
// point leaves a directory that repair can be run on again (a duplicate
// table from a replay done twice is harmless: same keys, same LSNs).
//
// Repair takes the directory's LOCK: it refuses a database that is open.

#ifndef STRATA_ENGINE_REPAIR_H_
#define STRATA_ENGINE_REPAIR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/progress.h"
#include "io/file_system.h"
#include "sstable/table_writer.h"

namespace strata::engine {

struct RepairOptions {
  // Replay data-WAL records after a damaged region too (best effort). The
  // result is then not point-in-time: later writes may be present while
  // some earlier ones are lost. The report says which.
  bool salvage_wal = false;
  // Largest data-WAL record accepted (EngineOptions::max_batch_bytes).
  uint64_t max_batch_bytes = uint64_t{16} << 20;
  sstable::TableWriterOptions table;
  // Called as tables are verified (done of the files in sst/).
  ProgressFn progress;
};

struct RepairReport {
  struct Table {
    std::string path;
    uint64_t entries = 0;
    uint64_t bytes = 0;
    uint64_t smallest_lsn = 0;
    uint64_t largest_lsn = 0;
  };
  struct Moved {
    std::string from;
    std::string to;
    std::string reason;
  };
  // Data-WAL bytes that were not replayed, and the LSNs around them: every
  // record after `after_lsn` may be missing, up to `before_lsn` (0: up to
  // the end of the log).
  struct Unrecovered {
    std::string path;
    uint64_t begin = 0;
    uint64_t end = 0;
    uint64_t after_lsn = 0;
    uint64_t before_lsn = 0;
    std::string reason;
  };

  // What the old manifest proved ("" if there was none).
  std::string old_manifest;
  std::vector<Table> tables_kept;
  std::vector<Table> tables_rebuilt;  // From the data WAL.
  // Empty table files made ahead, and WAL segments the old manifest had
  // retired (their data is in tables): left for the engine to delete.
  std::vector<std::string> ignored;
  std::vector<Moved> moved;   // Into lost/.
  uint64_t wal_segments = 0;  // Read.
  uint64_t wal_records = 0;   // Read whole.
  uint64_t wal_entries = 0;   // Replayed.
  // Entries read but not replayed: at or below `covered_lsn`, the highest
  // LSN the kept tables and the old manifest's readable prefix hold.
  uint64_t wal_entries_covered = 0;
  uint64_t covered_lsn = 0;
  // Why the result is not one point in time of the database (empty: it
  // is): each names the file and the LSNs whose entries are missing while
  // later ones are kept.
  std::vector<std::string> not_point_in_time;
  std::vector<Unrecovered> unrecovered;
  // The new manifest.
  uint64_t last_lsn = 0;
  uint64_t next_table_number = 0;
  uint64_t active_wal = 0;
};

// Repairs the database in `dir`. NotFound if there is none;
// FailedPrecondition if `dir` holds no Strata files but others, or the
// database is open. `fs` is used for every byte.
[[nodiscard]] absl::StatusOr<RepairReport> Repair(io::FileSystem* fs,
                                                  const std::string& dir,
                                                  RepairOptions options = {});

// The report as text (one fact per line) or as one JSON object.
std::string RepairReportText(const RepairReport& report);
std::string RepairReportJson(const RepairReport& report);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_REPAIR_H_
