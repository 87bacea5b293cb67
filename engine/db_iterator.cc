#include "engine/db_iterator.h"

#include <algorithm>
#include <utility>

namespace strata::engine {
namespace {

class RunIterator final : public EntryIterator {
 public:
  RunIterator(TableCache* tables, std::vector<const manifest::TableMeta*> run)
      : tables_(tables), run_(std::move(run)) {}

  bool Valid() const override { return it_ != nullptr && it_->Valid(); }
  const sstable::Entry& entry() const override { return it_->entry(); }
  void Next() override {
    it_->Next();
    SkipExhausted();
  }
  void SeekToFirst() override {
    Open(0);
    if (it_ != nullptr) it_->SeekToFirst();
    SkipExhausted();
  }
  void Seek(absl::string_view key) override {
    // The first table that ends at or after `key`.
    auto t = std::partition_point(
        run_.begin(), run_.end(), [&](const manifest::TableMeta* m) {
          return absl::string_view(m->largest_key) < key;
        });
    Open(t - run_.begin());
    if (it_ != nullptr) it_->Seek(key);
    SkipExhausted();
  }
  absl::Status status() const override {
    if (!status_.ok()) return status_;
    return it_ == nullptr ? absl::OkStatus() : it_->status();
  }

 private:
  // Opens table `i` of the run (none past its end), not yet positioned.
  void Open(size_t i) {
    i_ = i;
    it_.reset();
    table_.reset();
    status_ = absl::OkStatus();
    if (i >= run_.size()) return;
    absl::StatusOr<std::shared_ptr<const sstable::TableReader>> table =
        tables_->Get(run_[i]->number);
    if (!table.ok()) {
      status_ = table.status();
      return;
    }
    table_ = *std::move(table);
    it_ = table_->NewIterator();
  }
  // Moves on to the next table while the current one is done.
  void SkipExhausted() {
    while (it_ != nullptr && !it_->Valid() && it_->status().ok() &&
           i_ + 1 < run_.size()) {
      Open(i_ + 1);
      if (it_ != nullptr) it_->SeekToFirst();
    }
  }

  TableCache* const tables_;
  const std::vector<const manifest::TableMeta*> run_;
  size_t i_ = 0;
  std::shared_ptr<const sstable::TableReader> table_;
  std::unique_ptr<sstable::TableIterator> it_;
  absl::Status status_;
};

}  // namespace

std::unique_ptr<EntryIterator> NewRunIterator(
    TableCache* tables, std::vector<const manifest::TableMeta*> run) {
  return std::make_unique<RunIterator>(tables, std::move(run));
}

Iterator::Iterator(
    std::unique_ptr<EntryIterator> merged, uint64_t lsn,
    sstable::TombstoneIndex mem_tombstones,
    std::shared_ptr<const sstable::TombstoneIndex> table_tombstones,
    std::vector<std::shared_ptr<const void>> pins)
    : pins_(std::move(pins)),
      merged_(std::move(merged)),
      lsn_(lsn),
      mem_tombstones_(std::move(mem_tombstones)),
      table_tombstones_(std::move(table_tombstones)) {}

Iterator::Iterator(absl::Status status) : error_(std::move(status)) {}

absl::Status Iterator::status() const {
  if (!error_.ok()) return error_;
  return merged_ == nullptr ? absl::OkStatus() : merged_->status();
}

void Iterator::SeekToFirst() {
  if (merged_ == nullptr) return;
  merged_->SeekToFirst();
  FindLive();
}

void Iterator::Seek(absl::string_view key) {
  if (merged_ == nullptr) return;
  merged_->Seek(key);
  FindLive();
}

void Iterator::Next() {
  if (!valid_) return;
  skip_.assign(key().data(), key().size());
  merged_->Next();
  while (merged_->Valid() && merged_->entry().key == skip_) merged_->Next();
  FindLive();
}

bool Iterator::Covered(const sstable::Entry& e) const {
  const uint64_t covering =
      std::max(mem_tombstones_.MaxCovering(e.key, lsn_),
               table_tombstones_ == nullptr
                   ? 0
                   : table_tombstones_->MaxCovering(e.key, lsn_));
  return covering > e.lsn;
}

void Iterator::FindLive() {
  valid_ = false;
  while (merged_->Valid()) {
    const sstable::Entry& e = merged_->entry();
    if (e.lsn > lsn_) {  // Newer than this read: not there yet.
      merged_->Next();
      continue;
    }
    // The newest version of e.key this read sees.
    if (e.kind == sstable::EntryKind::kPut && !Covered(e)) {
      valid_ = true;
      return;
    }
    skip_.assign(e.key.data(), e.key.size());
    merged_->Next();
    while (merged_->Valid() && merged_->entry().key == skip_) {
      merged_->Next();
    }
  }
}

}  // namespace strata::engine
