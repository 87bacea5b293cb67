#include "manifest/edit.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "absl/strings/str_format.h"
#include "io/status_macros.h"

namespace strata::manifest {

bool operator==(const State& a, const State& b) {
  return a.version == b.version && a.last_sequence == b.last_sequence &&
         a.last_lsn == b.last_lsn && a.active_wal == b.active_wal &&
         a.frozen_wals == b.frozen_wals &&
         a.next_table_number == b.next_table_number && a.tables == b.tables;
}

bool State::IsFrozen(uint64_t wal) const {
  return std::binary_search(frozen_wals.begin(), frozen_wals.end(), wal);
}

const char* OpName(const Op& op) {
  struct Namer {
    const char* operator()(const SetVersion&) { return "SetVersion"; }
    const char* operator()(const SetActiveWal&) { return "SetActiveWal"; }
    const char* operator()(const AddFrozenWal&) { return "AddFrozenWal"; }
    const char* operator()(const RemoveFrozenWal&) { return "RemoveFrozenWal"; }
    const char* operator()(const AddTable&) { return "AddTable"; }
    const char* operator()(const RemoveTable&) { return "RemoveTable"; }
    const char* operator()(const UpdateLsn&) { return "UpdateLsn"; }
    const char* operator()(const AllocateTableId&) { return "AllocateTableId"; }
    const char* operator()(const Compaction&) { return "Compaction"; }
  };
  return std::visit(Namer(), op);
}

Edit Edit::Freeze(uint64_t old_wal, uint64_t new_wal) {
  Edit edit;
  edit.ops.push_back(AddFrozenWal{old_wal});
  edit.ops.push_back(SetActiveWal{new_wal});
  return edit;
}

Edit Edit::Flush(std::optional<TableMeta> table, uint64_t retired_wal,
                 uint64_t lsn) {
  Edit edit;
  if (table.has_value()) edit.ops.push_back(AddTable{*std::move(table)});
  edit.ops.push_back(RemoveFrozenWal{retired_wal});
  edit.ops.push_back(UpdateLsn{lsn});
  return edit;
}

Edit Edit::FlushActive(TableMeta table, uint64_t lsn,
                       std::optional<uint64_t> next_wal) {
  Edit edit;
  edit.ops.push_back(AddTable{std::move(table)});
  edit.ops.push_back(UpdateLsn{lsn});
  if (next_wal.has_value()) edit.ops.push_back(SetActiveWal{*next_wal});
  return edit;
}

Edit Edit::Compact(std::vector<TableMeta> added,
                   std::vector<uint64_t> removed) {
  Edit edit;
  edit.ops.push_back(Compaction{std::move(added), std::move(removed)});
  return edit;
}

namespace {

// What validation tracks of the state while walking an edit's ops, without
// copying the table map: the edit's own additions and removals.
class Overlay {
 public:
  explicit Overlay(const State& base)
      : base_(base),
        active_wal_(base.active_wal),
        last_lsn_(base.last_lsn),
        next_table_(base.next_table_number) {}

  absl::Status Check(const Op& op) { return std::visit(*this, op); }

  absl::Status operator()(const SetVersion&) { return absl::OkStatus(); }

  absl::Status operator()(const SetActiveWal& op) {
    if (op.wal <= active_wal_ || op.wal <= MaxFrozen()) {
      return Invalid(absl::StrFormat(
          "WAL %d is not newer than every WAL in use (active %d): WAL ids "
          "are never reused",
          op.wal, active_wal_));
    }
    active_wal_ = op.wal;
    return absl::OkStatus();
  }

  absl::Status operator()(const AddFrozenWal& op) {
    if (op.wal == 0 || op.wal > active_wal_) {
      return Invalid(absl::StrFormat("WAL %d was never active (active is %d)",
                                     op.wal, active_wal_));
    }
    std::vector<uint64_t>& frozen = Frozen();
    auto it = std::lower_bound(frozen.begin(), frozen.end(), op.wal);
    if (it != frozen.end() && *it == op.wal) {
      return Invalid(absl::StrFormat("WAL %d is already frozen", op.wal));
    }
    frozen.insert(it, op.wal);
    return absl::OkStatus();
  }

  absl::Status operator()(const RemoveFrozenWal& op) {
    std::vector<uint64_t>& frozen = Frozen();
    auto it = std::lower_bound(frozen.begin(), frozen.end(), op.wal);
    if (it == frozen.end() || *it != op.wal) {
      return Invalid(absl::StrFormat("WAL %d is not frozen", op.wal));
    }
    frozen.erase(it);
    return absl::OkStatus();
  }

  absl::Status operator()(const AddTable& op) { return Add(op.table); }
  absl::Status operator()(const RemoveTable& op) { return Remove(op.number); }

  absl::Status operator()(const UpdateLsn& op) {
    if (op.lsn < last_lsn_) {
      return Invalid(absl::StrFormat("would lower the last LSN from %d to %d",
                                     last_lsn_, op.lsn));
    }
    last_lsn_ = op.lsn;
    return absl::OkStatus();
  }

  absl::Status operator()(const AllocateTableId& op) {
    if (op.number < next_table_) {
      return Invalid(absl::StrFormat(
          "table id %d is below the allocation counter %d: ids are never "
          "reused",
          op.number, next_table_));
    }
    next_table_ = op.number + 1;
    return absl::OkStatus();
  }

