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

std::optional<manifest::TableMeta> PickForTombstones(
    const manifest::State& state, const CompactionOptions& options,
    const std::set<uint64_t>& exclude, int64_t now_micros,
    const std::function<int64_t(const manifest::TableMeta&)>& created_micros) {
  if (options.tombstone_fraction <= 0) return std::nullopt;
  std::vector<manifest::TableMeta> dense;
  state.tables.ForEach([&](const manifest::TableMeta& t) {
    if (t.tombstones != 0 && exclude.count(t.number) == 0 &&
        t.tombstones >= options.tombstone_fraction * t.entries) {
      dense.push_back(t);
    }
  });
  std::sort(dense.begin(), dense.end(),
            [](const manifest::TableMeta& a, const manifest::TableMeta& b) {
              return a.largest_lsn < b.largest_lsn;
            });
  for (const manifest::TableMeta& t : dense) {
    const int64_t created = created_micros(t);
    if (created != 0 &&
        now_micros - created >= options.tombstone_min_age_micros) {
      return t;
    }
  }
  return std::nullopt;
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

bool OutsideTables::MayHoldOlderIn(absl::string_view start,
                                   absl::string_view end, uint64_t lsn) const {
  for (const manifest::TableMeta& t : others_) {
    if (t.smallest_lsn < lsn && absl::string_view(t.smallest_key) < end &&
        start <= absl::string_view(t.largest_key)) {
      return true;
    }
  }
  return false;
}

namespace {

// The stripe of `lsn`: the oldest snapshot that sees it, or UINT64_MAX (only
// readers of the latest state do). Versions in one stripe look alike to
// every reader: only the newest of them is ever read.
uint64_t StripeOf(const std::vector<uint64_t>& snapshots, uint64_t lsn) {
  auto it = std::lower_bound(snapshots.begin(), snapshots.end(), lsn);
  return it == snapshots.end() ? UINT64_MAX : *it;
}

// Whether no snapshot is older than `lsn`: then every older version shares
// its stripe.
bool NoSnapshotBelow(const std::vector<uint64_t>& snapshots, uint64_t lsn) {
  return snapshots.empty() || snapshots.front() >= lsn;
}

}  // namespace

absl::Status MergeForCompaction(
    EntryIterator* input, const MergeRules& rules,
    const std::function<absl::Status(const sstable::Entry&)>& emit) {
  std::string last_key;
  uint64_t last_stripe = 0;
  bool have_last = false;
  for (; input->Valid(); input->Next()) {
    const sstable::Entry& e = input->entry();
    const uint64_t stripe = StripeOf(rules.snapshots, e.lsn);
    if (have_last && e.key == last_key && stripe == last_stripe) {
      continue;  // Shadowed by a newer version every reader of it sees.
    }
    last_key.assign(e.key.data(), e.key.size());
    last_stripe = stripe;
    have_last = true;
    // A range tombstone above it that every reader of it sees.
    if (rules.ranges != nullptr &&
        rules.ranges->CoversIn(e.key, e.lsn, stripe)) {
      continue;
    }
    if (e.kind == sstable::EntryKind::kDelete &&
        NoSnapshotBelow(rules.snapshots, e.lsn) &&
        !rules.outside->MayHoldOlder(e.key, e.lsn)) {
      continue;  // Nothing left for the tombstone to hide.
    }
    STRATA_RETURN_IF_ERROR(emit(e));
  }
  return input->status();
}

std::vector<sstable::RangeTombstone> KeptRangeTombstones(
    const MergeRules& rules) {
  std::vector<sstable::RangeTombstone> kept;
  if (rules.ranges == nullptr) return kept;
  for (const sstable::RangeTombstone& t : rules.ranges->tombstones()) {
    // The merge drops what it covers only within its stripe: with a
    // snapshot below it, older versions survive and it must still hide
    // them; a table outside the merge may hold more.
    if (NoSnapshotBelow(rules.snapshots, t.lsn) &&
        !rules.outside->MayHoldOlderIn(t.start, t.end, t.lsn)) {
      continue;
    }
    kept.push_back(t);
  }
  return kept;
}

}  // namespace strata::engine
