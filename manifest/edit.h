// The manifest's state and the edits that change it.
//
// State is what docs/design.md lists: manifest version, last LSN, active
// data-WAL id, frozen data-WAL ids, live SSTables (with the metadata that
// lets a DB directory move and open without touching every table), and the
// next SSTable id. An Edit is a batch of the reference design's operations with
// a sequence number: one log record, applied atomically.
//
// Two ways to apply an edit:
//  - Validate() then Apply(): what Manifest::Apply does before anything is
//    written. Validate refuses edits that would be wrong against the current
//    state (InvalidArgument naming the op).
//  - Apply() alone on replay: every op is idempotent, as in the reference,
//    so replaying an edit the state already reflects changes nothing.
//
// Thread-compatible value types.

#ifndef STRATA_MANIFEST_EDIT_H_
#define STRATA_MANIFEST_EDIT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "manifest/table_meta.h"
#include "manifest/table_set.h"

namespace strata::manifest {

// The operations of the reference design.
struct SetVersion {
  uint64_t version = 0;
};
// Makes `wal` the active data WAL and drops it from the frozen list.
struct SetActiveWal {
  uint64_t wal = 0;
};
// Adds `wal` to the frozen list (awaiting flush).
struct AddFrozenWal {
  uint64_t wal = 0;
};
struct RemoveFrozenWal {
  uint64_t wal = 0;
};
struct AddTable {
  TableMeta table;
};
struct RemoveTable {
  uint64_t number = 0;
};
// Raises the last LSN; never lowers it.
struct UpdateLsn {
  uint64_t lsn = 0;
};
// Persists the allocation of table id `number`: the next id moves past it.
struct AllocateTableId {
  uint64_t number = 0;
};
// Removes `removed` then adds `added`, as one op.
struct Compaction {
  std::vector<TableMeta> added;
  std::vector<uint64_t> removed;
};

using Op =
    std::variant<SetVersion, SetActiveWal, AddFrozenWal, RemoveFrozenWal,
                 AddTable, RemoveTable, UpdateLsn, AllocateTableId, Compaction>;

// A name for the op, for errors and dumps: "AddTable", …
const char* OpName(const Op& op);

struct Edit {
  // Assigned when the edit is committed: one more than the last edit's.
  uint64_t sequence = 0;
  std::vector<Op> ops;
  // Not logged, not compared: the committer's own note, handed back with
  // the edit to ManifestOptions::on_commit (the engine notes which flush or
  // compaction an edit is, for its event listeners).
  std::shared_ptr<const void> note;

  // The edits the engine commits (engine/engine.cc builds every edit with
  // these), each one log record:
  //
  // A freeze: `old_wal` joins the frozen list and `new_wal` becomes active.
  // The last LSN stays: the frozen memtable's entries are in no table yet.
  static Edit Freeze(uint64_t old_wal, uint64_t new_wal);
  // A flush of a frozen memtable: its table (none if it was empty) becomes
  // live, its WAL leaves the frozen list, and the last LSN rises to `lsn`.
  static Edit Flush(std::optional<TableMeta> table, uint64_t retired_wal,
                    uint64_t lsn);
  // A flush of the active memtable: its table becomes live and the last LSN
  // rises to `lsn`; with `next_wal`, that segment becomes active, retiring
  // the one that held the memtable.
  static Edit FlushActive(TableMeta table, uint64_t lsn,
                          std::optional<uint64_t> next_wal);
  // A compaction: `removed` leave and `added` arrive, as one op.
  static Edit Compact(std::vector<TableMeta> added,
                      std::vector<uint64_t> removed);
};

struct State {
  uint64_t version = 0;
  uint64_t last_sequence = 0;  // Of the last edit applied.
  uint64_t last_lsn = 0;
  uint64_t active_wal = 0;
  std::vector<uint64_t> frozen_wals;  // Ascending.
  uint64_t next_table_number = 1;
  TableSet tables;

  bool IsFrozen(uint64_t wal) const;
  friend bool operator==(const State& a, const State& b);
};

// OK if every op of `edit`, in order, is valid against `state` as changed by
// the ops before it: removing a table or WAL that is not there, adding a
// table twice or one whose id was never allocated, allocating an id below
// the allocation counter, reusing a WAL id, or lowering the last LSN is
// InvalidArgument, naming the op's index and what is wrong. Does not check
// edit.sequence.
[[nodiscard]] absl::Status Validate(const State& state, const Edit& edit);

// Applies `edit` idempotently and sets state->last_sequence to its sequence.
void Apply(const Edit& edit, State* state);
// The same, moving the edit's tables into the state.
void Apply(Edit&& edit, State* state);

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_EDIT_H_
