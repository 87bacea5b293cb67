#include "manifest/table_set.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iterator>

namespace strata::manifest {
namespace internal {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kRegionBytes = size_t{64} << 20;

std::atomic<uint64_t> handed_out{0};

}  // namespace

uint64_t ChunkArena::MappedBytes() { return handed_out.load(); }

ChunkArena::~ChunkArena() {
  for (const Region& r : regions_) {
    handed_out -= r.used;
    munmap(r.base, r.size);
  }
}

void* ChunkArena::Allocate(size_t bytes) {
  bytes = (bytes + 15) & ~size_t{15};
  if (regions_.empty() || regions_.back().size - regions_.back().used < bytes) {
    const size_t size = std::max(kRegionBytes, bytes + kHugePage);
    void* p = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    // Aligned to a huge page, so that every 2 MiB of it can be one.
    char* base = static_cast<char*>(p);
    const size_t skip =
        (kHugePage - reinterpret_cast<uintptr_t>(base) % kHugePage) % kHugePage;
    if (skip > 0) munmap(base, skip);
    munmap(base + skip + size, kHugePage - skip);
    base += skip;
    // Advice only: without huge pages the region works all the same.
    madvise(base, size, MADV_HUGEPAGE);
    regions_.push_back({base, size, 0});
  }
  Region& r = regions_.back();
  void* out = r.base + r.used;
  r.used += bytes;
  handed_out += bytes;
  return out;
}

bool ChunkArena::Owns(const void* p) const {
  const char* c = static_cast<const char*>(p);
  for (const Region& r : regions_) {
    if (c >= r.base && c < r.base + r.size) return true;
  }
  return false;
}

}  // namespace internal

namespace {

bool ByNumber(const TableMeta& t, uint64_t number) { return t.number < number; }

}  // namespace

std::shared_ptr<TableSet::Chunk> TableSet::NewChunk() {
  auto chunk = std::make_shared<Chunk>();
  chunk->reserve(kMaxChunk);
  return chunk;
}

void TableSet::BeginBulkLoad() {
  arena_ = std::make_shared<internal::ChunkArena>();
}

TableSet::Position TableSet::ChunkFor(uint64_t number) const {
  auto g = std::partition_point(groups_.begin(), groups_.end(),
                                [&](const std::shared_ptr<Group>& grp) {
                                  return grp->back()->back().number < number;
                                });
  if (g == groups_.end()) --g;
  const Group& group = **g;
  auto c = std::partition_point(group.begin(), group.end(),
                                [&](const std::shared_ptr<Chunk>& chunk) {
                                  return chunk->back().number < number;
                                });
  if (c == group.end()) --c;
  return {static_cast<size_t>(g - groups_.begin()),
          static_cast<size_t>(c - group.begin())};
}

const TableMeta* TableSet::Find(uint64_t number) const {
  if (groups_.empty()) return nullptr;
  const Position p = ChunkFor(number);
  const Chunk& c = *(*groups_[p.group])[p.chunk];
  auto it = std::lower_bound(c.begin(), c.end(), number, ByNumber);
  return it != c.end() && it->number == number ? &*it : nullptr;
}

uint64_t TableSet::MaxNumber() const {
  return groups_.empty() ? 0 : groups_.back()->back()->back().number;
}

TableSet::Group& TableSet::MutableGroup(size_t g) {
  if (groups_[g].use_count() > 1) {
    auto copy = std::make_shared<Group>();
    copy->reserve(kMaxGroup);
    copy->assign(groups_[g]->begin(), groups_[g]->end());
    groups_[g] = std::move(copy);
  }
  return *groups_[g];
}

TableSet::Chunk& TableSet::MutableChunk(Position p) {
  std::shared_ptr<Chunk>& chunk = MutableGroup(p.group)[p.chunk];
  if (chunk.use_count() > 1) {
    auto copy = NewChunk();
    copy->assign(chunk->begin(), chunk->end());
    chunk = std::move(copy);
  }
  return *chunk;
}

