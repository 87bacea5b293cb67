#include "sstable/range_tombstones.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "encoding/coding.h"
#include "io/status_macros.h"

namespace strata::sstable {

bool RangeTombstoneBefore(const RangeTombstone& a, const RangeTombstone& b) {
  return std::forward_as_tuple(a.start, b.lsn, a.end) <
         std::forward_as_tuple(b.start, a.lsn, b.end);
}

void EncodeRangeTombstones(const std::vector<RangeTombstone>& tombstones,
                           std::string* dst) {
  for (const RangeTombstone& t : tombstones) {
    PutLengthPrefixed(dst, t.start);
    PutLengthPrefixed(dst, t.end);
    PutVarint64(dst, t.lsn);
  }
}

absl::Status DecodeRangeTombstones(absl::string_view block,
                                   absl::string_view what, uint64_t offset,
                                   std::vector<RangeTombstone>* out) {
  Decoder in(block, what, offset);
  out->clear();
  while (!in.empty()) {
    absl::string_view start, end;
    uint64_t lsn;
    STRATA_RETURN_IF_ERROR(in.GetLengthPrefixed("start", &start));
    STRATA_RETURN_IF_ERROR(in.GetLengthPrefixed("end", &end));
    STRATA_RETURN_IF_ERROR(in.GetVarint64("lsn", &lsn));
    RangeTombstone t{std::string(start), std::string(end), lsn};
    if (!(start < end)) {
      return in.Error("end", "a range tombstone's end is not after its start");
    }
    if (!out->empty() && !RangeTombstoneBefore(out->back(), t)) {
      return in.Error("start", "range tombstones out of order");
    }
    out->push_back(std::move(t));
  }
  return absl::OkStatus();
}

TombstoneIndex::TombstoneIndex(std::vector<RangeTombstone> tombstones)
    : tombstones_(std::move(tombstones)) {
  std::sort(tombstones_.begin(), tombstones_.end(), RangeTombstoneBefore);
  for (const RangeTombstone& t : tombstones_) {
    bounds_.push_back(t.start);
    bounds_.push_back(t.end);
  }
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  // Sweep the fragments left to right: tombstones start in start order,
  // and leave once a fragment begins at their end.
  std::multimap<absl::string_view, uint64_t> active;  // end -> lsn
  size_t next = 0;
  std::vector<uint64_t> over;
  for (size_t i = 0; i + 1 < bounds_.size(); ++i) {
    const absl::string_view at = bounds_[i];
    active.erase(active.begin(), active.upper_bound(at));
    while (next < tombstones_.size() && tombstones_[next].start == at) {
      active.emplace(tombstones_[next].end, tombstones_[next].lsn);
      ++next;
    }
    first_.push_back(lsns_.size());
    over.clear();
    for (const auto& [end, lsn] : active) over.push_back(lsn);
    std::sort(over.begin(), over.end());
    lsns_.insert(lsns_.end(), over.begin(), over.end());
  }
  first_.push_back(lsns_.size());
}

std::pair<const uint64_t*, const uint64_t*> TombstoneIndex::Over(
    absl::string_view key) const {
  auto it = std::upper_bound(bounds_.begin(), bounds_.end(), key,
                             [](absl::string_view k, const std::string& b) {
                               return k < absl::string_view(b);
                             });
  if (it == bounds_.begin() || it == bounds_.end()) return {nullptr, nullptr};
  const size_t i = (it - bounds_.begin()) - 1;
  return {lsns_.data() + first_[i], lsns_.data() + first_[i + 1]};
}

uint64_t TombstoneIndex::MaxCovering(absl::string_view key,
                                     uint64_t max_lsn) const {
  if (tombstones_.empty()) return 0;
  auto [begin, end] = Over(key);
  const uint64_t* it = std::upper_bound(begin, end, max_lsn);
  return it == begin ? 0 : *(it - 1);
}

bool TombstoneIndex::CoversIn(absl::string_view key, uint64_t above,
                              uint64_t at_most) const {
  if (tombstones_.empty()) return false;
  auto [begin, end] = Over(key);
  const uint64_t* it = std::upper_bound(begin, end, above);
  return it != end && *it <= at_most;
}

}  // namespace strata::sstable
