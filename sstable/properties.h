// What a table knows about itself, stored in its properties block and
// returned by TableWriter::Finish for the manifest to record.

#ifndef STRATA_SSTABLE_PROPERTIES_H_
#define STRATA_SSTABLE_PROPERTIES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::sstable {

struct TableProperties {
  uint64_t entries = 0;
  uint64_t tombstones = 0;
  std::string smallest_key;
  std::string largest_key;
  uint64_t smallest_lsn = 0;
  uint64_t largest_lsn = 0;
  uint64_t data_size = 0;  // Bytes of data blocks, trailers included.
  uint64_t data_blocks = 0;
  uint64_t range_tombstones = 0;
  // The range-tombstone and filter blocks; size 0: the table has none.
  uint64_t range_tombstones_offset = 0;
  uint64_t range_tombstones_size = 0;
  uint64_t filter_offset = 0;
  uint64_t filter_size = 0;
  // When the table was written, in microseconds since the Unix epoch; 0 if
  // unknown (a table written before the field existed).
  int64_t created_micros = 0;
  // How the table's data blocks were asked to be compressed
  // (sstable/compression.h: 0 none, 1 LZ4, 2 Zstandard); each block says
  // how it is stored, so this is for people and tools.
  uint64_t compression = 0;
  // Not stored in the properties block; filled in from the file.
  uint64_t file_size = 0;
  uint32_t file_checksum = 0;  // The footer's masked CRC32C.

  friend bool operator==(const TableProperties& a, const TableProperties& b);
};

// Tagged fields (encoding/tagged.h); numbers are never reused:
//   1 entries, 2 tombstones, 3 smallest key, 4 largest key, 5 smallest lsn,
//   6 largest lsn, 7 data size, 8 data blocks, 9 range tombstones,
//   10 and 11 range-tombstone block offset and size (refused by a reader
//   that does not know them: it would miss deletions), 12 and 13 filter
//   block offset and size, 14 creation time (skippable), 15 compression
//   (skippable; written only when not none).
// The key range and LSN range cover the range tombstones too (a table's
// largest key may then be a tombstone's exclusive end).
void EncodeProperties(const TableProperties& p, std::string* dst);
[[nodiscard]] absl::Status DecodeProperties(absl::string_view bytes,
                                            absl::string_view what,
                                            uint64_t offset,
                                            TableProperties* p);

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_PROPERTIES_H_
