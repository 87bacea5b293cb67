// Sorted sources of entries and their merge, in the tables' internal order
// (key ascending, then LSN descending): what Scan and compaction read.
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
  virtual absl::Status status() const = 0;
};

// Over entries the iterator owns (copied out of a memtable).
std::unique_ptr<EntryIterator> NewVectorIterator(
    std::vector<OwnedEntry> entries);

// Over a table, from the first entry with a key at or after `start`. The
// iterator keeps `table` alive.
std::unique_ptr<EntryIterator> NewTableIterator(
    std::shared_ptr<const sstable::TableReader> table,
    absl::string_view start = {});

// The merge of `children`. Entries equal in key and LSN (the same write in a
// memtable and in a table it was flushed to) are all yielded. The first
// child error ends the merge and is its status.
std::unique_ptr<EntryIterator> NewMergingIterator(
    std::vector<std::unique_ptr<EntryIterator>> children);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_MERGING_ITERATOR_H_
