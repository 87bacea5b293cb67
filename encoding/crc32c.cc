#include "encoding/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_format.h"

namespace strata::crc32c {

uint32_t Extend(uint32_t crc, absl::string_view data) {
  // ISA-L keeps the CRC register un-inverted: invert on the way in and out.
  uint32_t reg = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    const size_t n = std::min<size_t>(left, INT_MAX);
    reg = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(n), reg);
    p += n;
    left -= n;
  }
  return ~reg;
}

}  // namespace strata::crc32c

namespace strata {

absl::Status Checksum::Verify(uint32_t stored, absl::string_view data,
                              absl::string_view what, uint64_t offset) {
  return Compare(stored, Of(data), data.size(), what, offset);
}

absl::Status Checksum::Compare(uint32_t stored, uint32_t actual, uint64_t size,
                               absl::string_view what, uint64_t offset) {
  if (actual == stored || crc32c::kChecksumsBypassed) return absl::OkStatus();
  return absl::DataLossError(absl::StrFormat(
      "%s: checksum mismatch at offset %d over %d bytes: stored 0x%08x, "
      "computed 0x%08x",
      what, offset, size, stored, actual));
}

}  // namespace strata
