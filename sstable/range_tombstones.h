// Range tombstones: a deletion of every key in [start, end) written before
// the tombstone's LSN (docs/sstable_format.md, "Range-tombstone block").
//
// A table keeps its range tombstones in one block of their own, read at
// open. TombstoneIndex answers, for a key, which tombstones cover it: the
// tombstones are cut at every start and end into disjoint fragments, each
// with the sorted LSNs of the tombstones over it, so a query is two binary
// searches.
//
// Thread-safety: TombstoneIndex is immutable once built.

#ifndef STRATA_SSTABLE_RANGE_TOMBSTONES_H_
#define STRATA_SSTABLE_RANGE_TOMBSTONES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::sstable {

struct RangeTombstone {
  std::string start;  // Inclusive.
  std::string end;    // Exclusive; sorts after start.
  uint64_t lsn = 0;

  friend bool operator==(const RangeTombstone& a, const RangeTombstone& b) {
    return a.start == b.start && a.end == b.end && a.lsn == b.lsn;
  }
};

// The block order: start ascending, then LSN descending, then end.
bool RangeTombstoneBefore(const RangeTombstone& a, const RangeTombstone& b);

// Appends the block for `tombstones`, which must be in block order:
//   per tombstone: start (length-prefixed) | end (length-prefixed) |
//   lsn (varint)
void EncodeRangeTombstones(const std::vector<RangeTombstone>& tombstones,
                           std::string* dst);
// Decodes a block found at `offset` of the file `what` names. DataLoss for
// bad bytes, a start not before its end, or tombstones out of order.
[[nodiscard]] absl::Status DecodeRangeTombstones(
    absl::string_view block, absl::string_view what, uint64_t offset,
    std::vector<RangeTombstone>* out);

class TombstoneIndex {
 public:
  TombstoneIndex() = default;
  // From tombstones in any order.
  explicit TombstoneIndex(std::vector<RangeTombstone> tombstones);

  bool empty() const { return tombstones_.empty(); }
  // In block order.
  const std::vector<RangeTombstone>& tombstones() const { return tombstones_; }

  // The largest LSN at most `max_lsn` among the tombstones covering `key`,
  // or 0 if none does.
  uint64_t MaxCovering(absl::string_view key, uint64_t max_lsn) const;
  // Whether a tombstone covering `key` has an LSN in (above, at_most].
  bool CoversIn(absl::string_view key, uint64_t above, uint64_t at_most) const;

 private:
  // The LSNs over `key`, ascending: [*begin, *end).
  std::pair<const uint64_t*, const uint64_t*> Over(absl::string_view key) const;

  std::vector<RangeTombstone> tombstones_;
  // Fragment i is [bounds_[i], bounds_[i + 1]); its LSNs are
  // lsns_[first_[i], first_[i + 1]).
  std::vector<std::string> bounds_;
  std::vector<size_t> first_;
  std::vector<uint64_t> lsns_;
};

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_RANGE_TOMBSTONES_H_
