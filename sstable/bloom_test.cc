#include "sstable/bloom.h"

#include <string>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace strata::sstable {
namespace {

using ::strata::testing::StatusIs;

// The hash is part of the format: these values pin it (FNV-1a 64, then
// fmix64; computed separately in Python).
TEST(KeyHashTest, IsPinned) {
  EXPECT_EQ(KeyHash(""), 0xefd01f60ba992926u);
  EXPECT_EQ(KeyHash("a"), 0x82a2a958a9bece5bu);
  EXPECT_EQ(KeyHash("key000001"), 0x78a09dd869901d0eu);
}

TEST(BloomFilterTest, NoFalseNegativesAndFewFalsePositives) {
  BloomFilterBuilder builder;
  for (int i = 0; i < 10000; ++i) {
    builder.Add(KeyHash(absl::StrFormat("present%d", i)));
  }
  std::string block;
  builder.Finish(10, &block);
  EXPECT_EQ(block.size(), 2 + 10000 * 10 / 8);
  BloomFilter filter;
  ASSERT_OK(BloomFilter::Parse(block, "f", 0, &filter));
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(filter.MayContain(KeyHash(absl::StrFormat("present%d", i))));
  }
  int positives = 0;
  for (int i = 0; i < 10000; ++i) {
    positives += filter.MayContain(KeyHash(absl::StrFormat("absent%d", i)));
  }
  // The theory for 10 bits and 7 probes: 0.82%.
  EXPECT_LT(positives, 150);
  EXPECT_GT(positives, 20);  // A filter that says "absent" to all is wrong.
}

TEST(BloomFilterTest, BadBlocksAreRefusedWithTheirOffset) {
  BloomFilter filter;
  EXPECT_THAT(
      BloomFilter::Parse("\x01\x07", "t.sst filter block", 100, &filter),
      StatusIs(absl::StatusCode::kDataLoss,
               ::testing::HasSubstr("offset 100")));
  EXPECT_THAT(BloomFilter::Parse(std::string("\x02\x07") + std::string(8, '\0'),
                                 "f", 0, &filter),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      BloomFilter::Parse(std::string("\x01\x00", 2) + std::string(8, '\0'), "f",
                         0, &filter),
      StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace strata::sstable
