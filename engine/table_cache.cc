#include "engine/table_cache.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "io/status_macros.h"
#include "sstable/format.h"

namespace strata::engine {

TableCache::TableCache(io::FileSystem* fs, std::string sst_dir,
                       TableCacheOptions options)
    : fs_(fs), sst_dir_(std::move(sst_dir)), options_(options) {}

std::string TableCache::TablePath(uint64_t number) const {
  return io::JoinPath(sst_dir_, sstable::TableFileName(number));
}

absl::StatusOr<std::shared_ptr<const sstable::TableReader>> TableCache::Get(
    uint64_t number) {
  {
    MutexLock lock(&mu_);
    auto it = open_.find(number);
    if (it != open_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->reader;
    }
  }
  // Opened without the lock: two callers may both open it; one copy wins.
  absl::StatusOr<std::unique_ptr<sstable::TableReader>> opened =
      sstable::TableReader::Open(fs_, TablePath(number), options_.read);
  opens_.fetch_add(1, std::memory_order_relaxed);
  if (absl::IsNotFound(opened.status())) {
    missing_opens_.fetch_add(1, std::memory_order_acq_rel);
    // The manifest lists it: a missing table is lost data, not a missing
    // key.
    return absl::DataLossError(
        absl::StrCat("engine: a table the manifest lists is missing: ",
                     opened.status().message()));
  }
  if (!opened.ok()) return opened.status();
  std::shared_ptr<const sstable::TableReader> reader = *std::move(opened);
  // Readers let go are closed after the lock is released.
  std::vector<std::shared_ptr<const sstable::TableReader>> closed;
  MutexLock lock(&mu_);
  if (auto it = open_.find(number); it != open_.end()) {
    closed.push_back(std::move(reader));  // Another caller's copy won.
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->reader;
  }
  lru_.push_front(Slot{number, reader});
  open_.emplace(number, lru_.begin());
  while (!options_.pin && options_.max_open != 0 &&
         lru_.size() > options_.max_open) {
    open_.erase(lru_.back().number);
    closed.push_back(std::move(lru_.back().reader));
    lru_.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  return reader;
}

void TableCache::Evict(uint64_t number) {
  std::shared_ptr<const sstable::TableReader> dropped;
  MutexLock lock(&mu_);
  auto it = open_.find(number);
  if (it == open_.end()) return;
  dropped = std::move(it->second->reader);  // Closed after the lock.
  lru_.erase(it->second);
  open_.erase(it);
}

size_t TableCache::open_tables() const {
  MutexLock lock(&mu_);
  return open_.size();
}

}  // namespace strata::engine
