#include "engine/compaction.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using sstable::EntryKind;

manifest::TableMeta Table(uint64_t number, uint64_t size, std::string lo,
                          std::string hi, uint64_t lsn_lo, uint64_t lsn_hi) {
  manifest::TableMeta t;
  t.number = number;
  t.file_size = size;
  t.smallest_key = std::move(lo);
  t.largest_key = std::move(hi);
  t.smallest_lsn = lsn_lo;
  t.largest_lsn = lsn_hi;
  return t;
}

TEST(CompactionTest, TiersGrowByTheRatio) {
  CompactionOptions o;
  o.tier_base_bytes = 100;
  o.tier_ratio = 4;
  EXPECT_EQ(TierOf(0, o), 0u);
  EXPECT_EQ(TierOf(99, o), 0u);
  EXPECT_EQ(TierOf(100, o), 1u);
  EXPECT_EQ(TierOf(399, o), 1u);
  EXPECT_EQ(TierOf(400, o), 2u);
  // 100 * 4^28 <= UINT64_MAX < 100 * 4^29: limits 100 * 4^0 .. 4^28.
  EXPECT_EQ(TierOf(UINT64_MAX, o), 29u);
}

TEST(CompactionTest, PicksTheLowestFullTierOldestFirst) {
  CompactionOptions o;
  o.tier_base_bytes = 100;
  o.tier_ratio = 4;
  o.min_tables = 3;
  o.max_tables = 3;
  manifest::State state;
  state.tables.Put(Table(1, 150, "a", "b", 1, 1));  // Tier 1.
  state.tables.Put(Table(2, 150, "a", "b", 2, 2));
  state.tables.Put(Table(3, 50, "a", "b", 3, 3));  // Tier 0.
  state.tables.Put(Table(4, 150, "a", "b", 4, 4));
  state.tables.Put(Table(5, 150, "a", "b", 5, 5));
  EXPECT_TRUE(PickSizeTiered(state, o, {}).empty() == false);
  std::vector<manifest::TableMeta> picked = PickSizeTiered(state, o, {});
  ASSERT_EQ(picked.size(), 3u);
  EXPECT_EQ(picked[0].number, 1u);
  EXPECT_EQ(picked[2].number, 4u);
  // Excluded (damaged) tables are never picked.
  EXPECT_TRUE(PickSizeTiered(state, o, {1, 2}).empty());
}

class Entries : public EntryIterator {
 public:
  explicit Entries(std::vector<sstable::Entry> e) : e_(std::move(e)) {}
  bool Valid() const override { return i_ < e_.size(); }
  const sstable::Entry& entry() const override { return e_[i_]; }
  void Next() override { ++i_; }
  void SeekToFirst() override { i_ = 0; }
  void Seek(absl::string_view key) override {
    for (i_ = 0; i_ < e_.size() && e_[i_].key < key;) ++i_;
  }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::vector<sstable::Entry> e_;
  size_t i_ = 0;
};

std::vector<std::string> Merge(
    std::vector<sstable::Entry> in, const manifest::State& state,
    std::set<uint64_t> inputs, std::vector<uint64_t> snapshots = {},
    std::vector<sstable::RangeTombstone> ranges = {},
    std::vector<sstable::RangeTombstone>* kept_ranges = nullptr) {
  Entries it(std::move(in));
  const OutsideTables outside(state, inputs);
  const sstable::TombstoneIndex index(std::move(ranges));
  const MergeRules rules{&outside, std::move(snapshots), &index};
  std::vector<std::string> kept;
  EXPECT_OK(MergeForCompaction(&it, rules, [&](const sstable::Entry& e) {
    kept.push_back(absl::StrCat(e.key, "@", e.lsn));
    return absl::OkStatus();
  }));
  if (kept_ranges != nullptr) *kept_ranges = KeptRangeTombstones(rules);
  return kept;
}

TEST(CompactionTest, KeepsTheNewestVersionAndDropsBottomTombstones) {
  manifest::State state;
  state.tables.Put(Table(1, 10, "a", "z", 1, 10));
  state.tables.Put(Table(2, 10, "a", "z", 11, 20));
  const std::vector<sstable::Entry> in = {{"a", 15, EntryKind::kPut, "new"},
                                          {"a", 3, EntryKind::kPut, "old"},
                                          {"b", 12, EntryKind::kDelete, {}},
                                          {"b", 2, EntryKind::kPut, "x"},
                                          {"c", 4, EntryKind::kPut, "c"}};
  // Both tables merged: b's tombstone has nothing below it.
  EXPECT_EQ(Merge(in, state, {1, 2}),
            (std::vector<std::string>{"a@15", "c@4"}));
}

TEST(CompactionTest, KeepsATombstoneThatAnOutsideTableNeeds) {
  manifest::State state;
  state.tables.Put(Table(1, 10, "a", "z", 1, 10));   // Outside, older.
  state.tables.Put(Table(2, 10, "a", "z", 11, 20));  // Merged.
  state.tables.Put(Table(3, 10, "m", "z", 21, 30));  // Merged.
  const std::vector<sstable::Entry> in = {{"b", 12, EntryKind::kDelete, {}},
                                          {"n", 25, EntryKind::kDelete, {}}};
  EXPECT_EQ(Merge(in, state, {2, 3}),
            (std::vector<std::string>{"b@12", "n@25"}));
  // An outside table newer than the tombstone hides nothing under it.
  manifest::State newer;
  newer.tables.Put(Table(1, 10, "a", "z", 50, 60));
  newer.tables.Put(Table(2, 10, "a", "z", 11, 20));
  EXPECT_TRUE(Merge(in, newer, {2}).empty());
}

