// What the manifest records about one live SSTable.

#ifndef STRATA_MANIFEST_TABLE_META_H_
#define STRATA_MANIFEST_TABLE_META_H_

#include <cstdint>
#include <string>

namespace strata::manifest {

// Its file is sst/<sstable::TableFileName(number)>; no path is stored, so
// the directory can be moved.
struct TableMeta {
  uint64_t number = 0;
  uint64_t file_size = 0;
  uint64_t entries = 0;
  uint64_t tombstones = 0;
  std::string smallest_key;
  std::string largest_key;
  uint64_t smallest_lsn = 0;
  uint64_t largest_lsn = 0;
  uint32_t level = 0;     // Compaction tier.
  uint32_t checksum = 0;  // The table footer's whole-file checksum.

  friend bool operator==(const TableMeta& a, const TableMeta& b) {
    return a.number == b.number && a.file_size == b.file_size &&
           a.entries == b.entries && a.tombstones == b.tombstones &&
           a.smallest_key == b.smallest_key && a.largest_key == b.largest_key &&
           a.smallest_lsn == b.smallest_lsn && a.largest_lsn == b.largest_lsn &&
           a.level == b.level && a.checksum == b.checksum;
  }
};

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_TABLE_META_H_
