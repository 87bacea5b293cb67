// MemTable: the newest writes, in memory, in the tables' internal order (key
// ascending, then LSN descending), until a flush writes them to an SSTable.
//
// Entries carry their LSNs; a reader asks for the newest version at or below
// the LSN it may see, so entries added for writes not yet durable stay
// invisible to it.
//
// Thread-safety: safe for concurrent use (one internal mutex). Once frozen
// (no more Add calls), ForEach reads it without contention.

#ifndef STRATA_ENGINE_MEMTABLE_H_
#define STRATA_ENGINE_MEMTABLE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "io/mutex.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"

namespace strata::engine {

// An entry that owns its bytes.
struct OwnedEntry {
  std::string key;
  uint64_t lsn = 0;
  sstable::EntryKind kind = sstable::EntryKind::kPut;
  std::string value;

  sstable::Entry view() const { return {key, lsn, kind, value}; }
};

class MemTable {
 public:
  // Adds a copy of `entry`. An entry with the same key and LSN replaces it
  // (only replay of the same record does that).
  void Add(const sstable::Entry& entry) ABSL_LOCKS_EXCLUDED(mu_);

  // The newest version of `key` at or below `max_lsn`, or nullopt.
  std::optional<sstable::Found> Get(absl::string_view key,
                                    uint64_t max_lsn) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Appends to `out`, in internal order, the entries with keys in
  // [start, end) (`end` empty: no bound) and LSN at most `max_lsn`.
  void Collect(absl::string_view start, absl::string_view end, uint64_t max_lsn,
               std::vector<OwnedEntry>* out) const ABSL_LOCKS_EXCLUDED(mu_);

  // Calls fn(const sstable::Entry&) for every entry in internal order.
  template <typename Fn>
  void ForEach(Fn fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    for (const OwnedEntry& e : entries_) fn(e.view());
  }

  bool empty() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t count() const ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes of keys and values plus a per-entry overhead estimate.
  size_t ApproximateBytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // The largest LSN added, or 0.
  uint64_t max_lsn() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Order {
    using is_transparent = void;
    bool operator()(const OwnedEntry& a, const OwnedEntry& b) const {
      return sstable::CompareInternal(a.key, a.lsn, b.key, b.lsn) < 0;
    }
    bool operator()(const OwnedEntry& a, const sstable::Entry& b) const {
      return sstable::CompareInternal(a.key, a.lsn, b.key, b.lsn) < 0;
    }
    bool operator()(const sstable::Entry& a, const OwnedEntry& b) const {
      return sstable::CompareInternal(a.key, a.lsn, b.key, b.lsn) < 0;
    }
  };

  mutable Mutex mu_;
  std::set<OwnedEntry, Order> entries_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t max_lsn_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_MEMTABLE_H_
