#include "manifest/table_set.h"

#include <algorithm>

namespace strata::manifest {
namespace {

bool ByNumber(const TableMeta& t, uint64_t number) { return t.number < number; }

}  // namespace

size_t TableSet::ChunkFor(uint64_t number) const {
  // The first chunk whose last table is at or past `number`; else the last.
  auto it = std::partition_point(chunks_.begin(), chunks_.end(),
                                 [&](const std::shared_ptr<Chunk>& c) {
                                   return c->back().number < number;
                                 });
  if (it == chunks_.end()) return chunks_.empty() ? 0 : chunks_.size() - 1;
  return it - chunks_.begin();
}

const TableMeta* TableSet::Find(uint64_t number) const {
  if (chunks_.empty()) return nullptr;
  const Chunk& c = *chunks_[ChunkFor(number)];
  auto it = std::lower_bound(c.begin(), c.end(), number, ByNumber);
  return it != c.end() && it->number == number ? &*it : nullptr;
}

uint64_t TableSet::MaxNumber() const {
  return chunks_.empty() ? 0 : chunks_.back()->back().number;
}

TableSet::Chunk& TableSet::Mutable(size_t i) {
  if (chunks_[i].use_count() > 1) {
    auto copy = std::make_shared<Chunk>();
    copy->reserve(kMaxChunk);
    copy->assign(chunks_[i]->begin(), chunks_[i]->end());
    chunks_[i] = std::move(copy);
  }
  return *chunks_[i];
}

void TableSet::Put(TableMeta table) {
  if (chunks_.empty()) {  // Chunks are never empty: start one with it.
    chunks_.push_back(std::make_shared<Chunk>());
    chunks_.back()->reserve(kMaxChunk);
    chunks_.back()->push_back(std::move(table));
    ++size_;
    return;
  }
  const size_t i = ChunkFor(table.number);
  Chunk& c = Mutable(i);
  auto it = std::lower_bound(c.begin(), c.end(), table.number, ByNumber);
  if (it != c.end() && it->number == table.number) {
    *it = std::move(table);
    return;
  }
  ++size_;
  if (c.size() < kMaxChunk) {
    c.insert(it, std::move(table));
    return;
  }
  if (it == c.end() && i + 1 == chunks_.size()) {
    // Past the last table (the usual case: numbers only grow): a new
    // chunk, leaving this one full.
    chunks_.push_back(std::make_shared<Chunk>());
    chunks_.back()->reserve(kMaxChunk);
    chunks_.back()->push_back(std::move(table));
    return;
  }
  // A full chunk in the middle: split it in two halves, each with exactly
  // the room it needs.
  const size_t at = it - c.begin();
  auto tail = std::make_shared<Chunk>();
  tail->reserve(kMaxChunk);
  tail->assign(std::make_move_iterator(c.begin() + kMaxChunk / 2),
               std::make_move_iterator(c.end()));
  c.erase(c.begin() + kMaxChunk / 2, c.end());
  Chunk& target = at <= kMaxChunk / 2 ? c : *tail;
  const size_t pos = at <= kMaxChunk / 2 ? at : at - kMaxChunk / 2;
  target.insert(target.begin() + pos, std::move(table));
  chunks_.insert(chunks_.begin() + i + 1, std::move(tail));
}

bool TableSet::Insert(TableMeta table) {
  if (Find(table.number) != nullptr) return false;
  Put(std::move(table));
  return true;
}

bool TableSet::Erase(uint64_t number) {
  if (Find(number) == nullptr) return false;
  const size_t i = ChunkFor(number);
  Chunk& c = Mutable(i);
  c.erase(std::lower_bound(c.begin(), c.end(), number, ByNumber));
  --size_;
  if (c.empty()) chunks_.erase(chunks_.begin() + i);
  return true;
}

bool operator==(const TableSet& a, const TableSet& b) {
  if (a.size_ != b.size_) return false;
  std::vector<const TableMeta*> left;
  left.reserve(a.size_);
  a.ForEach([&](const TableMeta& t) { left.push_back(&t); });
  size_t i = 0;
  bool equal = true;
  b.ForEach([&](const TableMeta& t) { equal = equal && *left[i++] == t; });
  return equal;
}

}  // namespace strata::manifest
