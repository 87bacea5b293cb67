#include "sstable/block_cache.h"

#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace strata::sstable {
namespace {

std::shared_ptr<const DataBlock> BlockOf(size_t bytes) {
  auto block = std::make_shared<DataBlock>();
  block->expanded.assign(bytes, 'x');
  return block;
}

TEST(BlockCacheTest, FindsWhatItHoldsByTableAndOffset) {
  BlockCache cache(1 << 20);
  const uint64_t a = cache.NewTableId();
  const uint64_t b = cache.NewTableId();
  ASSERT_NE(a, b);
  std::shared_ptr<const DataBlock> block = BlockOf(100);
  cache.Insert(a, 4096, block);
  EXPECT_EQ(cache.Lookup(a, 4096), block);
  EXPECT_EQ(cache.Lookup(b, 4096), nullptr);  // Another table's offset.
  EXPECT_EQ(cache.Lookup(a, 0), nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.usage(), block->charge());
}

TEST(BlockCacheTest, StaysWithinItsBudgetEvictingTheLeastRecentlyUsed) {
  constexpr size_t kBudget = 64 << 10;
  BlockCache cache(kBudget);
  const uint64_t t = cache.NewTableId();
  // Many blocks, all of which land in shards of 4 KiB each.
  for (uint64_t i = 0; i < 1000; ++i) {
    cache.Insert(t, i * 512, BlockOf(300));
    ASSERT_LE(cache.usage(), kBudget);
  }
  // The newest block is there; the oldest long gone.
  EXPECT_NE(cache.Lookup(t, 999 * 512), nullptr);
  EXPECT_EQ(cache.Lookup(t, 0), nullptr);
  EXPECT_GT(cache.usage(), kBudget / 2);
}

TEST(BlockCacheTest, ALookupKeepsABlockFromEvictionOverOlderOnes) {
  // One shard's worth: find two keys of the same shard by probing.
  BlockCache cache(16 * 3 * (sizeof(DataBlock) + 1000));
  const uint64_t t = cache.NewTableId();
  std::shared_ptr<const DataBlock> first = BlockOf(1000);
  cache.Insert(t, 0, first);
  // Fill; keep touching block 0 so it stays the most recently used.
  for (uint64_t i = 1; i < 400; ++i) {
    ASSERT_NE(cache.Lookup(t, 0), nullptr) << "evicted after " << i;
    cache.Insert(t, i * 4096, BlockOf(1000));
  }
}

TEST(BlockCacheTest, ABlockHeldByAReaderOutlivesItsEviction) {
  BlockCache cache(16 * 2000);
  const uint64_t t = cache.NewTableId();
  cache.Insert(t, 0, BlockOf(1500));
  std::shared_ptr<const DataBlock> held = cache.Lookup(t, 0);
  for (uint64_t i = 1; i < 200; ++i) cache.Insert(t, i * 4096, BlockOf(1500));
  EXPECT_EQ(cache.Lookup(t, 0), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->expanded, std::string(1500, 'x'));
}

TEST(BlockCacheTest, ABlockLargerThanAShardIsNotKept) {
  BlockCache cache(16 * 1024);
  const uint64_t t = cache.NewTableId();
  cache.Insert(t, 0, BlockOf(4096));
  EXPECT_EQ(cache.Lookup(t, 0), nullptr);
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(BlockCacheTest, ConcurrentReadersAndInsertersAgree) {
  // Run under TSan (bazel test --config=tsan): the shards' locks are what
  // this checks.
  BlockCache cache(256 << 10);
  const uint64_t t = cache.NewTableId();
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t i = 0; i < 5000; ++i) {
        const uint64_t offset = ((i * 7 + w) % 300) * 4096;
        std::shared_ptr<const DataBlock> got = cache.Lookup(t, offset);
        if (got == nullptr) {
          auto block = std::make_shared<DataBlock>();
          block->expanded.assign(200 + offset % 1000, 'a' + offset % 26);
          cache.Insert(t, offset, std::move(block));
        } else {
          ASSERT_EQ(got->expanded.size(), 200 + offset % 1000);
          ASSERT_EQ(got->expanded[0], static_cast<char>('a' + offset % 26));
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_LE(cache.usage(), cache.capacity());
  EXPECT_GT(cache.hits(), 0u);
}

}  // namespace
}  // namespace strata::sstable
