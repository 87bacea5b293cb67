#include "wal/format.h"

#include <string>

#include "absl/strings/escaping.h"
#include "encoding/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "wal/wal_test_util.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

std::string Hex(absl::string_view s) { return absl::BytesToHexString(s); }

TEST(WalFormatGoldenTest, SegmentHeader) {
  std::string out;
  SegmentHeader(7, 0x1122334455667788).EncodeTo(&out);
  ASSERT_EQ(out.size(), SegmentHeader::kSize);
  EXPECT_EQ(Hex(out.substr(0, 24)),
            "5357414c"            // magic "SWAL"
            "0100"                // format version 1
            "0000"                // reserved
            "0700000000000000"    // segment number 7
            "8877665544332211");  // nonce
  // The checksum is the masked CRC32C of the 24 bytes before it.
  EXPECT_EQ(Hex(out.substr(24)), "5ff9be91");
}

TEST(WalFormatGoldenTest, WholeSegmentWithTwoRecords) {
  testing::MemFileSystem fs;
  ASSERT_OK(fs.CreateDir("/wal"));
  WriterOptions options;
  options.fixed_nonce = 1;
  ASSERT_OK_AND_ASSIGN(auto writer, Writer::Create(&fs, "/wal", 3, options));
  ASSERT_OK(writer->Append("abc"));
  ASSERT_OK(writer->Append(""));
  ASSERT_OK(writer->Close());
  const std::string bytes = ReadSegment(&fs, "/wal", 3);
  ASSERT_EQ(bytes.size(), SegmentHeader::kSize + 7 + 3 + 7);
  EXPECT_EQ(Hex(bytes.substr(0, 24)),
            "5357414c"
            "0100"
            "0000"
            "0300000000000000"
            "0100000000000000");
  // Fragment: masked crc, length 3, type FULL (1), "abc". The checksums
  // were computed independently of this code (a bit-at-a-time CRC32C in
  // Python over nonce, type and payload, then masked).
  EXPECT_EQ(Hex(bytes.substr(28)),
            "ce0db450"
            "0300"
            "01"
            "616263"
            // An empty record is one FULL fragment of length 0.
            "3866541e"
            "0000"
            "01");
}

TEST(WalFormatTest, FragmentChecksumCoversNonceTypeAndPayload) {
  const uint32_t seed = FragmentCrcSeed(1);
  std::string full;
  FragmentHeader::AppendFragment(seed, FragmentType::kFull, "abc", &full);
  ASSERT_EQ(full.size(), FragmentHeader::kSize + 3);
  const FragmentHeader h(full.data());
  EXPECT_EQ(h.length(), 3u);
  EXPECT_EQ(h.type(), 1u);
  EXPECT_TRUE(h.Matches(seed, full.data()));
  EXPECT_FALSE(h.Matches(FragmentCrcSeed(2), full.data()));  // Other segment.
  std::string changed = full;
  changed.back() = 'd';
  EXPECT_FALSE(h.Matches(seed, changed.data()));
  std::string other_type;
  FragmentHeader::AppendFragment(seed, FragmentType::kFirst, "abc",
                                 &other_type);
  EXPECT_NE(FragmentHeader(other_type.data()).masked_crc(), h.masked_crc());
}

TEST(WalFormatTest, HeaderErrorsNameTheFile) {
  std::string out;
  SegmentHeader(7, 1).EncodeTo(&out);
  SegmentHeader h(0, 0);
  EXPECT_OK(SegmentHeader::DecodeFrom(out, "wal/000007.log", &h));
  EXPECT_EQ(h.segment_number(), 7u);
  EXPECT_THAT(SegmentHeader::DecodeFrom(out.substr(0, 10), "f", &h),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("truncated: 10 of 28 bytes")));
  std::string bad_magic = out;
  bad_magic[0] = 'X';
  EXPECT_THAT(SegmentHeader::DecodeFrom(bad_magic, "wal/000007.log", &h),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("wal/000007.log segment header: bad magic")));
  std::string bad_crc = out;
  bad_crc[10] ^= 1;
  EXPECT_THAT(
      SegmentHeader::DecodeFrom(bad_crc, "f", &h),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum mismatch")));
}

TEST(WalFormatTest, NewerVersionIsNotCalledCorruption) {
  std::string out;
  SegmentHeader(7, 1).EncodeTo(&out);
  out[4] = 2;  // Version 2, with a checksum that matches.
  const uint32_t crc = Checksum::Of(absl::string_view(out.data(), 24));
  out.replace(24, 4, std::string(reinterpret_cast<const char*>(&crc), 4));
  SegmentHeader h(0, 0);
  EXPECT_THAT(SegmentHeader::DecodeFrom(out, "f", &h),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer format version")));
}

TEST(WalFormatTest, SegmentFileNames) {
  EXPECT_EQ(SegmentFileName(42), "000042.log");
  EXPECT_EQ(SegmentFileName(12345678), "12345678.log");
  EXPECT_EQ(ParseSegmentFileName("000042.log"), 42u);
  EXPECT_EQ(ParseSegmentFileName("12345678.log"), 12345678u);
  EXPECT_EQ(ParseSegmentFileName("42.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("000042.sst"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("0000x2.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("000042.log.tmp"), std::nullopt);
}

}  // namespace
}  // namespace strata::wal
