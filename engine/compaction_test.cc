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
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::vector<sstable::Entry> e_;
  size_t i_ = 0;
};

std::vector<std::string> Merge(std::vector<sstable::Entry> in,
                               const manifest::State& state,
                               std::set<uint64_t> inputs) {
  Entries it(std::move(in));
  std::vector<std::string> kept;
  EXPECT_OK(MergeForCompaction(
      &it, OutsideTables(state, inputs), [&](const sstable::Entry& e) {
        kept.push_back(absl::StrCat(e.key, "@", e.lsn));
        return absl::OkStatus();
      }));
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

}  // namespace
}  // namespace strata::engine
