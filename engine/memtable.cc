#include "engine/memtable.h"

#include <algorithm>
#include <iterator>

namespace strata::engine {
namespace {

// Tree node and bookkeeping per entry, roughly, for the size estimate.
constexpr size_t kEntryOverhead = 64;

// A search key: sorts before every entry of `key` with an LSN at most `lsn`.
sstable::Entry Probe(absl::string_view key, uint64_t lsn) {
  return {key, lsn, sstable::EntryKind::kPut, {}};
}

}  // namespace

void MemTable::Add(const sstable::Entry& entry) {
  if (entry.kind == sstable::EntryKind::kRangeDelete) {
    sstable::RangeTombstone t{std::string(entry.key), std::string(entry.value),
                              entry.lsn};
    const size_t bytes = t.start.size() + t.end.size() + kEntryOverhead;
    MutexLock lock(&mu_);
    // Only a replay of a record already added brings an LSN not past every
    // one here: only then is there anything to look for.
    if (entry.lsn <= max_lsn_) {
      for (const sstable::RangeTombstone& r : range_tombstones_) {
        if (r.lsn == t.lsn) return;
      }
    }
    range_tombstones_.push_back(std::move(t));
    tombstone_index_.reset();  // Rebuilt by the next lookup.
    bytes_ += bytes;
    max_lsn_ = std::max(max_lsn_, entry.lsn);
    return;
  }
  Node node;
  node.bytes.reserve(entry.key.size() + entry.value.size());
  node.bytes.append(entry.key.data(), entry.key.size());
  node.bytes.append(entry.value.data(), entry.value.size());
  node.key_size = entry.key.size();
  node.lsn = entry.lsn;
  node.kind = entry.kind;
  const size_t bytes = node.bytes.size() + kEntryOverhead;
  MutexLock lock(&mu_);
  auto [it, inserted] = entries_.insert(std::move(node));
  if (!inserted) return;  // Replay of a record already added.
  bytes_ += bytes;
  max_lsn_ = std::max(max_lsn_, entry.lsn);
}

std::optional<sstable::Found> MemTable::Get(absl::string_view key,
                                            uint64_t max_lsn) const {
  MutexLock lock(&mu_);
  auto it = entries_.lower_bound(Probe(key, max_lsn));
  if (it == entries_.end() || it->key() != key) return std::nullopt;
  return sstable::Found{it->lsn, it->kind, std::string(it->value())};
}

uint64_t MemTable::MaxCoveringTombstone(absl::string_view key,
                                        uint64_t max_lsn) const {
  MutexLock lock(&mu_);
  if (range_tombstones_.empty()) return 0;
  if (tombstone_index_ == nullptr) {
    tombstone_index_ =
        std::make_unique<sstable::TombstoneIndex>(range_tombstones_);
  }
  return tombstone_index_->MaxCovering(key, max_lsn);
}

std::vector<sstable::RangeTombstone> MemTable::RangeTombstones(
    uint64_t max_lsn) const {
  MutexLock lock(&mu_);
  std::vector<sstable::RangeTombstone> out;
  for (const sstable::RangeTombstone& t : range_tombstones_) {
    if (t.lsn <= max_lsn) out.push_back(t);
  }
  return out;
}

void MemTable::Cursor::Load(Iter it) {
  it_ = it;
  valid_ = it_ != mem_->entries_.end();
  // The node stays put and unchanged: the view outlives the lock.
  if (valid_) view_ = it_->view();
}

void MemTable::Cursor::SeekToFirst() {
  MutexLock lock(&mem_->mu_);
  Load(mem_->entries_.begin());
}

void MemTable::Cursor::Seek(absl::string_view key) {
  MutexLock lock(&mem_->mu_);
  Load(mem_->entries_.lower_bound(Probe(key, UINT64_MAX)));
}

void MemTable::Cursor::Next() {
  if (!valid_) return;
  MutexLock lock(&mem_->mu_);
  Load(std::next(it_));
}

bool MemTable::empty() const {
  MutexLock lock(&mu_);
  return entries_.empty() && range_tombstones_.empty();
}

size_t MemTable::count() const {
  MutexLock lock(&mu_);
  return entries_.size() + range_tombstones_.size();
}

size_t MemTable::ApproximateBytes() const {
  MutexLock lock(&mu_);
  return bytes_;
}

uint64_t MemTable::max_lsn() const {
  MutexLock lock(&mu_);
  return max_lsn_;
}

}  // namespace strata::engine
