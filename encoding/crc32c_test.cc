#include "encoding/crc32c.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

// Bit-at-a-time CRC32C, the definition, to check the ISA-L path against.
uint32_t ReferenceCrc32c(absl::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
  }
  return ~crc;
}

TEST(Crc32cTest, StandardVectors) {
  // RFC 3720, appendix B.4, and the common check value.
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(crc32c::Value(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::Value(ascending), 0x46dd794eu);
  EXPECT_EQ(crc32c::Value(""), 0u);
}

TEST(Crc32cTest, MatchesReferenceOnRandomData) {
  testing::Random rnd(5);
  for (size_t size : {1u, 7u, 8u, 63u, 64u, 65u, 1000u, 4096u, 100003u}) {
    const std::string data = rnd.Bytes(size);
    EXPECT_EQ(crc32c::Value(data), ReferenceCrc32c(data)) << size;
  }
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  testing::Random rnd(6);
  const std::string data = rnd.Bytes(5000);
  for (size_t split : {0u, 1u, 100u, 4999u, 5000u}) {
    const absl::string_view all(data);
    EXPECT_EQ(
        crc32c::Extend(crc32c::Value(all.substr(0, split)), all.substr(split)),
        crc32c::Value(data));
  }
}

TEST(Crc32cTest, CombineEqualsWhole) {
  testing::Random rnd(7);
  const std::string data = rnd.Bytes(70001);
  const absl::string_view all(data);
  for (size_t split : {0u, 1u, 3u, 64u, 4097u, 35000u, 70000u, 70001u}) {
    const absl::string_view a = all.substr(0, split);
    const absl::string_view b = all.substr(split);
    EXPECT_EQ(crc32c::Combine(crc32c::Value(a), crc32c::Value(b), b.size()),
              crc32c::Value(data))
        << split;
  }
  // A standard vector in two pieces.
  EXPECT_EQ(crc32c::Combine(crc32c::Value("1234"), crc32c::Value("56789"), 5),
            0xE3069283u);
}

TEST(Crc32cTest, MaskRoundTripsAndDiffers) {
  const uint32_t crc = crc32c::Value("foo");
  EXPECT_NE(crc32c::Mask(crc), crc);
  EXPECT_NE(crc32c::Mask(crc32c::Mask(crc)), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(crc)), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Unmask(crc32c::Mask(crc32c::Mask(crc)))),
            crc);
}

TEST(ChecksumTest, VerifyNamesWhatAndWhereWithBothValues) {
  const uint32_t stored = Checksum::Of("payload");
  EXPECT_OK(Checksum::Verify(stored, "payload", "wal/000001.log", 0));
  EXPECT_THAT(
      Checksum::Verify(stored, "pAyload", "wal/000001.log record", 32768),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("wal/000001.log record: checksum mismatch at offset "
                         "32768 over 7 bytes: stored 0x")));
}

}  // namespace
}  // namespace strata
