// One compaction: merges input tables into at most one output table (a
// size-tiered run), and says which edit commits it.
//
// The job reads its inputs through the table cache and writes its output
// under a fresh number; it commits nothing. The caller applies edit() to
// the manifest, and deletes the inputs once no reader pins them. A job that
// fails says where: an input that could not be read (a damaged table, kept
// and left out of later automatic compactions) or the output that could not
// be written (a disk problem: the engine turns read-only).
//
// Thread-compatible: one thread runs a job.

#ifndef STRATA_ENGINE_COMPACTION_JOB_H_
#define STRATA_ENGINE_COMPACTION_JOB_H_

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "engine/build_table.h"
#include "engine/progress.h"
#include "engine/table_cache.h"
#include "engine/table_numbers.h"
#include "io/file_system.h"
#include "manifest/edit.h"

namespace strata::engine {

class CompactionJob {
 public:
  enum class Failure { kNone, kInput, kOutput };

  // Merges `inputs`, judging which tombstones may go against the tables of
  // `state` outside them, and keeping every version the snapshots at
  // `snapshots` (ascending LSNs) see. Every pointer must outlive the job.
  CompactionJob(io::FileSystem* fs, TableCache* tables, TableNumbers* numbers,
                const TableBuilder* builder, const manifest::State& state,
                std::vector<manifest::TableMeta> inputs,
                std::vector<uint64_t> snapshots = {});

  // Merges the inputs and writes, finishes and syncs the output. On error,
  // failure() says which side failed; an unfinished output is removed when
  // an input failed (no edit names it), and left as an orphan otherwise.
  [[nodiscard]] absl::Status Run();
  // Reports progress in entries kept of the inputs' entries (at the end,
  // done == total whatever was dropped).
  void set_progress(ProgressFn progress) { progress_ = std::move(progress); }

  Failure failure() const { return failure_; }
  const std::set<uint64_t>& input_numbers() const { return input_numbers_; }
  // The output table, if any entry was kept (after a successful Run).
  const std::optional<manifest::TableMeta>& output() const { return output_; }
  // The edit that commits the job: one Compaction op that removes the
  // inputs and adds the output.
  manifest::Edit edit() const;

 private:
  // Creates the output on the first thing kept.
  absl::Status OpenOutput();
  absl::Status Emit(const sstable::Entry& e);
  absl::Status Failed(Failure failure, absl::Status status);

  io::FileSystem* const fs_;
  TableCache* const tables_;
  TableNumbers* const numbers_;
  const TableBuilder* const builder_;
  const OutsideTables outside_;
  const std::vector<manifest::TableMeta> inputs_;
  const std::vector<uint64_t> snapshots_;
  std::set<uint64_t> input_numbers_;

  Failure failure_ = Failure::kNone;
  uint64_t output_number_ = 0;
  std::unique_ptr<sstable::TableWriter> writer_;
  absl::Status output_status_;  // The first error of writing the output.
  std::optional<manifest::TableMeta> output_;
  ProgressFn progress_;
  uint64_t input_entries_ = 0;
  uint64_t emitted_ = 0;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_COMPACTION_JOB_H_
