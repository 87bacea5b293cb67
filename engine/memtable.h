// MemTable: the newest writes, in memory, in the tables' internal order (key
// ascending, then LSN descending), until a flush writes them to an SSTable.
//
// Entries carry their LSNs; a reader asks for the newest version at or below
// the LSN it may see, so entries added for writes not yet durable stay
// invisible to it. Range tombstones (EntryKind::kRangeDelete, the key its
// start, the value its end) are held apart from the point entries.
//
// A Cursor walks the entries in place: it takes the memtable's lock only
// for each step, and the entries it points at stay where they are (an entry
// is never moved, changed or removed once added), so a scan copies nothing
// and writers wait for it at most one step.
//
// Thread-safety: safe for concurrent use (one internal mutex). A Cursor is
// thread-compatible; the memtable must outlive it.

#ifndef STRATA_ENGINE_MEMTABLE_H_
#define STRATA_ENGINE_MEMTABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "io/mutex.h"
#include "sstable/format.h"
#include "sstable/range_tombstones.h"
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
 private:
  // An entry as the memtable holds it: key and value in one allocation.
  struct Node {
    std::string bytes;  // The key, then the value.
    size_t key_size = 0;
    uint64_t lsn = 0;
    sstable::EntryKind kind = sstable::EntryKind::kPut;

    absl::string_view key() const {
      return absl::string_view(bytes.data(), key_size);
    }
    absl::string_view value() const {
      return absl::string_view(bytes.data() + key_size,
                               bytes.size() - key_size);
    }
    sstable::Entry view() const { return {key(), lsn, kind, value()}; }
  };
  struct Order {
    using is_transparent = void;
    bool operator()(const Node& a, const Node& b) const {
      return sstable::CompareInternal(a.key(), a.lsn, b.key(), b.lsn) < 0;
    }
    bool operator()(const Node& a, const sstable::Entry& b) const {
      return sstable::CompareInternal(a.key(), a.lsn, b.key, b.lsn) < 0;
    }
    bool operator()(const sstable::Entry& a, const Node& b) const {
      return sstable::CompareInternal(a.key, a.lsn, b.key(), b.lsn) < 0;
    }
  };

 public:
  // Adds a copy of `entry`. An entry with the same key and LSN as one
  // already added is ignored (only replay of the same record does that).
  void Add(const sstable::Entry& entry) ABSL_LOCKS_EXCLUDED(mu_);

  // The newest version of `key` at or below `max_lsn`, or nullopt.
  std::optional<sstable::Found> Get(absl::string_view key,
                                    uint64_t max_lsn) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // The largest LSN at most `max_lsn` of a range tombstone covering `key`,
  // or 0: two binary searches in an index of the range tombstones, rebuilt
  // by the first lookup after one is added.
  uint64_t MaxCoveringTombstone(absl::string_view key, uint64_t max_lsn) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The range tombstones with LSN at most `max_lsn`, in no order.
  std::vector<sstable::RangeTombstone> RangeTombstones(uint64_t max_lsn) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Calls fn(const sstable::Entry&) for every point entry in internal order.
  template <typename Fn>
  void ForEach(Fn fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    for (const Node& e : entries_) fn(e.view());
  }

  // Point entries in internal order, read in place.
  class Cursor {
   public:
    explicit Cursor(const MemTable* mem) : mem_(mem) {}
    void SeekToFirst();
    // To the first entry at or after (key, UINT64_MAX): the newest version
    // of `key` or the next key.
    void Seek(absl::string_view key);
    void Next();
    bool Valid() const { return valid_; }
    // Valid while the memtable lives.
    const sstable::Entry& entry() const { return view_; }

   private:
    using Iter = std::set<Node, Order>::const_iterator;
    void Load(Iter it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mem_->mu_);

    const MemTable* const mem_;
    Iter it_;
    bool valid_ = false;
    sstable::Entry view_;
  };

  bool empty() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t count() const ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes of keys and values plus a per-entry overhead estimate.
  size_t ApproximateBytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // The largest LSN added, or 0.
  uint64_t max_lsn() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable Mutex mu_;
  std::set<Node, Order> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<sstable::RangeTombstone> range_tombstones_ ABSL_GUARDED_BY(mu_);
  mutable std::unique_ptr<sstable::TombstoneIndex> tombstone_index_
      ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t max_lsn_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_MEMTABLE_H_
