// Size-tiered compaction: which tables to merge, and what a merge keeps.
//
// Tables fall into tiers by file size (tier 0 below `tier_base_bytes`, each
// next tier `tier_ratio` times larger). Once `min_tables` tables share a
// tier, the oldest of them (at most `max_tables`) are merged into one run.
// A merge keeps, of each key, the newest version every reader sees (and the
// newest each live snapshot sees), drops what a range tombstone hides from
// every reader that could see it, and drops a tombstone — point or range —
// only when nothing older it could hide remains: no older version kept by
// the merge (no snapshot below it) and no table outside the merge that may
// hold one. "Older" is judged by LSNs, never by table numbers: compaction
// outputs get new numbers but hold old data.
//
// Thread-compatible.

#ifndef STRATA_ENGINE_COMPACTION_H_
#define STRATA_ENGINE_COMPACTION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "engine/merging_iterator.h"
#include "manifest/edit.h"
#include "sstable/range_tombstones.h"

namespace strata::engine {

struct CompactionOptions {
  size_t min_tables = 4;
  size_t max_tables = 16;
  uint64_t tier_base_bytes = uint64_t{1} << 20;
  uint64_t tier_ratio = 4;
  // Tombstone compaction: a table whose tombstones (point and range) are at
  // least this fraction of its entries is compacted on its own once it is
  // older than tombstone_min_age_micros, so that deletions give space back
  // without waiting for its tier to fill. 0 turns it off. A table is
  // rewritten at most once per that age (its output is new).
  double tombstone_fraction = 0.5;
  int64_t tombstone_min_age_micros = int64_t{3600} * 1000 * 1000;
};

uint32_t TierOf(uint64_t file_size, const CompactionOptions& options);

// The tables to merge next, oldest first: the lowest tier holding at least
// min_tables tables not in `exclude`. Empty when no tier is due.
std::vector<manifest::TableMeta> PickSizeTiered(
    const manifest::State& state, const CompactionOptions& options,
    const std::set<uint64_t>& exclude);

// The table to compact alone for its tombstones (see CompactionOptions),
// the oldest such, or nullopt. `created_micros` says when a table was
// written (0: unknown, never picked).
std::optional<manifest::TableMeta> PickForTombstones(
    const manifest::State& state, const CompactionOptions& options,
    const std::set<uint64_t>& exclude, int64_t now_micros,
    const std::function<int64_t(const manifest::TableMeta&)>& created_micros);

// Answers whether a table outside a merge may hold a version of a key older
// than a given LSN — if none can, a tombstone at that LSN has nothing left to
// hide and is dropped.
class OutsideTables {
 public:
  OutsideTables(const manifest::State& state, const std::set<uint64_t>& inputs);
  bool MayHoldOlder(absl::string_view key, uint64_t lsn) const;
  // The same for any key in [start, end).
  bool MayHoldOlderIn(absl::string_view start, absl::string_view end,
                      uint64_t lsn) const;

 private:
  std::vector<manifest::TableMeta> others_;
};

// What a merge judges by.
struct MergeRules {
  const OutsideTables* outside = nullptr;
  // LSNs of the live snapshots, ascending.
  std::vector<uint64_t> snapshots;
  // The range tombstones of the merge's inputs.
  const sstable::TombstoneIndex* ranges = nullptr;
};

// Reads `input` to its end, calling emit() for each entry a merge keeps.
// Returns the input's error, or the first error of emit().
[[nodiscard]] absl::Status MergeForCompaction(
    EntryIterator* input, const MergeRules& rules,
    const std::function<absl::Status(const sstable::Entry&)>& emit);

// The range tombstones of the inputs that the merge's output keeps.
std::vector<sstable::RangeTombstone> KeptRangeTombstones(
    const MergeRules& rules);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_COMPACTION_H_