TEST(CompactionTest, KeepsTheNewestVersionEachSnapshotSees) {
  manifest::State state;
  state.tables.Put(Table(1, 10, "a", "z", 1, 20));
  const std::vector<sstable::Entry> in = {
      {"a", 15, EntryKind::kPut, "v15"}, {"a", 9, EntryKind::kPut, "v9"},
      {"a", 7, EntryKind::kPut, "v7"},   {"a", 3, EntryKind::kPut, "v3"},
      {"b", 12, EntryKind::kDelete, {}}, {"b", 2, EntryKind::kPut, "x"}};
  // Snapshots at 8 and 10: a@9 is what 10 sees, a@7 what 8 sees; a@3 is
  // seen by nobody. b's tombstone must stay: snapshot 8 still sees b@2.
  EXPECT_EQ(Merge(in, state, {1}, {8, 10}),
            (std::vector<std::string>{"a@15", "a@9", "a@7", "b@12", "b@2"}));
  // Without snapshots only the newest survives, and b goes entirely.
  EXPECT_EQ(Merge(in, state, {1}), (std::vector<std::string>{"a@15"}));
}

TEST(CompactionTest, ARangeTombstoneDropsWhatItCoversUnlessASnapshotSeesIt) {
  manifest::State state;
  state.tables.Put(Table(1, 10, "a", "z", 1, 20));
  const std::vector<sstable::Entry> in = {{"a", 3, EntryKind::kPut, "a"},
                                          {"c", 2, EntryKind::kPut, "c"},
                                          {"c", 1, EntryKind::kPut, "c0"},
                                          {"d", 12, EntryKind::kPut, "d"},
                                          {"f", 4, EntryKind::kPut, "f"}};
  const std::vector<sstable::RangeTombstone> ranges = {{"b", "e", 10}};
  std::vector<sstable::RangeTombstone> kept;
  // c@2 and c@1 are under the tombstone; d@12 is newer than it.
  EXPECT_EQ(Merge(in, state, {1}, {}, ranges, &kept),
            (std::vector<std::string>{"a@3", "d@12", "f@4"}));
  EXPECT_TRUE(kept.empty());  // Nothing left for it to hide.
  // A snapshot at 5 still sees c@2: it stays, and so must the tombstone.
  EXPECT_EQ(Merge(in, state, {1}, {5}, ranges, &kept),
            (std::vector<std::string>{"a@3", "c@2", "d@12", "f@4"}));
  EXPECT_EQ(kept, ranges);
}

// The reference design's resurrection: it judged which tables are older by
// their numbers, but a compaction's output gets a new (larger) number while
// holding old data. Table 9, a compaction output, holds key "k" at LSN 1;
// table 7, numbered lower, holds a range tombstone over "k" at LSN 5.
// Compacting table 7 alone must keep the tombstone: "k" would come back.
TEST(CompactionTest, ARangeTombstoneStaysWhileAnOutsideTableHoldsOlderData) {
  manifest::State state;
  state.tables.Put(Table(7, 10, "a", "z", 5, 5));  // The tombstone.
  state.tables.Put(Table(9, 10, "k", "k", 1, 1));  // Older data, newer number.
  std::vector<sstable::RangeTombstone> kept;
  EXPECT_TRUE(Merge({}, state, {7}, {}, {{"a", "z", 5}}, &kept).empty());
  EXPECT_EQ(kept, (std::vector<sstable::RangeTombstone>{{"a", "z", 5}}));
  // Once table 9 is merged too, the tombstone has done its work.
  EXPECT_TRUE(Merge({{"k", 1, EntryKind::kPut, "old"}}, state, {7, 9}, {},
                    {{"a", "z", 5}}, &kept)
                  .empty());
  EXPECT_TRUE(kept.empty());
  // An outside table that does not overlap the range does not hold it back.
  manifest::State apart;
  apart.tables.Put(Table(7, 10, "a", "c", 5, 5));
  apart.tables.Put(Table(9, 10, "k", "k", 1, 1));
  Merge({}, apart, {7}, {}, {{"a", "c", 5}}, &kept);
  EXPECT_TRUE(kept.empty());
}

TEST(CompactionTest, PicksATableDenseWithTombstonesOnceItIsOldEnough) {
  CompactionOptions o;
  o.tombstone_fraction = 0.5;
  o.tombstone_min_age_micros = 100;
  manifest::State state;
  manifest::TableMeta sparse = Table(1, 10, "a", "b", 1, 1);
  sparse.entries = 10;
  sparse.tombstones = 4;
  manifest::TableMeta dense = Table(2, 10, "a", "b", 2, 2);
  dense.entries = 10;
  dense.tombstones = 5;
  state.tables.Put(sparse);
  state.tables.Put(dense);
  auto created = [](const manifest::TableMeta&) -> int64_t { return 1000; };
  EXPECT_FALSE(PickForTombstones(state, o, {}, 1099, created).has_value());
  std::optional<manifest::TableMeta> picked =
      PickForTombstones(state, o, {}, 1100, created);
  ASSERT_TRUE(picked.has_value());
  EXPECT_EQ(picked->number, 2u);
  EXPECT_FALSE(PickForTombstones(state, o, {2}, 1100, created).has_value());
  // An unknown creation time (a table from before the field) is never old.
  EXPECT_FALSE(
      PickForTombstones(state, o, {}, 1100,
                        [](const manifest::TableMeta&) -> int64_t { return 0; })
          .has_value());
  o.tombstone_fraction = 0;  // Off.
  EXPECT_FALSE(PickForTombstones(state, o, {}, 1100, created).has_value());
}

}  // namespace
}  // namespace strata::engine
