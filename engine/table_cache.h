// TableCache: open SSTable readers by file number, opened on first use —
// never at engine open, so open time does not grow with the table count —
// and at most `max_open` of them kept open (docs/engine.md, "Reads").
//
// Past the limit, the least recently used reader is let go: its file is
// closed once no reader still holds it (a read in progress pins the tables
// it uses through the shared pointer it got), and the next read of that
// table opens it again. So a database of any number of tables holds about
// max_open descriptors, plus one per table each read in progress is in.
//
// A pinning cache (a follower's) lets nothing go: its primary may delete a
// table once it is gone from the state the follower serves, and a table
// open before that stays readable.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_ENGINE_TABLE_CACHE_H_
#define STRATA_ENGINE_TABLE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "io/mutex.h"
#include "sstable/table_reader.h"

namespace strata::engine {

struct TableCacheOptions {
  // Readers kept open; 0: no limit.
  size_t max_open = 0;
  // Keep every reader open until Evict (a follower).
  bool pin = false;
  // How each reader reads its file (counters and block cache must outlive
  // the cache).
  sstable::TableReadOptions read;
};

class TableCache {
 public:
  // `fs` must outlive this object.
  TableCache(io::FileSystem* fs, std::string sst_dir,
             TableCacheOptions options);
  // An unbounded cache of mapped readers, as before TableCacheOptions.
  // Deprecated: pass TableCacheOptions.
  TableCache(io::FileSystem* fs, std::string sst_dir,
             sstable::ReadCounters* counters = nullptr)
      : TableCache(fs, std::move(sst_dir),
                   TableCacheOptions{0, false, {counters, true, nullptr}}) {}

  // The reader of table `number`, opening it if needed. Every table asked
  // for is one a manifest lists: a missing file is DataLoss.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const sstable::TableReader>> Get(
      uint64_t number) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets table `number` (its file is about to be deleted). Readers still
  // held elsewhere stay usable.
  void Evict(uint64_t number) ABSL_LOCKS_EXCLUDED(mu_);
  // Readers the cache holds open (readers in use may add to it).
  size_t open_tables() const ABSL_LOCKS_EXCLUDED(mu_);
  // Opens since construction, and readers let go for the limit.
  uint64_t opens() const { return opens_.load(std::memory_order_relaxed); }
  uint64_t evictions() const {
    return evictions_.load(std::memory_order_relaxed);
  }
  // Opens that found the file missing, since construction: a follower
  // tells a table its primary deleted from damage by this count.
  uint64_t missing_opens() const {
    return missing_opens_.load(std::memory_order_acquire);
  }

  std::string TablePath(uint64_t number) const;

 private:
  struct Slot {
    uint64_t number;
    std::shared_ptr<const sstable::TableReader> reader;
  };

  io::FileSystem* const fs_;
  const std::string sst_dir_;
  const TableCacheOptions options_;
  std::atomic<uint64_t> opens_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> missing_opens_{0};
  mutable Mutex mu_;
  std::list<Slot> lru_ ABSL_GUARDED_BY(mu_);  // Most recently used first.
  std::unordered_map<uint64_t, std::list<Slot>::iterator> open_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_TABLE_CACHE_H_
