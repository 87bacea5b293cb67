// Check: verifies a database's files against one state of its manifest.
//
// Every table the state lists must be present, of the recorded size, with
// the recorded whole-file checksum, and every block must verify; every
// data-WAL segment it lists must exist. A missing or damaged file is
// DataLoss naming it.
//
// The caller pins the state (the engine holds a Version, so a compaction
// meanwhile deletes none of its tables). A WAL segment may still be retired
// meanwhile (its data flushed to a table): one missing from disk is skipped
// if `current()`, the manifest's newest state, no longer lists it either.
//
// Thread-safety: a function of its arguments; reads files only.

#ifndef STRATA_ENGINE_CHECK_H_
#define STRATA_ENGINE_CHECK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/progress.h"
#include "io/file_system.h"
#include "manifest/edit.h"

namespace strata::engine {

// What Check verified.
struct CheckReport {
  uint64_t tables = 0;
  uint64_t table_bytes = 0;
  uint64_t entries = 0;
  uint64_t wal_segments = 0;
};

struct CheckTarget {
  io::FileSystem* fs = nullptr;
  std::string sst_dir;
  std::string wal_dir;
  // The manifest's newest state, asked about a WAL segment found missing.
  std::function<std::shared_ptr<const manifest::State>()> current;
  // Called after each table, with tables verified of the tables listed.
  ProgressFn progress;
};

[[nodiscard]] absl::StatusOr<CheckReport> CheckFiles(
    const CheckTarget& target, const manifest::State& pinned);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CHECK_H_
