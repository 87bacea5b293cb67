// CRC32C (Castagnoli), computed with ISA-L's hardware-accelerated
// crc32_iscsi, and the masked checksums stored beside framed data.
//
// Masking (as in LevelDB's log format) rotates and offsets a CRC before it is
// stored, because the CRC of bytes that themselves contain CRCs is otherwise
// prone to collide. See docs/encoding.md.

#ifndef STRATA_ENCODING_CRC32C_H_
#define STRATA_ENCODING_CRC32C_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::crc32c {

// Fuzzing past the checksums (--config=fuzz_past_checksums only): every
// checksum verification passes, so that mutated inputs reach the decoders
// behind the checksums instead of stopping at them. Never set otherwise.
#ifdef STRATA_FUZZING_BYPASS_CHECKSUMS
inline constexpr bool kChecksumsBypassed = true;
#else
inline constexpr bool kChecksumsBypassed = false;
#endif

// The CRC32C of `data` appended to bytes whose CRC32C is `crc`.
uint32_t Extend(uint32_t crc, absl::string_view data);

// The CRC32C of A followed by B, from `crc_a` (A's), `crc_b` (B's) and
// B's length: for parts of one buffer checksummed on different threads.
// O(log length_b).
uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

// The CRC32C of `data`. Value("123456789") == 0xE3069283.
inline uint32_t Value(absl::string_view data) { return Extend(0, data); }

constexpr uint32_t kMaskDelta = 0xa282ead8u;

// The form of a CRC that is stored next to the data it covers.
constexpr uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

constexpr uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace strata::crc32c

namespace strata {

// The checksum every framed format stores: a masked CRC32C.
class Checksum {
 public:
  // The masked CRC32C of `data`.
  static uint32_t Of(absl::string_view data) {
    return crc32c::Mask(crc32c::Value(data));
  }
  // OK if `stored` is the checksum of `data`; otherwise DataLoss naming
  // `what` (the file and structure) and the offset, with both values.
  [[nodiscard]] static absl::Status Verify(uint32_t stored,
                                           absl::string_view data,
                                           absl::string_view what,
                                           uint64_t offset);
  // As Verify, for a checksum computed piece by piece over `size` bytes
  // (crc32c::Extend, then crc32c::Mask): `actual`.
  [[nodiscard]] static absl::Status Compare(uint32_t stored, uint32_t actual,
                                            uint64_t size,
                                            absl::string_view what,
                                            uint64_t offset);
};

}  // namespace strata

#endif  // STRATA_ENCODING_CRC32C_H_
