#include "engine/version.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "testing/random.h"

namespace strata::engine {
namespace {

// The index against a scan of every table: the same tables for every key,
// newest first, and as few runs as the deepest overlap.
TEST(TableIndexTest, HoldingAgreesWithAScanAndRunsMatchTheOverlapDepth) {
  testing::Random rnd(11);
  for (int round = 0; round < 20; ++round) {
    manifest::State state;
    const int tables = 1 + rnd.Uniform(200);
    for (int n = 1; n <= tables; ++n) {
      manifest::TableMeta t;
      t.number = n;
      const int lo = rnd.Uniform(1000);
      const int width = rnd.OneIn(4) ? rnd.Uniform(400) : rnd.Uniform(20);
      t.smallest_key = absl::StrFormat("%04d", lo);
      t.largest_key = absl::StrFormat("%04d", lo + width);
      t.largest_lsn = rnd.Uniform(1u << 20) * 256 + n;  // Distinct.
      state.tables.Put(t);
    }
    const TableIndex index(state);
    size_t deepest = 0;
    for (int k = 0; k < 1500; ++k) {
      const std::string key = absl::StrFormat("%04d", k);
      std::vector<const manifest::TableMeta*> want;
      state.tables.ForEach([&](const manifest::TableMeta& t) {
        if (t.smallest_key <= key && key <= t.largest_key) want.push_back(&t);
      });
      std::sort(want.begin(), want.end(), [](const auto* a, const auto* b) {
        return a->largest_lsn > b->largest_lsn;
      });
      ASSERT_EQ(index.Holding(key), want) << key;
      ASSERT_EQ(index.Holding(key + "5"), index.Holding(key + "5"));
      deepest = std::max(deepest, want.size());
    }
    EXPECT_EQ(index.runs().size(), deepest);
    size_t in_runs = 0;
    for (const auto& run : index.runs()) {
      in_runs += run.size();
      for (size_t i = 1; i < run.size(); ++i) {
        ASSERT_LT(run[i - 1]->largest_key, run[i]->smallest_key);
      }
    }
    EXPECT_EQ(in_runs, static_cast<size_t>(tables));
  }
}

TEST(VersionTrackerTest, DeletesARetiredTableOnceNoOlderVersionIsAlive) {
  std::vector<uint64_t> deleted;
  VersionTracker tracker([&](const std::vector<uint64_t>& n) {
    deleted.insert(deleted.end(), n.begin(), n.end());
  });
  auto state = std::make_shared<const manifest::State>();
  std::shared_ptr<const Version> current = tracker.Make(state);
  std::shared_ptr<const Version> reader = current;  // A reader pins it.
  current = tracker.Make(state);  // Made without tables 7 and 8.
  tracker.Retire({7, 8});
  EXPECT_TRUE(deleted.empty());
  EXPECT_EQ(tracker.pending(), 2u);
  reader.reset();
  EXPECT_EQ(deleted, (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.live_versions(), 1u);
}

TEST(VersionTrackerTest, ANewerReaderDoesNotHoldBackAnOlderRemoval) {
  std::vector<uint64_t> deleted;
  VersionTracker tracker([&](const std::vector<uint64_t>& n) {
    deleted.insert(deleted.end(), n.begin(), n.end());
  });
  auto state = std::make_shared<const manifest::State>();
  std::shared_ptr<const Version> old_reader = tracker.Make(state);
  std::shared_ptr<const Version> v2 = tracker.Make(state);
  tracker.Retire({1});  // v2 does not list 1; old_reader does.
  std::shared_ptr<const Version> v3 = tracker.Make(state);
  tracker.Retire({2});  // v3 does not list 2; v2 and old_reader do.
  old_reader.reset();
  EXPECT_EQ(deleted, (std::vector<uint64_t>{1}));
  v2.reset();
  EXPECT_EQ(deleted, (std::vector<uint64_t>{1, 2}));
}

TEST(VersionTrackerTest, RetiringWithNoOlderReaderDeletesAtOnce) {
  std::vector<uint64_t> deleted;
  VersionTracker tracker([&](const std::vector<uint64_t>& n) {
    deleted.insert(deleted.end(), n.begin(), n.end());
  });
  std::shared_ptr<const Version> v =
      tracker.Make(std::make_shared<const manifest::State>());
  tracker.Retire({4});
  EXPECT_EQ(deleted, (std::vector<uint64_t>{4}));
}

}  // namespace
}  // namespace strata::engine
