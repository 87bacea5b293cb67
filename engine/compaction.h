// Size-tiered compaction: which tables to merge, and what a merge keeps.
//
// Tables fall into tiers by file size (tier 0 below `tier_base_bytes`, each
// next tier `tier_ratio` times larger). Once `min_tables` tables share a
// tier, the oldest of them (at most `max_tables`) are merged into one run.
// A merge keeps only the newest version of each key, and drops a tombstone
// when no table outside the merge can hold an older version of its key.
//
// Thread-compatible.

#ifndef STRATA_ENGINE_COMPACTION_H_
#define STRATA_ENGINE_COMPACTION_H_

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "engine/merging_iterator.h"
#include "manifest/edit.h"

namespace strata::engine {

struct CompactionOptions {
  size_t min_tables = 4;
  size_t max_tables = 16;
  uint64_t tier_base_bytes = uint64_t{1} << 20;
  uint64_t tier_ratio = 4;
};

uint32_t TierOf(uint64_t file_size, const CompactionOptions& options);

// The tables to merge next, oldest first: the lowest tier holding at least
// min_tables tables not in `exclude`. Empty when no tier is due.
std::vector<manifest::TableMeta> PickSizeTiered(
    const manifest::State& state, const CompactionOptions& options,
    const std::set<uint64_t>& exclude);

// Answers whether a table outside a merge may hold a version of a key older
// than a given LSN — if none can, a tombstone at that LSN has nothing left to
// hide and is dropped.
class OutsideTables {
 public:
  OutsideTables(const manifest::State& state, const std::set<uint64_t>& inputs);
  bool MayHoldOlder(absl::string_view key, uint64_t lsn) const;

 private:
  std::vector<manifest::TableMeta> others_;
};

// Reads `input` to its end, calling emit() for each entry a merge keeps.
// Returns the input's error, or the first error of emit().
[[nodiscard]] absl::Status MergeForCompaction(
    EntryIterator* input, const OutsideTables& outside,
    const std::function<absl::Status(const sstable::Entry&)>& emit);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_COMPACTION_H_
