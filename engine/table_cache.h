// TableCache: open SSTable readers by file number, opened on first use —
// never at engine open, so open time does not grow with the table count.
//
// Thread-safety: safe for concurrent use.

#ifndef STRATA_ENGINE_TABLE_CACHE_H_
#define STRATA_ENGINE_TABLE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "io/mutex.h"
#include "sstable/table_reader.h"

namespace strata::engine {

class TableCache {
 public:
  // `fs` must outlive this object; so must `counters`, if set: every
  // reader opened counts its block reads there.
  TableCache(io::FileSystem* fs, std::string sst_dir,
             sstable::ReadCounters* counters = nullptr)
      : fs_(fs), sst_dir_(std::move(sst_dir)), counters_(counters) {}

  // The reader of table `number`, opening it if needed. Every table asked
  // for is one a manifest lists: a missing file is DataLoss.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const sstable::TableReader>> Get(
      uint64_t number) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets table `number` (its file is about to be deleted). Readers still
  // held elsewhere stay usable.
  void Evict(uint64_t number) ABSL_LOCKS_EXCLUDED(mu_);
  size_t open_tables() const ABSL_LOCKS_EXCLUDED(mu_);
  // Opens that found the file missing, since construction: a follower
  // tells a table its primary deleted from damage by this count.
  uint64_t missing_opens() const {
    return missing_opens_.load(std::memory_order_acquire);
  }

  std::string TablePath(uint64_t number) const;

 private:
  io::FileSystem* const fs_;
  const std::string sst_dir_;
  sstable::ReadCounters* const counters_;
  std::atomic<uint64_t> missing_opens_{0};
  mutable Mutex mu_;
  std::map<uint64_t, std::shared_ptr<const sstable::TableReader>> open_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_TABLE_CACHE_H_
