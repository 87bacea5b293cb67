#include "sstable/block_cache.h"

#include <utility>

namespace strata::sstable {

BlockCache::BlockCache(size_t capacity_bytes)
    : capacity_(capacity_bytes), shard_capacity_(capacity_bytes / kShards) {}

std::shared_ptr<const DataBlock> BlockCache::Lookup(uint64_t table,
                                                    uint64_t offset) {
  const Key key{table, offset};
  Shard& shard = ShardOf(key);
  MutexLock lock(&shard.mu);
  auto it = shard.map.find(key);
  if (it == shard.map.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->block;
}

void BlockCache::Insert(uint64_t table, uint64_t offset,
                        std::shared_ptr<const DataBlock> block) {
  const Key key{table, offset};
  const size_t charge = block->charge();
  if (charge > shard_capacity_) return;
  Shard& shard = ShardOf(key);
  // Evicted blocks are released after the lock: freeing one may be slow.
  std::vector<std::shared_ptr<const DataBlock>> evicted;
  MutexLock lock(&shard.mu);
  if (auto it = shard.map.find(key); it != shard.map.end()) {
    // Another reader cached it meanwhile: the same bytes; keep theirs.
    return;
  }
  shard.lru.push_front(Slot{key, std::move(block), charge});
  shard.map.emplace(key, shard.lru.begin());
  shard.usage += charge;
  while (shard.usage > shard_capacity_) {
    Slot& last = shard.lru.back();
    shard.usage -= last.charge;
    shard.map.erase(last.key);
    evicted.push_back(std::move(last.block));
    shard.lru.pop_back();
  }
}

size_t BlockCache::usage() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    total += shard.usage;
  }
  return total;
}

}  // namespace strata::sstable
