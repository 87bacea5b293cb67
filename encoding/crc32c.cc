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

namespace {

// CRC32C's polynomial, bit-reflected: bit 31 is the coefficient of x^0.
constexpr uint32_t kPolynomial = 0x82f63b78u;

// a * b modulo the polynomial, both reflected.
uint32_t MultiplyModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = uint32_t{1} << 31; bit != 0; bit >>= 1) {
    if ((a & bit) != 0) product ^= b;
    b = (b & 1) != 0 ? (b >> 1) ^ kPolynomial : b >> 1;
  }
  return product;
}

// x^(8 * n) modulo the polynomial: appending n zero bytes multiplies a CRC
// register by it.
uint32_t XPow8N(uint64_t n) {
  uint32_t result = uint32_t{1} << 31;  // x^0
  uint32_t square = uint32_t{1} << 23;  // x^8: x^(2^k) for k = 3 below
  for (; n != 0; n >>= 1) {
    if ((n & 1) != 0) result = MultiplyModP(square, result);
    square = MultiplyModP(square, square);
  }
  return result;
}

}  // namespace

uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  // The CRC is linear: A's register carried over B's length of zeros,
  // plus B's CRC from a zero start (the inversions cancel out).
  return MultiplyModP(XPow8N(length_b), crc_a) ^ crc_b;
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
