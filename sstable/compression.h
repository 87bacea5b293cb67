// Per-block compression of data blocks (docs/sstable_format.md,
// "Compression"): LZ4 or Zstandard, chosen per table. A block is stored
// compressed only if that saves at least an eighth of its bytes; otherwise
// it is stored as it is, so a reader never pays to expand a block that
// barely shrank.
//
// The stored form of a data block in a version-2 table:
//
//   +------+----------------------------------------------+
//   | type | kNone: the block's bytes                     |
//   | (u8) | kLz4, kZstd: raw size (varint64), compressed |
//   +------+----------------------------------------------+
//
// The block's checksum (its trailer) covers these stored bytes.
//
// Thread-safe: the functions keep no state.

#ifndef STRATA_SSTABLE_COMPRESSION_H_
#define STRATA_SSTABLE_COMPRESSION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::sstable {

enum class Compression : uint8_t {
  kNone = 0,
  kLz4 = 1,
  kZstd = 2,
};

// "none", "lz4", "zstd"; "unknown(N)" for a byte no version defines.
std::string CompressionName(Compression compression);
// The inverse, for flags; nullopt for another name.
std::optional<Compression> ParseCompression(absl::string_view name);

// The largest block a stored size may declare: 1 GiB. A declared size above
// it is damage, not an allocation.
constexpr uint64_t kMaxRawBlockSize = uint64_t{1} << 30;

// Appends the stored form of `raw` to *dst: compressed with `compression`
// (`zstd_level` for Zstandard) if that saves at least raw.size() / 8
// bytes, else type kNone and `raw` itself.
void AppendStoredBlock(Compression compression, int zstd_level,
                       absl::string_view raw, std::string* dst);

// Points *raw at the bytes of the block whose stored form is `stored`:
// into `stored` itself (kNone) or into *buffer, which it fills. `what` and
// `offset` name the block in errors: a type no version defines, a size
// past kMaxRawBlockSize or a payload that does not expand to its declared
// size is DataLoss.
[[nodiscard]] absl::Status ExpandStoredBlock(absl::string_view stored,
                                             absl::string_view what,
                                             uint64_t offset,
                                             std::string* buffer,
                                             absl::string_view* raw);

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_COMPRESSION_H_
