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

class TableSet {
 public:
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

 private:
  using Chunk = std::vector<TableMeta>;  // Never empty; sorted by number.
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
};

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_TABLE_SET_H_
