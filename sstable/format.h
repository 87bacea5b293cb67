// The SSTable file format (docs/sstable_format.md): checksummed data blocks,
// an index block, a properties block and a fixed footer. This header is the
// only place the footer's byte offsets appear.

#ifndef STRATA_SSTABLE_FORMAT_H_
#define STRATA_SSTABLE_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "encoding/coding.h"

namespace strata::sstable {

// Version 1: blocks are stored as they are. Version 2 (a table written
// with compression): each data block's stored bytes begin with a byte
// saying how the rest is stored (sstable/compression.h); other blocks are
// as in version 1. A table without compression is written as version 1, so
// it has exactly the bytes it had before compression existed.
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kCompressedFormatVersion = 2;
// Every block is followed by the masked CRC32C of its contents (fixed32).
constexpr size_t kBlockTrailerSize = 4;

enum class EntryKind : uint8_t {
  kPut = 1,
  kDelete = 2,
  // A range tombstone: the key is its start, the value its end. Only write
  // batches and memtables hold one as an entry; a table keeps them in their
  // own block (sstable/range_tombstones.h), and a data block refuses kind 3.
  kRangeDelete = 3,
};

// One version of a key. Tables order entries by key ascending, then by LSN
// descending, so the newest version of a key comes first.
struct Entry {
  absl::string_view key;
  uint64_t lsn = 0;
  EntryKind kind = EntryKind::kPut;
  absl::string_view value;  // Empty for kDelete.
};

// The internal order: key ascending, then LSN descending. Negative, zero or
// positive as (a_key, a_lsn) sorts before, with or after (b_key, b_lsn).
int CompareInternal(absl::string_view a_key, uint64_t a_lsn,
                    absl::string_view b_key, uint64_t b_lsn);

// Entry encoding inside a data block:
//   key (length-prefixed) | lsn (varint) | kind (u8) | value (length-
//   prefixed, kPut only)
void EncodeEntry(const Entry& entry, std::string* dst);
// Decodes one entry from `in`; values point into its input.
[[nodiscard]] absl::Status DecodeEntry(Decoder& in, Entry* entry);

// Where a block lives: its offset and its size without the trailer.
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;

  // Whether the block and its trailer end at or before `limit`, computed
  // without overflow (the handle's fields come from the file).
  bool EndsBy(uint64_t limit) const {
    return size <= limit && kBlockTrailerSize <= limit - size &&
           offset <= limit - size - kBlockTrailerSize;
  }
  // Where the trailer ends; meaningful once EndsBy(some limit) holds.
  uint64_t end() const { return offset + size + kBlockTrailerSize; }
};

// The fixed footer at the end of every table:
//
//   0             8            16            24            32
//   +-------------+------------+-------------+-------------+
//   | index offset| index size | props offset| props size  |  fixed64 each
//   +-------------+------------+-------------+-------------+
//   32         36        40           44       48
//   +----------+---------+------------+--------+
//   | file crc | version | footer crc | magic  |  fixed32 each
//   +----------+---------+------------+--------+
//
// file crc: masked CRC32C of every byte before the footer. footer crc:
// masked CRC32C of footer bytes 0..39. magic: "SSTB" as a fixed32.
class Footer {
 public:
  static constexpr size_t kSize = 48;
  static constexpr uint32_t kMagic = 0x42545353;  // "SSTB"

  BlockHandle index;
  BlockHandle properties;
  uint32_t file_checksum = 0;
  // kFormatVersion or kCompressedFormatVersion; any other is refused.
  uint32_t version = kFormatVersion;

  void EncodeTo(std::string* dst) const;
  // Decodes the kSize bytes of `in`, found at `offset` of `file`.
  [[nodiscard]] static absl::Status DecodeFrom(absl::string_view in,
                                               absl::string_view file,
                                               uint64_t offset, Footer* footer);
};

// "000042.sst".
std::string TableFileName(uint64_t number);

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_FORMAT_H_
