#include "engine/merging_iterator.h"

#include <algorithm>
#include <utility>

namespace strata::engine {
namespace {

class VectorIterator final : public EntryIterator {
 public:
  explicit VectorIterator(std::vector<OwnedEntry> entries)
      : entries_(std::move(entries)) {
    Load();
  }
  bool Valid() const override { return pos_ < entries_.size(); }
  const sstable::Entry& entry() const override { return view_; }
  void Next() override {
    ++pos_;
    Load();
  }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  void Load() {
    if (Valid()) view_ = entries_[pos_].view();
  }

  std::vector<OwnedEntry> entries_;
  size_t pos_ = 0;
  sstable::Entry view_;
};

class TableEntryIterator final : public EntryIterator {
 public:
  TableEntryIterator(std::shared_ptr<const sstable::TableReader> table,
                     absl::string_view start)
      : table_(std::move(table)), it_(table_->NewIterator()) {
    if (start.empty()) {
      it_->SeekToFirst();
    } else {
      it_->Seek(start);
    }
  }
  bool Valid() const override { return it_->Valid(); }
  const sstable::Entry& entry() const override { return it_->entry(); }
  void Next() override { it_->Next(); }
  absl::Status status() const override { return it_->status(); }

 private:
  const std::shared_ptr<const sstable::TableReader> table_;
  const std::unique_ptr<sstable::TableIterator> it_;
};

// A binary min-heap of the valid children, by their current entry.
class MergingIterator final : public EntryIterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<EntryIterator>> children)
      : children_(std::move(children)) {
    for (auto& child : children_) Admit(child.get());
    std::make_heap(heap_.begin(), heap_.end(), After);
  }
  bool Valid() const override { return status_.ok() && !heap_.empty(); }
  const sstable::Entry& entry() const override {
    return heap_.front()->entry();
  }
  void Next() override {
    std::pop_heap(heap_.begin(), heap_.end(), After);
    EntryIterator* top = heap_.back();
    heap_.pop_back();
    top->Next();
    if (Admit(top)) std::push_heap(heap_.begin(), heap_.end(), After);
  }
  absl::Status status() const override { return status_; }

 private:
  // True if `a` sorts after `b`: the heap's front is the smallest entry.
  static bool After(const EntryIterator* a, const EntryIterator* b) {
    const sstable::Entry& x = a->entry();
    const sstable::Entry& y = b->entry();
    return sstable::CompareInternal(x.key, x.lsn, y.key, y.lsn) > 0;
  }
  // Adds `child` to the heap's storage if it is valid; records its error.
  bool Admit(EntryIterator* child) {
    if (child->Valid()) {
      heap_.push_back(child);
      return true;
    }
    if (status_.ok()) status_ = child->status();
    return false;
  }

  std::vector<std::unique_ptr<EntryIterator>> children_;
  std::vector<EntryIterator*> heap_;
  absl::Status status_;
};

}  // namespace

std::unique_ptr<EntryIterator> NewVectorIterator(
    std::vector<OwnedEntry> entries) {
  return std::make_unique<VectorIterator>(std::move(entries));
}

std::unique_ptr<EntryIterator> NewTableIterator(
    std::shared_ptr<const sstable::TableReader> table,
    absl::string_view start) {
  return std::make_unique<TableEntryIterator>(std::move(table), start);
}

std::unique_ptr<EntryIterator> NewMergingIterator(
    std::vector<std::unique_ptr<EntryIterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace strata::engine
