#include "engine/version.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <string>
#include <utility>

namespace strata::engine {

TableIndex::TableIndex(const manifest::State& state) {
  std::vector<const manifest::TableMeta*> tables;
  tables.reserve(state.tables.size());
  state.tables.ForEach(
      [&](const manifest::TableMeta& t) { tables.push_back(&t); });
  runs_ = SplitIntoRuns(std::move(tables));
}

std::vector<std::vector<const manifest::TableMeta*>> TableIndex::SplitIntoRuns(
    std::vector<const manifest::TableMeta*> tables) {
  std::vector<std::vector<const manifest::TableMeta*>> runs;
  std::sort(tables.begin(), tables.end(),
            [](const manifest::TableMeta* a, const manifest::TableMeta* b) {
              return a->smallest_key < b->smallest_key;
            });
  // Interval partitioning: each table joins the run whose last table ends
  // first, if that one ends before it starts; else it opens a run. This
  // makes as few runs as the deepest overlap.
  using Tail = std::pair<absl::string_view, size_t>;  // Largest key, run.
  std::priority_queue<Tail, std::vector<Tail>, std::greater<Tail>> tails;
  for (const manifest::TableMeta* t : tables) {
    size_t run;
    if (!tails.empty() &&
        tails.top().first < absl::string_view(t->smallest_key)) {
      run = tails.top().second;
      tails.pop();
    } else {
      run = runs.size();
      runs.emplace_back();
    }
    runs[run].push_back(t);
    tails.emplace(t->largest_key, run);
  }
  return runs;
}

std::vector<const manifest::TableMeta*> TableIndex::Holding(
    absl::string_view key) const {
  std::vector<const manifest::TableMeta*> tables;
  for (const auto& run : runs_) {
    // The last table starting at or before `key`.
    auto it =
        std::upper_bound(run.begin(), run.end(), key,
                         [](absl::string_view k, const manifest::TableMeta* t) {
                           return k < absl::string_view(t->smallest_key);
                         });
    if (it == run.begin()) continue;
    const manifest::TableMeta* t = *(it - 1);
    if (key <= absl::string_view(t->largest_key)) tables.push_back(t);
  }
  std::sort(tables.begin(), tables.end(),
            [](const manifest::TableMeta* a, const manifest::TableMeta* b) {
              return a->largest_lsn > b->largest_lsn;
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
  return std::shared_ptr<const Version>(new Version(id, std::move(state)),
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
