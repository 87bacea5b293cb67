#include "sstable/properties.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "encoding/coding.h"
#include "encoding/tagged.h"
#include "io/status_macros.h"

namespace strata::sstable {
namespace {

// Field numbers of the properties block (docs/sstable_format.md). Never
// reuse one: a reader skips a field it does not know only if it may.
namespace field {
constexpr uint32_t kEntries = 1;
constexpr uint32_t kTombstones = 2;
constexpr uint32_t kSmallestKey = 3;
constexpr uint32_t kLargestKey = 4;
constexpr uint32_t kSmallestLsn = 5;
constexpr uint32_t kLargestLsn = 6;
constexpr uint32_t kDataSize = 7;
constexpr uint32_t kDataBlocks = 8;
constexpr uint32_t kRangeTombstones = 9;
constexpr uint32_t kRangeTombstonesOffset = 10;
constexpr uint32_t kRangeTombstonesSize = 11;
constexpr uint32_t kFilterOffset = 12;
constexpr uint32_t kFilterSize = 13;
constexpr uint32_t kCreatedMicros = 14;
constexpr uint32_t kCompression = 15;
}  // namespace field

}  // namespace

bool operator==(const TableProperties& a, const TableProperties& b) {
  return a.entries == b.entries && a.tombstones == b.tombstones &&
         a.smallest_key == b.smallest_key && a.largest_key == b.largest_key &&
         a.smallest_lsn == b.smallest_lsn && a.largest_lsn == b.largest_lsn &&
         a.data_size == b.data_size && a.data_blocks == b.data_blocks &&
         a.range_tombstones == b.range_tombstones &&
         a.range_tombstones_offset == b.range_tombstones_offset &&
         a.range_tombstones_size == b.range_tombstones_size &&
         a.filter_offset == b.filter_offset && a.filter_size == b.filter_size &&
         a.created_micros == b.created_micros &&
         a.compression == b.compression && a.file_size == b.file_size &&
         a.file_checksum == b.file_checksum;
}

void EncodeProperties(const TableProperties& p, std::string* dst) {
  TaggedWriter w(dst);
  w.Varint(field::kEntries, p.entries);
  w.Varint(field::kTombstones, p.tombstones);
  w.Bytes(field::kSmallestKey, p.smallest_key);
  w.Bytes(field::kLargestKey, p.largest_key);
  w.Varint(field::kSmallestLsn, p.smallest_lsn);
  w.Varint(field::kLargestLsn, p.largest_lsn);
  w.Varint(field::kDataSize, p.data_size);
  w.Varint(field::kDataBlocks, p.data_blocks);
  // Written only when present: a table without them reads as before.
  if (p.range_tombstones_size != 0) {
    w.Varint(field::kRangeTombstones, p.range_tombstones);
    w.Varint(field::kRangeTombstonesOffset, p.range_tombstones_offset);
    w.Varint(field::kRangeTombstonesSize, p.range_tombstones_size);
  }
  if (p.filter_size != 0) {
    w.Varint(field::kFilterOffset, p.filter_offset, IfUnknown::kSkip);
    w.Varint(field::kFilterSize, p.filter_size, IfUnknown::kSkip);
  }
  if (p.created_micros != 0) {
    w.Signed(field::kCreatedMicros, p.created_micros, IfUnknown::kSkip);
  }
  if (p.compression != 0) {
    w.Varint(field::kCompression, p.compression, IfUnknown::kSkip);
  }
}

absl::Status DecodeProperties(absl::string_view bytes, absl::string_view what,
                              uint64_t offset, TableProperties* p) {
  const std::pair<uint32_t, uint64_t*> varints[] = {
      {field::kEntries, &p->entries},
      {field::kTombstones, &p->tombstones},
      {field::kSmallestLsn, &p->smallest_lsn},
      {field::kLargestLsn, &p->largest_lsn},
      {field::kDataSize, &p->data_size},
      {field::kDataBlocks, &p->data_blocks},
      {field::kRangeTombstones, &p->range_tombstones},
      {field::kRangeTombstonesOffset, &p->range_tombstones_offset},
      {field::kRangeTombstonesSize, &p->range_tombstones_size},
      {field::kFilterOffset, &p->filter_offset},
      {field::kFilterSize, &p->filter_size},
      {field::kCompression, &p->compression},
  };
  Decoder in(bytes, what, offset);
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    absl::Status s;
    auto varint =
        std::find_if(std::begin(varints), std::end(varints),
                     [&](const auto& v) { return v.first == f.number; });
    if (varint != std::end(varints)) {
      s = r.Varint(f, varint->second);
    } else if (f.number == field::kSmallestKey) {
      s = r.Bytes(f, &p->smallest_key);
    } else if (f.number == field::kLargestKey) {
      s = r.Bytes(f, &p->largest_key);
    } else if (f.number == field::kCreatedMicros) {
      s = r.Signed(f, &p->created_micros);
    } else {
      s = r.Unknown(f);
    }
    STRATA_RETURN_IF_ERROR(s);
  }
  return r.status();
}

}  // namespace strata::sstable
