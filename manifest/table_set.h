// The live tables of a manifest state, by file number, with cheap copies.
//
// Tables live in chunks of up to kMaxChunk, and chunks in groups of up to
// kMaxGroup; chunks and groups are shared between copies of a TableSet until
// one of them changes it (copy-on-write). Copying a set (publishing a new
// state after an edit) costs one pointer per group — 123 for a million
// tables — and an edit copies only the groups and chunks it touches, so an
// edit costs about the same at a million tables as at ten thousand. New
// tables get ever larger numbers and land in the last chunk.
//
// Thread-compatible value type; distinct copies may be used from different
// threads (shared chunks are never modified).

#ifndef STRATA_MANIFEST_TABLE_SET_H_
#define STRATA_MANIFEST_TABLE_SET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "manifest/table_meta.h"

namespace strata::manifest {
namespace internal {

// Memory for the chunks of a TableSet loaded in bulk (a snapshot): large
// regions mapped at once and marked for transparent huge pages, so that
// loading a million tables takes tens of page faults rather than tens of
// thousands (on a virtual machine a fault costs microseconds). Memory is
// handed out once and never reused; a region is unmapped when the last
// chunk that may lie in it is gone (the arena is shared by their
// allocators). Allocate is for one thread (the loader); Owns is safe from
// any thread once loading has ended.
class ChunkArena {
 public:
  ChunkArena() = default;
  ChunkArena(const ChunkArena&) = delete;
  ChunkArena& operator=(const ChunkArena&) = delete;
  ~ChunkArena();

  // `bytes` from the newest region (a new one if it is full); null if the
  // system refuses the memory (the caller then uses the heap).
  void* Allocate(size_t bytes);
  bool Owns(const void* p) const;
  // Bytes handed out by every arena alive now, for benchmarks.
  static uint64_t MappedBytes();

 private:
  struct Region {
    char* base = nullptr;
    size_t size = 0;
    size_t used = 0;
  };
  std::vector<Region> regions_;
};

// A chunk's allocator: from the arena while loading, else the heap.
template <typename T>
class ChunkAllocator {
 public:
  using value_type = T;

  ChunkAllocator() = default;
  explicit ChunkAllocator(std::shared_ptr<ChunkArena> arena)
      : arena_(std::move(arena)) {}
  template <typename U>
  ChunkAllocator(const ChunkAllocator<U>& other)  // NOLINT: as std allocators.
      : arena_(other.arena_) {}

  T* allocate(size_t n) {
    if (arena_ != nullptr) {
      if (void* p = arena_->Allocate(n * sizeof(T))) return static_cast<T*>(p);
    }
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) {
    if (arena_ != nullptr && arena_->Owns(p)) return;  // Freed with it.
    std::allocator<T>().deallocate(p, n);
  }
  // A copy of a chunk (copy-on-write) lives on the heap.
  ChunkAllocator select_on_container_copy_construction() const { return {}; }

  friend bool operator==(const ChunkAllocator& a, const ChunkAllocator& b) {
    return a.arena_ == b.arena_;
  }
  friend bool operator!=(const ChunkAllocator& a, const ChunkAllocator& b) {
    return !(a == b);
  }

 private:
  template <typename U>
  friend class ChunkAllocator;
  std::shared_ptr<ChunkArena> arena_;
};

}  // namespace internal

class TableSet {
 public:
  TableSet() = default;
  // Copies share the tables, not the bulk-load arena.
  TableSet(const TableSet& other)
      : groups_(other.groups_), size_(other.size_) {}
  TableSet& operator=(const TableSet& other) {
    groups_ = other.groups_;
    size_ = other.size_;
    arena_.reset();
    return *this;
  }
  TableSet(TableSet&&) = default;
  TableSet& operator=(TableSet&&) = default;

  static constexpr size_t kMaxChunk = 64;
  static constexpr size_t kMaxGroup = 128;  // Chunks per group.

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The table with `number`, or null. Valid until this set changes.
  const TableMeta* Find(uint64_t number) const;
  size_t count(uint64_t number) const { return Find(number) != nullptr; }
  // The largest live number, or 0.
  uint64_t MaxNumber() const;

  // Adds `table`, replacing a table of the same number.
  void Put(TableMeta table);
  // Adds `table` unless its number is live; false if it was.
  bool Insert(TableMeta table);
  // Removes table `number`; false if it was not live.
  bool Erase(uint64_t number);
  // Moves every table of `tail` to the end of this set if each of its
  // numbers is past every number here (true); else changes nothing (false).
  // For a snapshot decoded in parts.
  bool AppendAll(TableSet&& tail);

  // Calls fn(const TableMeta&) for every table in number order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (const auto& group : groups_) {
      for (const auto& chunk : *group) {
        for (const TableMeta& t : *chunk) fn(t);
      }
    }
  }

  friend bool operator==(const TableSet& a, const TableSet& b);

  // Between these, tables added (in number order, as a snapshot holds them)
  // go into memory mapped in large huge-page regions (internal::ChunkArena)
  // instead of the heap: for loading a snapshot.
  void BeginBulkLoad();
  void EndBulkLoad() { arena_.reset(); }

 private:
  // Never empty; sorted by number.
  using Chunk = std::vector<TableMeta, internal::ChunkAllocator<TableMeta>>;
  using Group = std::vector<std::shared_ptr<Chunk>>;  // Never empty.
  struct Position {
    size_t group = 0;
    size_t chunk = 0;  // Within the group.
  };

  // The chunk that holds or would hold `number`: the first whose last table
  // is at or past it, else the very last chunk. Requires !empty().
  Position ChunkFor(uint64_t number) const;
  // Private copies of group `g`, and of the chunk at `p`, for changing them.
  Group& MutableGroup(size_t g);
  Chunk& MutableChunk(Position p);
  // Inserts `chunk` at `p` (before the chunk there), splitting a full group.
  void InsertChunk(Position p, std::shared_ptr<Chunk> chunk);
  bool IsLastChunk(Position p) const {
    return p.group + 1 == groups_.size() &&
           p.chunk + 1 == groups_[p.group]->size();
  }
  static std::shared_ptr<Chunk> NewChunk();
  // Adds `table` (moving from it) if its number is past every live one;
  // false, leaving it, otherwise.
  bool Append(TableMeta& table);

  std::vector<std::shared_ptr<Group>> groups_;
  size_t size_ = 0;
  std::shared_ptr<internal::ChunkArena> arena_;  // While loading in bulk.
};

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_TABLE_SET_H_
