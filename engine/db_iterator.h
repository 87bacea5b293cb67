// Reading the database in key order: snapshots, read options and the
// streaming Iterator that Engine::NewIterator returns (docs/engine.md,
// "Reads").
//
// An iterator reads as of one LSN — a snapshot's, or the newest durable
// write when it was made — and holds what it reads: the memtables it merges
// and the version whose tables it opens, so no file it may still read is
// deleted. It merges, in place, one cursor per memtable and one per run of
// disjoint tables (engine/version.h: TableIndex), so its memory does not
// grow with the memtable's size or the table count. It yields the newest
// version of each key at or below its LSN unless that version is a
// tombstone or a range tombstone at or below its LSN covers it.
//
// Thread-safety: an Iterator is thread-compatible (one thread at a time);
// many may read one engine at once, beside writes, flushes and compactions.

#ifndef STRATA_ENGINE_DB_ITERATOR_H_
#define STRATA_ENGINE_DB_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/merging_iterator.h"
#include "engine/table_cache.h"
#include "manifest/table_meta.h"
#include "sstable/range_tombstones.h"

namespace strata::engine {

// A point in the write history that reads can be made at: every write with
// an LSN at most lsn(). Compaction keeps every version a live snapshot can
// see until it is released (Engine::ReleaseSnapshot).
class Snapshot {
 public:
  explicit Snapshot(uint64_t lsn) : lsn_(lsn) {}
  uint64_t lsn() const { return lsn_; }

 private:
  const uint64_t lsn_;
};

struct ReadOptions {
  // Read as of this snapshot (not released); null: the newest durable
  // write when the read starts.
  const Snapshot* snapshot = nullptr;
};

class Iterator {
 public:
  // Made by Engine::NewIterator. `merged` merges every source; the range
  // tombstones of the memtables and of the tables are given apart; `pins`
  // keep alive what the sources read.
  Iterator(std::unique_ptr<EntryIterator> merged, uint64_t lsn,
           sstable::TombstoneIndex mem_tombstones,
           std::shared_ptr<const sstable::TombstoneIndex> table_tombstones,
           std::vector<std::shared_ptr<const void>> pins);
  // An iterator that yields nothing and reports `status`.
  explicit Iterator(absl::Status status);
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  // Positioned nowhere until one of these is called.
  void SeekToFirst();
  // To the first live key at or after `key`.
  void Seek(absl::string_view key);
  void Next();
  // False at the end or after an error (see status()).
  bool Valid() const { return valid_; }
  // Valid until the iterator moves.
  absl::string_view key() const { return merged_->entry().key; }
  absl::string_view value() const { return merged_->entry().value; }
  // OK, or the first error a source met (a damaged table names itself).
  absl::Status status() const;

 private:
  // From the merged position on, to the newest visible version of the
  // first key that is live at lsn_.
  void FindLive();
  // Whether a range tombstone at or below lsn_ covers `e`.
  bool Covered(const sstable::Entry& e) const;

  // Declared first: destroyed last, after the sources that use them.
  const std::vector<std::shared_ptr<const void>> pins_;
  const std::unique_ptr<EntryIterator> merged_;
  const uint64_t lsn_ = 0;
  const sstable::TombstoneIndex mem_tombstones_;
  const std::shared_ptr<const sstable::TombstoneIndex> table_tombstones_;
  const absl::Status error_;
  bool valid_ = false;
  std::string skip_;  // The key being passed over.
};

// Over `run`, tables with disjoint key ranges in key order, opening one at
// a time through `tables`. The tables' metadata and the cache must outlive
// the iterator.
std::unique_ptr<EntryIterator> NewRunIterator(
    TableCache* tables, std::vector<const manifest::TableMeta*> run);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_DB_ITERATOR_H_
