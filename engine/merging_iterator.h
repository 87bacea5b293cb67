// Sorted sources of entries and their merge, in the tables' internal order
// (key ascending, then LSN descending): what iterators and compaction read.
//
// Thread-compatible.

#ifndef STRATA_ENGINE_MERGING_ITERATOR_H_
#define STRATA_ENGINE_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/memtable.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"

namespace strata::engine {

// A source of entries in internal order.
class EntryIterator {
 public:
  virtual ~EntryIterator() = default;
  // False at the end or after an error (see status()).
  virtual bool Valid() const = 0;
  // Valid until the iterator moves.
  virtual const sstable::Entry& entry() const = 0;
  virtual void Next() = 0;
  virtual void SeekToFirst() = 0;
  // To the first entry at or after (key, UINT64_MAX): the newest version of
  // `key`, or the next key.
  virtual void Seek(absl::string_view key) = 0;
  virtual absl::Status status() const = 0;
};

// Over a memtable's point entries, in place (MemTable::Cursor), from its
// first entry. The iterator keeps `mem` alive.
std::unique_ptr<EntryIterator> NewMemTableIterator(
    std::shared_ptr<const MemTable> mem);

// Over a table, from its first entry. The iterator keeps `table` alive.
std::unique_ptr<EntryIterator> NewTableIterator(
    std::shared_ptr<const sstable::TableReader> table);

// The merge of `children`, positioned at its first entry. Entries equal in
// key and LSN (the same write in a memtable and in a table it was flushed
// to) are all yielded. The first child error ends the merge and is its
// status; a seek starts again.
std::unique_ptr<EntryIterator> NewMergingIterator(
    std::vector<std::unique_ptr<EntryIterator>> children);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_MERGING_ITERATOR_H_
