// BlockCache: data blocks of many tables, shared by them, within a byte
// budget (docs/engine.md, "Reads"). A table read through pread (not a
// mapping) looks here before it reads a block from its file, so a hot block
// is read, checksummed and expanded (if compressed) once, not once per
// lookup.
//
// Entries are keyed by (table id, block offset); each TableReader takes a
// fresh id when it opens, so a table number reused, or a file reopened,
// never meets another file's blocks. The least recently used blocks are
// evicted once the budget is exceeded; a block held by a reader stays
// usable after its eviction (it is shared), and is not counted then. The
// cache is split into shards, each with its own lock, so readers of
// different blocks rarely wait for one another.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_SSTABLE_BLOCK_CACHE_H_
#define STRATA_SSTABLE_BLOCK_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "io/mutex.h"

namespace strata::sstable {

// A data block's bytes, checked against its checksum and expanded:
// `bytes` views `stored` (the block as read, trailer included), `expanded`
// (a compressed block), or a mapped file that outlives the block (a mapped
// reader's blocks are never cached). Not copyable, so the view stays
// valid.
struct DataBlock {
  DataBlock() = default;
  DataBlock(const DataBlock&) = delete;
  DataBlock& operator=(const DataBlock&) = delete;

  std::unique_ptr<char[]> stored;  // Not zero-filled before the read.
  size_t stored_size = 0;
  std::string expanded;
  absl::string_view bytes;

  // What the block costs the cache.
  size_t charge() const {
    return sizeof(DataBlock) + stored_size + expanded.capacity();
  }
};

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // An id no table has used: one per TableReader.
  uint64_t NewTableId() {
    return next_table_id_.fetch_add(1, std::memory_order_relaxed);
  }

  // The block at `offset` of table `table`, or null if it is not cached.
  std::shared_ptr<const DataBlock> Lookup(uint64_t table, uint64_t offset);
  // Caches `block`, evicting the least recently used blocks of its shard
  // while the shard is over its share of the budget. A block larger than
  // that share is not kept.
  void Insert(uint64_t table, uint64_t offset,
              std::shared_ptr<const DataBlock> block);

  size_t capacity() const { return capacity_; }
  // Bytes the cached blocks are charged.
  size_t usage() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kShards = 16;

  struct Key {
    uint64_t table;
    uint64_t offset;
    bool operator==(const Key& other) const {
      return table == other.table && offset == other.offset;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      // Offsets are multiples of nothing in particular; mix both words.
      uint64_t h = k.table * 0x9e3779b97f4a7c15ULL ^ k.offset;
      h ^= h >> 29;
      h *= 0xbf58476d1ce4e5b9ULL;
      return static_cast<size_t>(h ^ (h >> 32));
    }
  };
  struct Slot {
    Key key;
    std::shared_ptr<const DataBlock> block;
    size_t charge;
  };
  struct Shard {
    mutable Mutex mu;
    std::list<Slot> lru ABSL_GUARDED_BY(mu);  // Most recently used first.
    std::unordered_map<Key, std::list<Slot>::iterator, KeyHash> map
        ABSL_GUARDED_BY(mu);
    size_t usage ABSL_GUARDED_BY(mu) = 0;
  };

  Shard& ShardOf(const Key& key) {
    return shards_[(KeyHash()(key) >> 7) % kShards];
  }

  const size_t capacity_;
  const size_t shard_capacity_;
  std::atomic<uint64_t> next_table_id_{1};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_BLOCK_CACHE_H_
