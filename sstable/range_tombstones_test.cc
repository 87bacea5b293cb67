#include "sstable/range_tombstones.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace strata::sstable {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RangeTombstonesTest, GoldenBlockBytes) {
  std::string block;
  EncodeRangeTombstones({{"a", "c", 7}, {"b", "d", 2}}, &block);
  EXPECT_EQ(absl::BytesToHexString(block),
            "0161016307"    // ["a", "c") lsn 7
            "0162016402");  // ["b", "d") lsn 2
  std::vector<RangeTombstone> back;
  ASSERT_OK(DecodeRangeTombstones(block, "t", 0, &back));
  EXPECT_EQ(back, (std::vector<RangeTombstone>{{"a", "c", 7}, {"b", "d", 2}}));
}

TEST(RangeTombstonesTest, BadBlocksAreDataLossNamingTheOffset) {
  std::vector<RangeTombstone> out;
  std::string empty_range;
  EncodeRangeTombstones({{"b", "b", 1}}, &empty_range);
  EXPECT_THAT(DecodeRangeTombstones(empty_range, "x.sst", 100, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("x.sst")));
  std::string unordered;
  EncodeRangeTombstones({{"b", "c", 1}, {"a", "c", 1}}, &unordered);
  EXPECT_THAT(DecodeRangeTombstones(unordered, "x.sst", 100, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("order")));
  EXPECT_THAT(DecodeRangeTombstones("\x05"
                                    "ab",
                                    "x.sst", 100, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("offset 10")));
}

// The index against a brute-force answer over every key of a small
// alphabet, for overlapping tombstones.
TEST(TombstoneIndexTest, AgreesWithBruteForce) {
  const std::vector<RangeTombstone> tombstones = {
      {"b", "f", 5}, {"d", "h", 3}, {"d", "e", 9}, {"a", "b", 2},
      {"g", "k", 7}, {"c", "d", 1}, {"b", "f", 4}};
  const TombstoneIndex index(tombstones);
  for (char c = 'a'; c <= 'l'; ++c) {
    for (const std::string key : {std::string(1, c), std::string(1, c) + "x"}) {
      for (uint64_t max = 0; max <= 10; ++max) {
        uint64_t want = 0;
        for (const RangeTombstone& t : tombstones) {
          if (t.start <= key && key < t.end && t.lsn <= max) {
            want = std::max(want, t.lsn);
          }
        }
        EXPECT_EQ(index.MaxCovering(key, max), want) << key << " " << max;
        for (uint64_t above = 0; above <= max; ++above) {
          bool any = false;
          for (const RangeTombstone& t : tombstones) {
            any |=
                t.start <= key && key < t.end && t.lsn > above && t.lsn <= max;
          }
          EXPECT_EQ(index.CoversIn(key, above, max), any)
              << key << " (" << above << ", " << max << "]";
        }
      }
    }
  }
  EXPECT_EQ(index.tombstones().front(), (RangeTombstone{"a", "b", 2}));
}

TEST(TombstoneIndexTest, EmptyCoversNothing) {
  const TombstoneIndex index;
  EXPECT_EQ(index.MaxCovering("a", UINT64_MAX), 0u);
  EXPECT_FALSE(index.CoversIn("a", 0, UINT64_MAX));
}

}  // namespace
}  // namespace strata::sstable
