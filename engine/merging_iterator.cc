#include "engine/merging_iterator.h"

#include <algorithm>
#include <utility>

namespace strata::engine {
namespace {

class MemTableIterator final : public EntryIterator {
 public:
  explicit MemTableIterator(std::shared_ptr<const MemTable> mem)
      : mem_(std::move(mem)), cursor_(mem_.get()) {
    cursor_.SeekToFirst();
  }
  bool Valid() const override { return cursor_.Valid(); }
  const sstable::Entry& entry() const override { return cursor_.entry(); }
  void Next() override { cursor_.Next(); }
  void SeekToFirst() override { cursor_.SeekToFirst(); }
  void Seek(absl::string_view key) override { cursor_.Seek(key); }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  const std::shared_ptr<const MemTable> mem_;
  MemTable::Cursor cursor_;
};

class TableEntryIterator final : public EntryIterator {
 public:
  explicit TableEntryIterator(std::shared_ptr<const sstable::TableReader> table)
      : table_(std::move(table)), it_(table_->NewIterator()) {
    it_->SeekToFirst();
  }
  bool Valid() const override { return it_->Valid(); }
  const sstable::Entry& entry() const override { return it_->entry(); }
  void Next() override { it_->Next(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(absl::string_view key) override { it_->Seek(key); }
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
    Rebuild();
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
  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    Rebuild();
  }
  void Seek(absl::string_view key) override {
    for (auto& child : children_) child->Seek(key);
    Rebuild();
  }
  absl::Status status() const override { return status_; }

 private:
  void Rebuild() {
    heap_.clear();
    status_ = absl::OkStatus();
    for (auto& child : children_) Admit(child.get());
    std::make_heap(heap_.begin(), heap_.end(), After);
  }
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

std::unique_ptr<EntryIterator> NewMemTableIterator(
    std::shared_ptr<const MemTable> mem) {
  return std::make_unique<MemTableIterator>(std::move(mem));
}

std::unique_ptr<EntryIterator> NewTableIterator(
    std::shared_ptr<const sstable::TableReader> table) {
  return std::make_unique<TableEntryIterator>(std::move(table));
}

std::unique_ptr<EntryIterator> NewMergingIterator(
    std::vector<std::unique_ptr<EntryIterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace strata::engine
