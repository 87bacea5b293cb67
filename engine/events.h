// Engine events, for sibling targets that watch a database: a metrics
// exporter, a backup agent, a compaction scheduler (docs/engine.md,
// "Events").
//
// Give EngineOptions::listeners; the engine then calls each listener, in
// the order given, for:
//   - the recovered state, first, once per open;
//   - every manifest edit that committed — never one that failed — with its
//     sequence number and contents;
//   - after its edit, each flush and compaction that edit completed;
//   - each table file deleted (once no reader holds it), after the edit
//     that removed it;
//   - the background error that made the engine read-only;
//   - a write stall's beginning and end.
// Events arrive in the order they happened, edits in sequence order, on
// the engine's event thread, with none of the engine's locks held: a
// callback may read (Get, NewIterator, stats) but must not write, Flush,
// Compact, Checkpoint or Close the engine it listens to.
//
// A slow listener slows background work, never drops an event: while
// kMaxQueuedEvents await delivery, the background thread waits before its
// next flush or compaction (and writers then stall as memtables fill).
// Close delivers every event queued before it returns.

#ifndef STRATA_ENGINE_EVENTS_H_
#define STRATA_ENGINE_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "manifest/edit.h"
#include "manifest/table_meta.h"

namespace strata::engine {

inline constexpr size_t kMaxQueuedEvents = 4096;

struct RecoveredInfo {
  // The state open recovered (every edit up to state->last_sequence).
  std::shared_ptr<const manifest::State> state;
};

struct FlushInfo {
  uint64_t sequence = 0;  // Of the edit that completed it.
  // The table written; none for a frozen memtable that held nothing.
  std::optional<manifest::TableMeta> table;
  uint64_t retired_wal = 0;  // The data-WAL segment retired (0: none).
  uint64_t lsn = 0;          // The last LSN the edit set.
  bool active = false;       // The active memtable (Flush()), not a frozen one.
};

enum class CompactionReason {
  kSizeTiered,  // Automatic: tables of similar size.
  kTombstones,  // Automatic: one table dense with old tombstones.
  kManual,      // Engine::Compact.
};
const char* CompactionReasonName(CompactionReason reason);

struct CompactionInfo {
  uint64_t sequence = 0;  // Of the edit that completed it.
  std::vector<manifest::TableMeta> inputs;
  std::vector<manifest::TableMeta> outputs;
  CompactionReason reason = CompactionReason::kSizeTiered;
};

struct TableDeletedInfo {
  uint64_t number = 0;
  std::string path;
};

struct StallInfo {
  size_t frozen_memtables = 0;  // Awaiting a flush when the stall began.
};

class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void OnRecovered(const RecoveredInfo& info) {}
  virtual void OnEditCommitted(const manifest::Edit& edit) {}
  virtual void OnFlushCompleted(const FlushInfo& info) {}
  virtual void OnCompactionCompleted(const CompactionInfo& info) {}
  virtual void OnTableDeleted(const TableDeletedInfo& info) {}
  virtual void OnBackgroundError(const absl::Status& error) {}
  virtual void OnWriteStallBegin(const StallInfo& info) {}
  virtual void OnWriteStallEnd(const StallInfo& info) {}
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_EVENTS_H_
