// The live tables of a manifest state, by file number, with cheap copies.
//
// Tables live in chunks of up to kMaxChunk, each shared between copies of a
// TableSet until one of them changes it (copy-on-write), so publishing a new
// state after an edit costs one pointer per chunk plus the chunks the edit
// touched, not a copy of every table. New tables get ever larger numbers and
// land in the last chunk.
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
    for (const auto& chunk : chunks_) {
      for (const TableMeta& t : *chunk) fn(t);
    }
  }

  friend bool operator==(const TableSet& a, const TableSet& b);

 private:
  using Chunk = std::vector<TableMeta>;

  // The index of the chunk that holds or would hold `number`.
  size_t ChunkFor(uint64_t number) const;
  // A private copy of chunk `i`, for changing it.
  Chunk& Mutable(size_t i);

  std::vector<std::shared_ptr<Chunk>> chunks_;
  size_t size_ = 0;
};

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_TABLE_SET_H_
