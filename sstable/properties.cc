#include "sstable/properties.h"

#include "encoding/coding.h"
#include "encoding/tagged.h"

namespace strata::sstable {

bool operator==(const TableProperties& a, const TableProperties& b) {
  return a.entries == b.entries && a.tombstones == b.tombstones &&
         a.smallest_key == b.smallest_key && a.largest_key == b.largest_key &&
         a.smallest_lsn == b.smallest_lsn && a.largest_lsn == b.largest_lsn &&
         a.data_size == b.data_size && a.data_blocks == b.data_blocks &&
         a.file_size == b.file_size && a.file_checksum == b.file_checksum;
}

void EncodeProperties(const TableProperties& p, std::string* dst) {
  TaggedWriter w(dst);
  w.Varint(1, p.entries);
  w.Varint(2, p.tombstones);
  w.Bytes(3, p.smallest_key);
  w.Bytes(4, p.largest_key);
  w.Varint(5, p.smallest_lsn);
  w.Varint(6, p.largest_lsn);
  w.Varint(7, p.data_size);
  w.Varint(8, p.data_blocks);
}

absl::Status DecodeProperties(absl::string_view bytes, absl::string_view what,
                              uint64_t offset, TableProperties* p) {
  Decoder in(bytes, what, offset);
  TaggedReader r(&in);
  TaggedField f;
  while (r.Next(&f)) {
    absl::Status s;
    switch (f.number) {
      case 1:
        s = r.Varint(f, &p->entries);
        break;
      case 2:
        s = r.Varint(f, &p->tombstones);
        break;
      case 3:
        s = r.Bytes(f, &p->smallest_key);
        break;
      case 4:
        s = r.Bytes(f, &p->largest_key);
        break;
      case 5:
        s = r.Varint(f, &p->smallest_lsn);
        break;
      case 6:
        s = r.Varint(f, &p->largest_lsn);
        break;
      case 7:
        s = r.Varint(f, &p->data_size);
        break;
      case 8:
        s = r.Varint(f, &p->data_blocks);
        break;
      default:
        s = r.Unknown(f);
    }
    if (!s.ok()) return s;
  }
  return r.status();
}

}  // namespace strata::sstable
