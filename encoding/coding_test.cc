#include "encoding/coding.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/random.h"
#include "testing/status_matchers.h"

namespace strata {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

// ---- Golden bytes: these pin the wire format (docs/encoding.md). ----

TEST(CodingGoldenTest, FixedIsLittleEndian) {
  std::string out;
  PutFixed16(&out, 0x0102);
  PutFixed32(&out, 0x01020304);
  PutFixed64(&out, 0x0102030405060708);
  EXPECT_EQ(Hex(out),
            "0201"
            "04030201"
            "0807060504030201");
}

TEST(CodingGoldenTest, Varints) {
  struct Case {
    uint64_t value;
    const char* hex;
  };
  for (const Case& c : std::vector<Case>{
           {0, "00"},
           {1, "01"},
           {127, "7f"},
           {128, "8001"},
           {300, "ac02"},
           {16383, "ff7f"},
           {16384, "808001"},
           {UINT32_MAX, "ffffffff0f"},
           {UINT64_MAX, "ffffffffffffffffff01"},
       }) {
    std::string out;
    PutVarint64(&out, c.value);
    EXPECT_EQ(Hex(out), c.hex) << c.value;
    EXPECT_EQ(VarintLength(c.value), static_cast<int>(out.size()));
  }
}

TEST(CodingGoldenTest, ZigZagSignedVarints) {
  std::string out;
  for (int64_t v : {0, -1, 1, -2, 63, -64, 64}) PutVarsint64(&out, v);
  EXPECT_EQ(Hex(out),
            "00"
            "01"
            "02"
            "03"
            "7e"
            "7f"
            "8001");
  out.clear();
  PutVarsint64(&out, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Hex(out), "ffffffffffffffffff01");
}

TEST(CodingGoldenTest, LengthPrefixedAndBool) {
  std::string out;
  PutLengthPrefixed(&out, "abc");
  PutLengthPrefixed(&out, "");
  PutBool(&out, true);
  PutBool(&out, false);
  EXPECT_EQ(Hex(out),
            "03616263"
            "00"
            "01"
            "00");
}

// ---- Round trips ----

TEST(CodingRoundTripTest, ExtremesAndRandomValues) {
  testing::Random rnd(301);
  std::vector<uint64_t> values = {0,          1,
                                  127,        128,
                                  UINT32_MAX, UINT32_MAX + uint64_t{1},
                                  UINT64_MAX, UINT64_MAX - 1};
  for (int i = 0; i < 10000; ++i) values.push_back(rnd.Skewed64());

  std::string out;
  for (uint64_t v : values) {
    PutVarint64(&out, v);
    PutFixed64(&out, v);
    PutFixed32(&out, static_cast<uint32_t>(v));
    PutFixed16(&out, static_cast<uint16_t>(v));
    PutVarint32(&out, static_cast<uint32_t>(v));
    PutVarsint64(&out, static_cast<int64_t>(v));
    PutVarsint32(&out, static_cast<int32_t>(v));
    PutBool(&out, v & 1);
    PutLengthPrefixed(&out, std::string(v % 300, 'x'));
  }
  Decoder in(out);
  for (uint64_t v : values) {
    uint64_t u64;
    uint32_t u32;
    uint16_t u16;
    int64_t s64;
    int32_t s32;
    bool b;
    absl::string_view bytes;
    ASSERT_OK(in.GetVarint64("v64", &u64));
    EXPECT_EQ(u64, v);
    ASSERT_OK(in.GetFixed64("f64", &u64));
    EXPECT_EQ(u64, v);
    ASSERT_OK(in.GetFixed32("f32", &u32));
    EXPECT_EQ(u32, static_cast<uint32_t>(v));
    ASSERT_OK(in.GetFixed16("f16", &u16));
    EXPECT_EQ(u16, static_cast<uint16_t>(v));
    ASSERT_OK(in.GetVarint32("v32", &u32));
    EXPECT_EQ(u32, static_cast<uint32_t>(v));
    ASSERT_OK(in.GetVarsint64("s64", &s64));
    EXPECT_EQ(s64, static_cast<int64_t>(v));
    ASSERT_OK(in.GetVarsint32("s32", &s32));
    EXPECT_EQ(s32, static_cast<int32_t>(v));
    ASSERT_OK(in.GetBool("bool", &b));
    EXPECT_EQ(b, (v & 1) != 0);
    ASSERT_OK(in.GetLengthPrefixed("bytes", &bytes));
    EXPECT_EQ(bytes.size(), v % 300);
  }
  EXPECT_OK(in.ExpectEnd());
}

TEST(CodingRoundTripTest, RawStringViewDecodersAdvance) {
  std::string out;
  PutVarint32(&out, 300);
  PutFixed32(&out, 7);
  PutVarint64(&out, UINT64_MAX);
  PutFixed64(&out, 9);
  absl::string_view in = out;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(GetVarint32(&in, &u32));
  EXPECT_EQ(u32, 300u);
  ASSERT_TRUE(GetFixed32(&in, &u32));
  EXPECT_EQ(u32, 7u);
  ASSERT_TRUE(GetVarint64(&in, &u64));
  EXPECT_EQ(u64, UINT64_MAX);
  ASSERT_TRUE(GetFixed64(&in, &u64));
  EXPECT_EQ(u64, 9u);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetFixed32(&in, &u32));
}

