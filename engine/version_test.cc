#include "engine/version.h"

#include <vector>

#include "gtest/gtest.h"

namespace strata::engine {
namespace {

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
