#include "engine/table_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "io/status_macros.h"
#include "sstable/format.h"

namespace strata::engine {

std::string TableCache::TablePath(uint64_t number) const {
  return io::JoinPath(sst_dir_, sstable::TableFileName(number));
}

absl::StatusOr<std::shared_ptr<const sstable::TableReader>> TableCache::Get(
    uint64_t number) {
  {
    MutexLock lock(&mu_);
    auto it = open_.find(number);
    if (it != open_.end()) return it->second;
  }
  // Opened without the lock: two callers may both open it; one copy wins.
  absl::StatusOr<std::unique_ptr<sstable::TableReader>> opened =
      sstable::TableReader::Open(fs_, TablePath(number), counters_);
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
  MutexLock lock(&mu_);
  return open_.emplace(number, std::move(reader)).first->second;
}

void TableCache::Evict(uint64_t number) {
  std::shared_ptr<const sstable::TableReader> dropped;
  MutexLock lock(&mu_);
  auto it = open_.find(number);
  if (it == open_.end()) return;
  dropped = std::move(it->second);  // Closed after the lock is released.
  open_.erase(it);
}

size_t TableCache::open_tables() const {
  MutexLock lock(&mu_);
  return open_.size();
}

}  // namespace strata::engine
