// The WAL segment format: a segment header followed by 32 KiB blocks of
// checksummed fragments. docs/wal_format.md specifies every byte; this
// header is the only place the byte offsets appear.

#ifndef STRATA_WAL_FORMAT_H_
#define STRATA_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata::wal {

constexpr size_t kBlockSize = 32 * 1024;
constexpr uint16_t kFormatVersion = 1;

// Fragment types. 0 is never written: a zeroed header is damage.
enum class FragmentType : uint8_t {
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
};

// The segment header, at offset 0 of every segment:
//
//   0      4        6          8                16      24          28
//   +------+--------+----------+----------------+-------+-----------+
//   |magic | version| reserved | segment number | nonce | masked crc|
//   +------+--------+----------+----------------+-------+-----------+
//    fixed32 fixed16  fixed16      fixed64       fixed64   fixed32
//
// magic is "SWAL" read as a little-endian fixed32; reserved is 0; the crc
// covers bytes 0..23. The nonce is random per segment and seeds every
// fragment checksum, so bytes that were not written into this segment by
// its writer (another segment's blocks, a payload that embeds WAL bytes)
// never pass as fragments of it.
class SegmentHeader {
 public:
  static constexpr size_t kSize = 28;
  static constexpr uint32_t kMagic = 0x4c415753;  // "SWAL"

  SegmentHeader(uint64_t segment_number, uint64_t nonce)
      : number_(segment_number), nonce_(nonce) {}

  uint64_t segment_number() const { return number_; }
  uint64_t nonce() const { return nonce_; }

  // Appends the kSize bytes of this header.
  void EncodeTo(std::string* dst) const;
  // Decodes a header from the first kSize bytes of `in`; DataLoss naming
  // `file` on a short input, bad magic, unknown version or bad checksum.
  [[nodiscard]] static absl::Status DecodeFrom(absl::string_view in,
                                               absl::string_view file,
                                               SegmentHeader* header);

 private:
  uint64_t number_;
  uint64_t nonce_;
};

// A fragment header, at the start of every fragment:
//
//   0             4        6      7
//   +-------------+--------+------+--------- length bytes ---------+
//   | masked crc  | length | type |            payload             |
//   +-------------+--------+------+--------------------------------+
//     fixed32      fixed16   u8
//
// crc = CRC32C(nonce as fixed64, type, payload), masked. A fragment never
// crosses a block boundary; when fewer than kSize bytes remain in a block
// the writer fills them with zeros.
class FragmentHeader {
 public:
  static constexpr size_t kSize = 7;

  // Appends a whole fragment of `type` carrying `payload` to `dst`, with
  // `seed` = FragmentCrcSeed(nonce).
  static void AppendFragment(uint32_t seed, FragmentType type,
                             absl::string_view payload, std::string* dst);

  // Parses the kSize bytes at `p`.
  explicit FragmentHeader(const char* p);
  uint32_t masked_crc() const { return masked_crc_; }
  uint16_t length() const { return length_; }
  uint8_t type() const { return type_; }
  bool type_is_valid() const { return type_ >= 1 && type_ <= 4; }
  // True if the fragment whose header starts at `p` (with length() bytes
  // of payload after it) matches its checksum.
  bool Matches(uint32_t seed, const char* p) const {
    return Matches(seed, p, length_);
  }
  // As Matches, over the first `length` payload bytes instead of length().
  bool Matches(uint32_t seed, const char* p, size_t length) const;

 private:
  uint32_t masked_crc_;
  uint16_t length_;
  uint8_t type_;
};

// The CRC32C of the nonce's 8 bytes: the starting value of every fragment
// checksum in a segment.
uint32_t FragmentCrcSeed(uint64_t nonce);

// "000042.log". At least six digits; more when the number needs them.
std::string SegmentFileName(uint64_t number);
// The number in a segment file name, or nullopt for any other name.
std::optional<uint64_t> ParseSegmentFileName(absl::string_view name);

}  // namespace strata::wal

#endif  // STRATA_WAL_FORMAT_H_