void TableSet::InsertChunk(Position p, std::shared_ptr<Chunk> chunk) {
  Group& group = MutableGroup(p.group);
  if (group.size() < kMaxGroup) {
    group.insert(group.begin() + p.chunk, std::move(chunk));
    return;
  }
  auto tail = std::make_shared<Group>();
  tail->reserve(kMaxGroup);
  if (p.chunk == group.size() && p.group + 1 == groups_.size()) {
    // Past the last chunk (numbers only grow): a new group, leaving this
    // one full.
    tail->push_back(std::move(chunk));
    groups_.push_back(std::move(tail));
    return;
  }
  // A full group in the middle: split it in two halves.
  constexpr size_t kHalf = kMaxGroup / 2;
  tail->assign(std::make_move_iterator(group.begin() + kHalf),
               std::make_move_iterator(group.end()));
  group.erase(group.begin() + kHalf, group.end());
  if (p.chunk <= kHalf) {
    group.insert(group.begin() + p.chunk, std::move(chunk));
  } else {
    tail->insert(tail->begin() + (p.chunk - kHalf), std::move(chunk));
  }
  groups_.insert(groups_.begin() + p.group + 1, std::move(tail));
}

bool TableSet::AppendAll(TableSet&& tail) {
  if (tail.empty()) return true;
  if (!empty() &&
      tail.groups_.front()->front()->front().number <= MaxNumber()) {
    return false;
  }
  groups_.insert(groups_.end(), std::make_move_iterator(tail.groups_.begin()),
                 std::make_move_iterator(tail.groups_.end()));
  size_ += tail.size_;
  tail.groups_.clear();
  tail.size_ = 0;
  return true;
}

bool TableSet::Append(TableMeta& table) {
  if (groups_.empty() || table.number <= MaxNumber()) return false;
  // Past every live number, as when a snapshot is loaded or a flush adds a
  // table: no search.
  const Position last{groups_.size() - 1, groups_.back()->size() - 1};
  Chunk& c = MutableChunk(last);
  ++size_;
  if (c.size() < kMaxChunk) {
    c.push_back(std::move(table));
    return true;
  }
  auto chunk = arena_ == nullptr
                   ? NewChunk()
                   : std::make_shared<Chunk>(
                         internal::ChunkAllocator<TableMeta>(arena_));
  chunk->reserve(kMaxChunk);
  chunk->push_back(std::move(table));
  InsertChunk({last.group, last.chunk + 1}, std::move(chunk));
  return true;
}

void TableSet::Put(TableMeta table) {
  if (Append(table)) return;
  if (groups_.empty()) {  // Chunks and groups are never empty.
    auto chunk = NewChunk();
    chunk->push_back(std::move(table));
    auto group = std::make_shared<Group>();
    group->reserve(kMaxGroup);
    group->push_back(std::move(chunk));
    groups_.push_back(std::move(group));
    size_ = 1;
    return;
  }
  const Position p = ChunkFor(table.number);
  Chunk& c = MutableChunk(p);
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
  if (it == c.end() && IsLastChunk(p)) {
    // Past the last table (the usual case: numbers only grow): a new
    // chunk, leaving this one full.
    auto chunk = NewChunk();
    chunk->push_back(std::move(table));
    InsertChunk({p.group, p.chunk + 1}, std::move(chunk));
    return;
  }
  // A full chunk in the middle: split it in two halves, each with exactly
  // the room it needs.
  const size_t at = it - c.begin();
  auto tail = NewChunk();
  tail->assign(std::make_move_iterator(c.begin() + kMaxChunk / 2),
               std::make_move_iterator(c.end()));
  c.erase(c.begin() + kMaxChunk / 2, c.end());
  Chunk& target = at <= kMaxChunk / 2 ? c : *tail;
  const size_t pos = at <= kMaxChunk / 2 ? at : at - kMaxChunk / 2;
  target.insert(target.begin() + pos, std::move(table));
  InsertChunk({p.group, p.chunk + 1}, std::move(tail));
}

bool TableSet::Insert(TableMeta table) {
  if (Append(table)) return true;
  if (Find(table.number) != nullptr) return false;
  Put(std::move(table));
  return true;
}

bool TableSet::Erase(uint64_t number) {
  if (Find(number) == nullptr) return false;
  const Position p = ChunkFor(number);
  Chunk& c = MutableChunk(p);
  c.erase(std::lower_bound(c.begin(), c.end(), number, ByNumber));
  --size_;
  if (!c.empty()) return true;
  Group& group = MutableGroup(p.group);
  group.erase(group.begin() + p.chunk);
  if (group.empty()) groups_.erase(groups_.begin() + p.group);
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