  absl::Status operator()(const Compaction& op) {
    for (uint64_t number : op.removed) {
      STRATA_RETURN_IF_ERROR(Remove(number));
    }
    for (const TableMeta& table : op.added) {
      STRATA_RETURN_IF_ERROR(Add(table));
    }
    return absl::OkStatus();
  }

  void set_index(size_t index, const char* name) {
    index_ = index;
    name_ = name;
  }

 private:
  // Sets, not lists: a compaction's edit may name 100,000 tables, and a
  // lookup per table must not scan the others.
  static bool Has(const std::unordered_set<uint64_t>& s, uint64_t n) {
    return s.count(n) != 0;
  }

  bool Live(uint64_t number) const {
    if (Has(removed_, number)) return false;
    return Has(added_, number) || base_.tables.Find(number) != nullptr;
  }

  // The frozen list as changed by this edit, copied on first use.
  std::vector<uint64_t>& Frozen() {
    if (!frozen_.has_value()) frozen_ = base_.frozen_wals;
    return *frozen_;
  }

  absl::Status Add(const TableMeta& table) {
    if (table.number >= next_table_) {
      return Invalid(absl::StrFormat(
          "table %d is at or past the allocation counter %d: allocate its "
          "id first",
          table.number, next_table_));
    }
    if (Live(table.number) || Has(removed_, table.number)) {
      return Invalid(absl::StrFormat("table %d is already live or was live",
                                     table.number));
    }
    added_.insert(table.number);
    return absl::OkStatus();
  }

  absl::Status Remove(uint64_t number) {
    if (!Live(number)) {
      return Invalid(absl::StrFormat("table %d is not live", number));
    }
    removed_.insert(number);
    return absl::OkStatus();
  }

  uint64_t MaxFrozen() const {
    const std::vector<uint64_t>& f =
        frozen_.has_value() ? *frozen_ : base_.frozen_wals;
    return f.empty() ? 0 : f.back();
  }

  absl::Status Invalid(const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("manifest: edit op %d (%s): %s", index_, name_, what));
  }

  const State& base_;
  uint64_t active_wal_;
  std::optional<std::vector<uint64_t>> frozen_;
  uint64_t last_lsn_;
  uint64_t next_table_;
  // Tables this edit added and removed: a handful, searched linearly.
  std::unordered_set<uint64_t> added_;
  std::unordered_set<uint64_t> removed_;
  size_t index_ = 0;
  const char* name_ = "";
};

// Idempotent application, op by op.
struct Applier {
  State* state;

  void operator()(const SetVersion& op) { state->version = op.version; }
  void operator()(const SetActiveWal& op) {
    state->active_wal = op.wal;
    Erase(op.wal);
  }
  void operator()(const AddFrozenWal& op) {
    auto& f = state->frozen_wals;
    auto it = std::lower_bound(f.begin(), f.end(), op.wal);
    if (it == f.end() || *it != op.wal) f.insert(it, op.wal);
  }
  void operator()(const RemoveFrozenWal& op) { Erase(op.wal); }
  void operator()(const AddTable& op) { Add(op.table); }
  void operator()(const RemoveTable& op) { state->tables.Erase(op.number); }
  void operator()(const UpdateLsn& op) {
    state->last_lsn = std::max(state->last_lsn, op.lsn);
  }
  void operator()(const AllocateTableId& op) {
    state->next_table_number =
        std::max(state->next_table_number, op.number + 1);
  }
  void operator()(const Compaction& op) {
    for (uint64_t number : op.removed) state->tables.Erase(number);
    for (const TableMeta& table : op.added) Add(table);
  }
  // For an edit applied once and dropped (replay): its tables move.
  void operator()(AddTable& op) { Add(std::move(op.table)); }
  void operator()(Compaction& op) {
    for (uint64_t number : op.removed) state->tables.Erase(number);
    for (TableMeta& table : op.added) Add(std::move(table));
  }

  void Add(TableMeta table) {
    // A live table's id is allocated, whatever the log said.
    state->next_table_number =
        std::max(state->next_table_number, table.number + 1);
    state->tables.Put(std::move(table));
  }
  void Erase(uint64_t wal) {
    auto& f = state->frozen_wals;
    auto it = std::lower_bound(f.begin(), f.end(), wal);
    if (it != f.end() && *it == wal) f.erase(it);
  }
};

}  // namespace

absl::Status Validate(const State& state, const Edit& edit) {
  Overlay overlay(state);
  for (size_t i = 0; i < edit.ops.size(); ++i) {
    overlay.set_index(i, OpName(edit.ops[i]));
    STRATA_RETURN_IF_ERROR(overlay.Check(edit.ops[i]));
  }
  return absl::OkStatus();
}

void Apply(const Edit& edit, State* state) {
  Applier applier{state};
  for (const Op& op : edit.ops) std::visit(applier, op);
  state->last_sequence = std::max(state->last_sequence, edit.sequence);
}

void Apply(Edit&& edit, State* state) {
  Applier applier{state};
  for (Op& op : edit.ops) std::visit(applier, op);
  state->last_sequence = std::max(state->last_sequence, edit.sequence);
}

}  // namespace strata::manifest
