#include "engine/version.h"

#include <algorithm>
#include <utility>

namespace strata::engine {

std::vector<const manifest::TableMeta*> TablesHolding(
    const manifest::State& state, absl::string_view key) {
  std::vector<const manifest::TableMeta*> tables;
  state.tables.ForEach([&](const manifest::TableMeta& t) {
    if (t.smallest_key <= key && key <= t.largest_key) tables.push_back(&t);
  });
  std::sort(tables.begin(), tables.end(),
            [](const manifest::TableMeta* a, const manifest::TableMeta* b) {
              return a->largest_lsn > b->largest_lsn;
            });
  return tables;
}

std::vector<const manifest::TableMeta*> TablesOverlapping(
    const manifest::State& state, absl::string_view start,
    absl::string_view end) {
  std::vector<const manifest::TableMeta*> tables;
  state.tables.ForEach([&](const manifest::TableMeta& t) {
    if (t.largest_key < start) return;
    if (end.empty() || absl::string_view(t.smallest_key) < end) {
      tables.push_back(&t);
    }
  });
  return tables;
}

std::shared_ptr<const Version> VersionTracker::Make(
    std::shared_ptr<const manifest::State> state) {
  uint64_t id;
  {
    MutexLock lock(&mu_);
    id = next_id_++;
    live_.insert(id);
  }
  return std::shared_ptr<const Version>(new Version{id, std::move(state)},
                                        [this](const Version* v) {
                                          const uint64_t released = v->id;
                                          delete v;
                                          Release(released);
                                        });
}

void VersionTracker::Retire(const std::vector<uint64_t>& numbers) {
  std::vector<uint64_t> deletable;
  {
    MutexLock lock(&mu_);
    // The newest version made is the first that does not list them.
    for (uint64_t n : numbers) pending_.emplace(n, next_id_ - 1);
    deletable = TakeDeletable();
  }
  if (!deletable.empty()) delete_tables_(deletable);
}

void VersionTracker::Release(uint64_t id) {
  std::vector<uint64_t> deletable;
  {
    MutexLock lock(&mu_);
    live_.erase(id);
    deletable = TakeDeletable();
  }
  if (!deletable.empty()) delete_tables_(deletable);
}

std::vector<uint64_t> VersionTracker::TakeDeletable() {
  const uint64_t oldest_live = live_.empty() ? next_id_ : *live_.begin();
  std::vector<uint64_t> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second <= oldest_live) {
      out.push_back(it->first);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

size_t VersionTracker::pending() const {
  MutexLock lock(&mu_);
  return pending_.size();
}

size_t VersionTracker::live_versions() const {
  MutexLock lock(&mu_);
  return live_.size();
}

}  // namespace strata::engine
