#include "manifest/table_set.h"

#include <map>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "testing/random.h"

namespace strata::manifest {
namespace {

TableMeta Table(uint64_t number, uint64_t size = 0) {
  TableMeta t;
  t.number = number;
  t.file_size = size;
  return t;
}

// Checks `set` against a std::map model: size, lookups, order.
void ExpectSame(const TableSet& set,
                const std::map<uint64_t, uint64_t>& model) {
  ASSERT_EQ(set.size(), model.size());
  std::vector<uint64_t> seen;
  set.ForEach([&](const TableMeta& t) { seen.push_back(t.number); });
  std::vector<uint64_t> want;
  for (const auto& [n, size] : model) want.push_back(n);
  ASSERT_EQ(seen, want);
  for (const auto& [n, size] : model) {
    const TableMeta* t = set.Find(n);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->file_size, size);
  }
  EXPECT_EQ(set.MaxNumber(), model.empty() ? 0 : model.rbegin()->first);
}

TEST(TableSetTest, MatchesAMapUnderRandomChanges) {
  testing::Random rnd(5);
  TableSet set;
  std::map<uint64_t, uint64_t> model;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t n = 1 + rnd.Uniform(3000);
    if (rnd.OneIn(3)) {
      EXPECT_EQ(set.Erase(n), model.erase(n) == 1);
    } else if (rnd.OneIn(2)) {
      const bool fresh = model.count(n) == 0;
      EXPECT_EQ(set.Insert(Table(n, i)), fresh);
      if (fresh) model[n] = i;
    } else {
      set.Put(Table(n, i));
      model[n] = i;
    }
    EXPECT_EQ(set.Find(4000), nullptr);
  }
  ExpectSame(set, model);
}

TEST(TableSetTest, ManyGroupsSplitAndShrinkAndCopiesStayIndependent) {
  // Enough tables for many groups (a group holds up to 128 chunks of 64),
  // inserted in random order so that full chunks and full groups split in
  // the middle, then mostly erased so that chunks and groups empty out.
  testing::Random rnd(11);
  TableSet set;
  std::map<uint64_t, uint64_t> model;
  std::vector<std::pair<TableSet, std::map<uint64_t, uint64_t>>> copies;
  for (int i = 0; i < 60000; ++i) {
    const uint64_t n = 1 + rnd.Uniform(1 << 20);
    set.Put(Table(n, i));
    model[n] = i;
    if (i % 20000 == 0) copies.emplace_back(set, model);
  }
  for (uint64_t n = (1 << 20) + 1; n < (1 << 20) + 30000; ++n) {
    set.Put(Table(n, 1));  // Appended: fills groups at the end.
    model[n] = 1;
  }
  copies.emplace_back(set, model);
  ExpectSame(set, model);
  std::vector<uint64_t> numbers;
  for (const auto& [n, size] : model) numbers.push_back(n);
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (i % 10 != 0) {
      ASSERT_TRUE(set.Erase(numbers[i]));
      model.erase(numbers[i]);
    }
  }
  ExpectSame(set, model);
  for (const auto& [copy, copy_model] : copies) ExpectSame(copy, copy_model);
}

TEST(TableSetTest, CopiesShareChunksAndStayIndependent) {
  TableSet a;
  for (uint64_t n = 1; n <= 2000; ++n) a.Put(Table(n, 1));
  TableSet b = a;  // Cheap: shares every chunk.
  b.Erase(7);
  b.Put(Table(5000, 2));
  b.Put(Table(10, 9));
  EXPECT_EQ(a.size(), 2000u);
  EXPECT_NE(a.Find(7), nullptr);
  EXPECT_EQ(a.Find(5000), nullptr);
  EXPECT_EQ(a.Find(10)->file_size, 1u);
  EXPECT_EQ(b.size(), 2000u);
  EXPECT_EQ(b.Find(7), nullptr);
  EXPECT_EQ(b.Find(10)->file_size, 9u);
  EXPECT_FALSE(a == b);
  TableSet c = a;
  EXPECT_TRUE(a == c);
}

// Two sets loaded apart in bulk (a snapshot decoded in two parts) join into
// one that behaves as if loaded whole, and keeps working.
TEST(TableSetTest, AppendAllJoinsSetsLoadedApartAndRefusesOverlap) {
  TableSet head, tail;
  std::map<uint64_t, uint64_t> model;
  head.BeginBulkLoad();
  tail.BeginBulkLoad();
  for (uint64_t n = 1; n <= 20000; ++n) {
    (n <= 9000 ? head : tail).Put(Table(n, n));
    model[n] = n;
  }
  head.EndBulkLoad();
  tail.EndBulkLoad();
  TableSet before = tail;  // A copy keeps its tables.
  TableSet low;
  low.Put(Table(5));
  EXPECT_FALSE(head.AppendAll(std::move(low)));  // 5 is not past 9000.
  EXPECT_EQ(head.size(), 9000u);
  ASSERT_TRUE(head.AppendAll(std::move(tail)));
  EXPECT_TRUE(tail.empty());
  ExpectSame(head, model);
  EXPECT_EQ(before.size(), 11000u);
  head.Put(Table(20001, 7));  // Appends into the joined tail's last chunk.
  model[20001] = 7;
  ASSERT_TRUE(head.Erase(9001));
  model.erase(9001);
  ExpectSame(head, model);
  EXPECT_TRUE(head.AppendAll(TableSet()));
}

}  // namespace
}  // namespace strata::manifest
