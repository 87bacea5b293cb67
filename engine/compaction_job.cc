#include "engine/compaction_job.h"

#include <algorithm>
#include <utility>

#include "engine/db_iterator.h"
#include "engine/merging_iterator.h"
#include "engine/version.h"
#include "io/status_macros.h"
#include "sstable/range_tombstones.h"

namespace strata::engine {
namespace {

std::set<uint64_t> NumbersOf(const std::vector<manifest::TableMeta>& tables) {
  std::set<uint64_t> numbers;
  for (const manifest::TableMeta& t : tables) numbers.insert(t.number);
  return numbers;
}

}  // namespace

CompactionJob::CompactionJob(io::FileSystem* fs, TableCache* tables,
                             TableNumbers* numbers, const TableBuilder* builder,
                             const manifest::State& state,
                             std::vector<manifest::TableMeta> inputs,
                             std::vector<uint64_t> snapshots)
    : fs_(fs),
      tables_(tables),
      numbers_(numbers),
      builder_(builder),
      outside_(state, NumbersOf(inputs)),
      inputs_(std::move(inputs)),
      snapshots_(std::move(snapshots)),
      input_numbers_(NumbersOf(inputs_)) {}

absl::Status CompactionJob::Failed(Failure failure, absl::Status status) {
  failure_ = failure;
  return status;
}

absl::Status CompactionJob::OpenOutput() {
  if (writer_ != nullptr) return absl::OkStatus();
  absl::StatusOr<uint64_t> n = numbers_->Next();
  if (!n.ok()) return output_status_ = n.status();
  output_number_ = *n;
  absl::StatusOr<std::unique_ptr<sstable::TableWriter>> w =
      builder_->Create(output_number_);
  if (!w.ok()) return output_status_ = w.status();
  writer_ = *std::move(w);
  uint64_t covered = 0;
  for (const manifest::TableMeta& t : inputs_) {
    covered = std::max(covered, t.largest_lsn);
  }
  writer_->CoverLsnsUpTo(covered);
  return absl::OkStatus();
}

absl::Status CompactionJob::Emit(const sstable::Entry& e) {
  STRATA_RETURN_IF_ERROR(OpenOutput());
  if (progress_ && ++emitted_ % 65536 == 0) {
    progress_(emitted_, input_entries_);
  }
  return output_status_ = writer_->Add(e);
}

absl::Status CompactionJob::Run() {
  std::vector<std::unique_ptr<EntryIterator>> children;
  std::vector<sstable::RangeTombstone> ranges;
  std::vector<const manifest::TableMeta*> inputs;
  for (const manifest::TableMeta& t : inputs_) {
    input_entries_ += t.entries;
    inputs.push_back(&t);
    // Range tombstones count as tombstones: a table with none has none.
    if (t.tombstones == 0) continue;
    absl::StatusOr<std::shared_ptr<const sstable::TableReader>> table =
        tables_->Get(t.number);
    if (!table.ok()) return Failed(Failure::kInput, table.status());
    const auto& mine = (*table)->range_tombstones().tombstones();
    ranges.insert(ranges.end(), mine.begin(), mine.end());
  }
  // One iterator per run of disjoint tables, each reading one table at a
  // time: a merge of thousands of tables holds few open at once.
  for (std::vector<const manifest::TableMeta*>& run :
       TableIndex::SplitIntoRuns(std::move(inputs))) {
    children.push_back(NewRunIterator(tables_, std::move(run)));
  }
  const sstable::TombstoneIndex range_index(std::move(ranges));
  const MergeRules rules{&outside_, snapshots_, &range_index};
  std::unique_ptr<EntryIterator> merged =
      NewMergingIterator(std::move(children));
  merged->SeekToFirst();  // A run iterator starts unpositioned.
  absl::Status merge = MergeForCompaction(
      merged.get(), rules, [this](const sstable::Entry& e) { return Emit(e); });
  for (const sstable::RangeTombstone& t : KeptRangeTombstones(rules)) {
    if (!merge.ok()) break;
    merge = OpenOutput();
    if (merge.ok()) {
      merge = output_status_ =
          writer_->AddRangeTombstone(t.start, t.end, t.lsn);
    }
  }
  if (!merge.ok() && !output_status_.ok()) {
    return Failed(Failure::kOutput, merge);
  }
  if (!merge.ok()) {
    if (writer_ != nullptr) {
      writer_.reset();  // Not named by any edit: ours to remove.
      fs_->RemoveFile(builder_->TablePath(output_number_)).IgnoreError();
    }
    return Failed(Failure::kInput, merge);
  }
  if (writer_ == nullptr) {  // Every entry was dropped.
    if (progress_) progress_(input_entries_, input_entries_);
    return absl::OkStatus();
  }
  absl::StatusOr<manifest::TableMeta> table =
      builder_->Finish(output_number_, writer_.get(), /*entry_durable=*/false);
  if (!table.ok()) return Failed(Failure::kOutput, table.status());
  output_ = *std::move(table);
  if (progress_) progress_(input_entries_, input_entries_);
  return absl::OkStatus();
}

manifest::Edit CompactionJob::edit() const {
  std::vector<manifest::TableMeta> added;
  if (output_.has_value()) added.push_back(*output_);
  return manifest::Edit::Compact(
      std::move(added),
      std::vector<uint64_t>(input_numbers_.begin(), input_numbers_.end()));
}

}  // namespace strata::engine