// ---- One test per kind of malformed input ----

TEST(CodingCorruptionTest, TruncatedFixedNamesFieldAndOffset) {
  Decoder in(absl::string_view("\x01\x02\x03", 3), "sst/000007.sst footer",
             4096);
  uint32_t v;
  EXPECT_THAT(in.GetFixed32("magic", &v),
              StatusIs(kDataLoss, HasSubstr("sst/000007.sst footer: magic at "
                                            "offset 4096: truncated")));
}

TEST(CodingCorruptionTest, TruncatedVarint) {
  Decoder in(absl::string_view("\x80\x80", 2), "rec");
  uint64_t v;
  EXPECT_THAT(in.GetVarint64("lsn", &v),
              StatusIs(kDataLoss, HasSubstr("lsn at offset 0: truncated")));
}

TEST(CodingCorruptionTest, Varint64Overflow) {
  // Ten bytes whose last carries more than the 64th bit.
  Decoder in(absl::string_view("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10));
  uint64_t v;
  EXPECT_THAT(in.GetVarint64("n", &v),
              StatusIs(kDataLoss, HasSubstr("overflows 64 bits")));
  // Eleven continuation bytes.
  const std::string eleven(11, '\x80');
  Decoder longer(eleven);
  EXPECT_THAT(longer.GetVarint64("n", &v),
              StatusIs(kDataLoss, HasSubstr("overflows 64 bits")));
}

TEST(CodingCorruptionTest, Varint32Overflow) {
  std::string out;
  PutVarint64(&out, uint64_t{UINT32_MAX} + 1);
  Decoder in(out);
  uint32_t v;
  EXPECT_THAT(in.GetVarint32("count", &v),
              StatusIs(kDataLoss, HasSubstr("overflows 32 bits")));
  EXPECT_EQ(in.offset(), 0u);  // A failed read does not advance.
}

TEST(CodingCorruptionTest, BoolOtherThanZeroOrOne) {
  Decoder in(absl::string_view("\x02", 1));
  bool v;
  EXPECT_THAT(in.GetBool("deleted", &v),
              StatusIs(kDataLoss, HasSubstr("bool byte is 2")));
}

TEST(CodingCorruptionTest, LengthPastEndOfInput) {
  std::string out;
  PutVarint64(&out, 10);
  out += "abc";
  Decoder in(out);
  absl::string_view v;
  EXPECT_THAT(in.GetLengthPrefixed("key", &v),
              StatusIs(kDataLoss, HasSubstr("needs 10 bytes, 3 remain")));
}

TEST(CodingCorruptionTest, HugeLengthIsRefusedBeforeAnyAllocation) {
  std::string out;
  PutVarint64(&out, uint64_t{4} << 30);  // A corrupt 4 GiB length.
  Decoder in(out, "rec", 0, DecodeLimits{.max_bytes_length = 1 << 20});
  absl::string_view v;
  EXPECT_THAT(in.GetLengthPrefixed("value", &v),
              StatusIs(kDataLoss, HasSubstr("exceeds the limit of 1048576")));
}

TEST(CodingCorruptionTest, CountBeyondLimitOrBeyondInput) {
  std::string out;
  PutVarint64(&out, 1000);
  out += std::string(100, 'x');
  uint64_t n;
  Decoder limited(out, "rec", 0, DecodeLimits{.max_count = 10});
  EXPECT_THAT(limited.GetCount("tables", &n),
              StatusIs(kDataLoss, HasSubstr("count 1000 exceeds the limit")));
  Decoder unlimited(out);
  EXPECT_THAT(unlimited.GetCount("tables", &n, /*min_element_bytes=*/4),
              StatusIs(kDataLoss, HasSubstr("cannot fit in the 100 bytes")));
  Decoder fits(out);
  EXPECT_OK(fits.GetCount("tables", &n, /*min_element_bytes=*/0));
  EXPECT_EQ(n, 1000u);
}

TEST(CodingCorruptionTest, TrailingBytes) {
  std::string out;
  PutVarint64(&out, 5);
  out += "zz";
  Decoder in(out, "edit", 100);
  uint64_t v;
  ASSERT_OK(in.GetVarint64("n", &v));
  EXPECT_THAT(
      in.ExpectEnd(),
      StatusIs(kDataLoss, HasSubstr("edit: 2 unexpected trailing bytes at "
                                    "offset 101")));
}

}  // namespace
}  // namespace strata
