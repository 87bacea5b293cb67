// Versions: what a reader sees of the live tables, and when a table that a
// compaction removed may be deleted.
//
// A Version pins one immutable manifest state. Every table a compaction
// removes is retired: its file is deleted only once no Version made before
// the removal is alive (docs/design.md: a file is deleted only after the edit
// that removed it is durable and no reader still uses it). Making a Version
// builds its TableIndex (O(n log n) in its tables) at its first read;
// dropping one is O(1).
//
// Thread-safety: safe for concurrent use. The tracker must outlive every
// Version it made.

#ifndef STRATA_ENGINE_VERSION_H_
#define STRATA_ENGINE_VERSION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "io/mutex.h"
#include "manifest/edit.h"
#include "sstable/range_tombstones.h"

namespace strata::engine {

// The tables of a state arranged for reads: split into runs of tables whose
// key ranges are disjoint, each run sorted by key (the fewest runs such a
// split allows: as many as tables overlap at the most crowded key). A
// lookup is a binary search per run, and an iterator reads one table per
// run at a time, so neither grows with the table count — only with how
// deeply the tables overlap.
class TableIndex {
 public:
  // `state` must outlive the index.
  explicit TableIndex(const manifest::State& state);

  // `tables` split into the fewest runs of disjoint key ranges, each run
  // sorted by key. The tables must outlive the runs.
  static std::vector<std::vector<const manifest::TableMeta*>> SplitIntoRuns(
      std::vector<const manifest::TableMeta*> tables);

  // The tables whose key range holds `key`, newest (largest LSN) first:
  // where a read of `key` looks, in the order it looks.
  std::vector<const manifest::TableMeta*> Holding(absl::string_view key) const;
  const std::vector<std::vector<const manifest::TableMeta*>>& runs() const {
    return runs_;
  }

 private:
  std::vector<std::vector<const manifest::TableMeta*>> runs_;
};

struct Version {
  Version(uint64_t id, std::shared_ptr<const manifest::State> state)
      : id(id), state(std::move(state)) {}

  const uint64_t id;  // Ascending in the order versions were made.
  const std::shared_ptr<const manifest::State> state;
  // Built once, by the first read that needs it: a version made and
  // replaced before any read (a follower applying many edits) costs no
  // O(n log n) build.
  const TableIndex& index() const {
    absl::call_once(index_once_, [this] { index_.emplace(*state); });
    return *index_;
  }

  // The range tombstones of every table, gathered by the first iterator
  // that needs them and kept for the next (engine.cc).
  mutable Mutex tombstones_mu;
  mutable std::shared_ptr<const sstable::TombstoneIndex> tombstones
      ABSL_GUARDED_BY(tombstones_mu);

 private:
  mutable absl::once_flag index_once_;
  mutable std::optional<TableIndex> index_;
};

class VersionTracker {
 public:
  // Deletes the files of the tables given; called once per table, without
  // the tracker's lock held.
  using DeleteFn = std::function<void(const std::vector<uint64_t>&)>;
  explicit VersionTracker(DeleteFn delete_tables)
      : delete_tables_(std::move(delete_tables)) {}

  // A new version of `state`, newer than every one made before.
  std::shared_ptr<const Version> Make(
      std::shared_ptr<const manifest::State> state) ABSL_LOCKS_EXCLUDED(mu_);

  // The newest version made does not list `numbers`: delete them once every
  // older version is gone (at once if none is alive).
  void Retire(const std::vector<uint64_t>& numbers) ABSL_LOCKS_EXCLUDED(mu_);

  // Retired tables still waiting for readers.
  size_t pending() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t live_versions() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Release(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes from pending_ what no live version can use; returns it.
  std::vector<uint64_t> TakeDeletable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DeleteFn delete_tables_;
  mutable Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::set<uint64_t> live_ ABSL_GUARDED_BY(mu_);  // Ids of live versions.
  // Table number -> the id of the first version that does not list it.
  std::multimap<uint64_t, uint64_t> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_VERSION_H_
