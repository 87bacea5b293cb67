#include "sstable/properties.h"

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
}  // namespace field

}  // namespace

bool operator==(const TableProperties& a, const TableProperties& b) {
  return a.entries == b.entries && a.tombstones == b.tombstones &&
         a.smallest_key == b.smallest_key && a.largest_key == b.largest_key &&
         a.smallest_lsn == b.smallest_lsn && a.largest_lsn == b.largest_lsn &&
         a.data_size == b.data_size && a.data_blocks == b.data_blocks &&
         a.file_size == b.file_size && a.file_checksum == b.file_checksum;
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
}

absl::Status DecodeProperties(absl::string_view bytes, absl::string_view what,
                              uint64_t offset, TableProperties* p) {
  Decoder in(bytes, what, offset);
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    absl::Status s;
    switch (f.number) {
      case field::kEntries:
        s = r.Varint(f, &p->entries);
        break;
      case field::kTombstones:
        s = r.Varint(f, &p->tombstones);
        break;
      case field::kSmallestKey:
        s = r.Bytes(f, &p->smallest_key);
        break;
      case field::kLargestKey:
        s = r.Bytes(f, &p->largest_key);
        break;
      case field::kSmallestLsn:
        s = r.Varint(f, &p->smallest_lsn);
        break;
      case field::kLargestLsn:
        s = r.Varint(f, &p->largest_lsn);
        break;
      case field::kDataSize:
        s = r.Varint(f, &p->data_size);
        break;
      case field::kDataBlocks:
        s = r.Varint(f, &p->data_blocks);
        break;
      default:
        s = r.Unknown(f);
    }
    STRATA_RETURN_IF_ERROR(s);
  }
  return r.status();
}

}  // namespace strata::sstable
