#include "engine/memtable.h"

#include <algorithm>

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
  OwnedEntry owned{std::string(entry.key), entry.lsn, entry.kind,
                   std::string(entry.value)};
  const size_t bytes = owned.key.size() + owned.value.size() + kEntryOverhead;
  MutexLock lock(&mu_);
  auto [it, inserted] = entries_.insert(std::move(owned));
  if (!inserted) return;  // Replay of a record already added.
  bytes_ += bytes;
  max_lsn_ = std::max(max_lsn_, entry.lsn);
}

std::optional<sstable::Found> MemTable::Get(absl::string_view key,
                                            uint64_t max_lsn) const {
  MutexLock lock(&mu_);
  auto it = entries_.lower_bound(Probe(key, max_lsn));
  if (it == entries_.end() || it->key != key) return std::nullopt;
  return sstable::Found{it->lsn, it->kind, it->value};
}

void MemTable::Collect(absl::string_view start, absl::string_view end,
                       uint64_t max_lsn, std::vector<OwnedEntry>* out) const {
  MutexLock lock(&mu_);
  for (auto it = entries_.lower_bound(Probe(start, UINT64_MAX));
       it != entries_.end(); ++it) {
    if (!end.empty() && absl::string_view(it->key) >= end) break;
    if (it->lsn <= max_lsn) out->push_back(*it);
  }
}

bool MemTable::empty() const {
  MutexLock lock(&mu_);
  return entries_.empty();
}

size_t MemTable::count() const {
  MutexLock lock(&mu_);
  return entries_.size();
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
