#include "engine/compaction.h"

#include <algorithm>
#include <map>
#include <string>

#include "io/status_macros.h"

namespace strata::engine {

uint32_t TierOf(uint64_t file_size, const CompactionOptions& options) {
  uint32_t tier = 0;
  for (uint64_t limit = options.tier_base_bytes; file_size >= limit;
       limit *= options.tier_ratio) {
    ++tier;
    if (limit > UINT64_MAX / options.tier_ratio) break;
  }
  return tier;
}

std::vector<manifest::TableMeta> PickSizeTiered(
    const manifest::State& state, const CompactionOptions& options,
    const std::set<uint64_t>& exclude) {
  std::map<uint32_t, std::vector<manifest::TableMeta>> tiers;
  state.tables.ForEach([&](const manifest::TableMeta& t) {
    if (exclude.count(t.number) == 0) {
      tiers[TierOf(t.file_size, options)].push_back(t);
    }
  });
  for (auto& [tier, tables] : tiers) {
    if (tables.size() < options.min_tables) continue;
    // The oldest first. Table numbers mostly follow age, but a flush may
    // write into a file numbered before a compaction's output.
    std::stable_sort(
        tables.begin(), tables.end(),
        [](const manifest::TableMeta& a, const manifest::TableMeta& b) {
          return a.largest_lsn < b.largest_lsn;
        });
    if (tables.size() > options.max_tables) tables.resize(options.max_tables);
    return std::move(tables);
  }
  return {};
}

OutsideTables::OutsideTables(const manifest::State& state,
                             const std::set<uint64_t>& inputs) {
  state.tables.ForEach([&](const manifest::TableMeta& t) {
    if (inputs.count(t.number) == 0) others_.push_back(t);
  });
}

bool OutsideTables::MayHoldOlder(absl::string_view key, uint64_t lsn) const {
  for (const manifest::TableMeta& t : others_) {
    if (t.smallest_lsn < lsn && t.smallest_key <= key && key <= t.largest_key) {
      return true;
    }
  }
  return false;
}

absl::Status MergeForCompaction(
    EntryIterator* input, const OutsideTables& outside,
    const std::function<absl::Status(const sstable::Entry&)>& emit) {
  std::string last_key;
  bool have_last = false;
  for (; input->Valid(); input->Next()) {
    const sstable::Entry& e = input->entry();
    if (have_last && e.key == last_key) continue;  // Shadowed.
    last_key.assign(e.key.data(), e.key.size());
    have_last = true;
    if (e.kind == sstable::EntryKind::kDelete &&
        !outside.MayHoldOlder(e.key, e.lsn)) {
      continue;  // Nothing left for the tombstone to hide.
    }
    STRATA_RETURN_IF_ERROR(emit(e));
  }
  return input->status();
}

}  // namespace strata::engine
