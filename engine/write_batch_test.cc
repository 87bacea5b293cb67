#include "engine/write_batch.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace strata::engine {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

std::string Golden() {
  // version 1 | first lsn 300 (varint ac 02) | 2 ops |
  // put: kind 1, "k", "v" | delete: kind 2, "d"
  return std::string(
      "\x01\xac\x02\x02\x01\x01k\x01v\x02\x01"
      "d",
      12);
}

TEST(WriteBatchTest, GoldenBytes) {
  WriteBatch batch;
  batch.Put("k", "v");
  batch.Delete("d");
  std::string record;
  EncodeBatch(batch, 300, &record);
  EXPECT_EQ(record, Golden());
}

TEST(WriteBatchTest, DecodeGivesConsecutiveLsns) {
  DecodedBatch decoded;
  const std::string record = Golden();
  ASSERT_OK(DecodeBatch(record, "wal/000001.log", 96, &decoded));
  EXPECT_EQ(decoded.first_lsn, 300u);
  ASSERT_EQ(decoded.entries.size(), 2u);
  EXPECT_EQ(decoded.entries[0].key, "k");
  EXPECT_EQ(decoded.entries[0].value, "v");
  EXPECT_EQ(decoded.entries[0].lsn, 300u);
  EXPECT_EQ(decoded.entries[0].kind, sstable::EntryKind::kPut);
  EXPECT_EQ(decoded.entries[1].key, "d");
  EXPECT_EQ(decoded.entries[1].lsn, 301u);
  EXPECT_EQ(decoded.entries[1].kind, sstable::EntryKind::kDelete);
}

TEST(WriteBatchTest, RoundTripOfLargeValues) {
  WriteBatch batch;
  batch.Put(std::string(300, 'k'), std::string(100000, 'v'));
  batch.Put("", "");
  std::string record;
  EncodeBatch(batch, 1, &record);
  DecodedBatch decoded;
  ASSERT_OK(DecodeBatch(record, "w", 0, &decoded));
  ASSERT_EQ(decoded.entries.size(), 2u);
  EXPECT_EQ(decoded.entries[0].value.size(), 100000u);
  EXPECT_EQ(decoded.entries[1].key, "");
  EXPECT_EQ(batch.payload_bytes(), 100300u);
}

TEST(WriteBatchTest, EveryTruncationIsDataLossNamingTheFile) {
  const std::string record = Golden();
  for (size_t n = 0; n < record.size(); ++n) {
    DecodedBatch decoded;
    EXPECT_THAT(
        DecodeBatch(record.substr(0, n), "wal/000007.log", 64, &decoded),
        StatusIs(absl::StatusCode::kDataLoss,
                 HasSubstr("wal/000007.log batch")))
        << n;
  }
}

TEST(WriteBatchTest, TrailingBytesAreDataLoss) {
  DecodedBatch decoded;
  EXPECT_THAT(DecodeBatch(Golden() + "x", "w", 0, &decoded),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(WriteBatchTest, UnknownKindIsDataLoss) {
  std::string record = Golden();
  record[4] = 7;  // The first op's kind.
  DecodedBatch decoded;
  EXPECT_THAT(DecodeBatch(record, "w", 0, &decoded),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown kind")));
}

TEST(WriteBatchTest, EmptyBatchRecordIsDataLoss) {
  DecodedBatch decoded;
  EXPECT_THAT(DecodeBatch(std::string("\x01\x05\x00", 3), "w", 0, &decoded),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("op count")));
}

TEST(WriteBatchTest, NewerFormatVersionIsRefusedClearly) {
  std::string record = Golden();
  record[0] = 3;
  DecodedBatch decoded;
  EXPECT_THAT(DecodeBatch(record, "wal/000003.log", 32, &decoded),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer format version")));
}

// A batch with a range delete is format version 2, so that a reader from
// before range deletes refuses it as newer instead of calling it damaged.
TEST(WriteBatchTest, GoldenBytesWithARangeDelete) {
  WriteBatch batch;
  batch.Put("k", "v");
  batch.DeleteRange("a", "c");
  std::string record;
  EncodeBatch(batch, 300, &record);
  // version 2 | first lsn 300 | 2 ops | put "k" "v" | kind 3, "a", "c"
  EXPECT_EQ(record, std::string("\x02\xac\x02\x02\x01\x01k\x01v\x03\x01"
                                "a\x01"
                                "c",
                                14));
  DecodedBatch decoded;
  ASSERT_OK(DecodeBatch(record, "w", 0, &decoded));
  ASSERT_EQ(decoded.entries.size(), 2u);
  EXPECT_EQ(decoded.entries[1].kind, sstable::EntryKind::kRangeDelete);
  EXPECT_EQ(decoded.entries[1].key, "a");
  EXPECT_EQ(decoded.entries[1].value, "c");
  EXPECT_EQ(decoded.entries[1].lsn, 301u);
}

TEST(WriteBatchTest, ARangeDeleteInAVersion1RecordOrAnEmptyRangeIsDataLoss) {
  DecodedBatch decoded;
  // Kind 3 under version 1: no writer ever made that.
  EXPECT_THAT(DecodeBatch(std::string("\x01\x05\x01\x03\x01"
                                      "a\x01"
                                      "c",
                                      8),
                          "w", 0, &decoded),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown kind")));
  EXPECT_THAT(DecodeBatch(std::string("\x02\x05\x01\x03\x01"
                                      "c\x01"
                                      "a",
                                      8),
                          "w", 0, &decoded),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("end")));
}

TEST(WriteBatchTest, ValidateRefusesAnEmptyOrBackwardRange) {
  WriteBatch batch;
  batch.DeleteRange("a", "b");
  EXPECT_OK(batch.Validate());
  batch.DeleteRange("b", "b");
  EXPECT_THAT(batch.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"b\"")));
}

}  // namespace
}  // namespace strata::engine
