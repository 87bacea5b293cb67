#include "wal/reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "wal/format.h"
#include "wal/wal_test_util.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using ::strata::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr uint64_t kHeader = FragmentHeader::kSize;

class ReaderTest : public ::testing::Test {
 protected:
  ReaderTest() { EXPECT_OK(fs_.CreateDir("/wal")); }

  void RemoveSegments() {
    const std::vector<std::string> listed = fs_.ListDir("/wal").value();
    for (const std::string& name : listed) {
      EXPECT_OK(fs_.RemoveFile("/wal/" + name));
    }
  }

  // Writes `records` to segment 1 (rotating before each index in
  // `rotate_before`) and remembers them.
  void Write(const std::vector<std::string>& records,
             std::vector<size_t> rotate_before = {}) {
    // Segments are created exclusively: a test writing anew starts empty.
    RemoveSegments();
    ASSERT_OK_AND_ASSIGN(auto writer,
                         Writer::Create(&fs_, "/wal", 1, WriterOptions()));
    for (size_t i = 0; i < records.size(); ++i) {
      for (size_t r : rotate_before) {
        if (r == i) {
          ASSERT_OK(writer->Rotate().status());
        }
      }
      ASSERT_OK(writer->Append(records[i]));
    }
    ASSERT_OK(writer->Close());
    written_ = records;
  }

  absl::StatusOr<Replay> Read(bool best_effort = false) {
    return ReadAll(&fs_, "/wal", {.best_effort = best_effort});
  }

  // Rewrites one byte of segment `segment`.
  void Poke(uint64_t segment, uint64_t offset, char value) {
    std::string bytes = ReadSegment(&fs_, "/wal", segment);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] = value;
    WriteSegment(&fs_, "/wal", segment, bytes);
  }

  // Inverts every bit of one byte of segment `segment`: a change whatever
  // the byte was, where Poke may write the value already there (a checksum
  // byte, which depends on the segment's random nonce).
  void Flip(uint64_t segment, uint64_t offset) {
    std::string bytes = ReadSegment(&fs_, "/wal", segment);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] = static_cast<char>(~bytes[offset]);
    WriteSegment(&fs_, "/wal", segment, bytes);
  }

  testing::MemFileSystem fs_;
  std::vector<std::string> written_;
};

// Three records of 100 bytes in one block: offsets 28, 135, 242.
constexpr uint64_t kSecond = SegmentHeader::kSize + kHeader + 100;

std::vector<std::string> ThreeSmall() {
  return {std::string(100, 'a'), std::string(100, 'b'), std::string(100, 'c')};
}

TEST_F(ReaderTest, RoundTripAcrossBlockBoundaries) {
  testing::Random rnd(11);
  std::vector<std::string> records;
  // Sizes around the block and header edges, and records spanning several
  // blocks.
  for (size_t size : {0u, 1u, 6u, 7u, 8u, 100u, 32768u - 28u - 7u, 32768u - 7u,
                      32768u, 32769u, 100000u, 3u, 0u}) {
    records.push_back(rnd.Bytes(size));
  }
  for (int i = 0; i < 300; ++i) records.push_back(rnd.Bytes(rnd.Uniform(2000)));
  Write(records);
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_THAT(replay.records, ElementsAreArray(records));
  EXPECT_FALSE(replay.tail.torn());
  EXPECT_EQ(replay.tail.segment, 1u);
}

TEST_F(ReaderTest, RoundTripAcrossReadWindows) {
  testing::Random rnd(12);
  std::vector<std::string> records;
  uint64_t total = 0;
  while (total < (uint64_t{3} << 20)) {
    records.push_back(rnd.Bytes(rnd.OneIn(10) ? 200000 : rnd.Uniform(3000)));
    total += records.back().size();
  }
  Write(records);
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_THAT(replay.records, ElementsAreArray(records));
}

TEST_F(ReaderTest, DamagePastTheFirstWindowWithDataAfterIsDataLoss) {
  std::vector<std::string> records(600, std::string(5000, 'w'));  // ~3 MiB
  Write(records);
  const uint64_t at = (uint64_t{3} << 20) / 2;  // A fragment's checksum.
  Flip(1, at);
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("valid data follows")));
  ASSERT_OK_AND_ASSIGN(Replay replay, Read(/*best_effort=*/true));
  EXPECT_EQ(replay.records.size(), records.size() - 1);
  ASSERT_EQ(replay.skipped.size(), 1u);
  EXPECT_LE(replay.skipped[0].begin, at);
  EXPECT_GT(replay.skipped[0].end, at);
}

TEST_F(ReaderTest, RoundTripAcrossSegmentRotation) {
  Write({"a", "b", "c", "d", "e"}, /*rotate_before=*/{1, 3, 4});
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_THAT(replay.records, ElementsAreArray(written_));
  std::vector<uint64_t> segments;
  for (const RecordPosition& p : replay.positions)
    segments.push_back(p.segment);
  EXPECT_THAT(segments, ElementsAreArray({1, 2, 2, 3, 4}));
  EXPECT_EQ(replay.positions[0].offset, SegmentHeader::kSize);
  EXPECT_EQ(replay.tail.segment, 4u);
}

TEST_F(ReaderTest, EmptySegmentAndNoSegments) {
  ASSERT_OK_AND_ASSIGN(Replay none, Read());
  EXPECT_TRUE(none.records.empty());
  Write({});
  ASSERT_OK_AND_ASSIGN(Replay empty, Read());
  EXPECT_TRUE(empty.records.empty());
  EXPECT_EQ(empty.tail.valid_end, SegmentHeader::kSize);
}

// ---- Corruption: one test per kind, in the newest segment with valid data
// after it (DataLoss) and, where it applies, at the tail (torn). ----

TEST_F(ReaderTest, BadChecksumWithDataAfterIsDataLoss) {
  Write(ThreeSmall());
  Poke(1, kSecond + kHeader + 5, 'X');  // Payload byte of record 2.
  EXPECT_THAT(Read(), StatusIs(kDataLoss,
                               HasSubstr("/wal/000001.log: fragment checksum "
                                         "mismatch at offset 135; valid data "
                                         "follows at offset 242")));
}

TEST_F(ReaderTest, BadChecksumAtTheTailIsTorn) {
  Write(ThreeSmall());
  Poke(1, 2 * kSecond - SegmentHeader::kSize + kHeader + 5, 'X');
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_THAT(replay.records, ElementsAreArray({written_[0], written_[1]}));
  EXPECT_TRUE(replay.tail.torn());
  EXPECT_EQ(replay.tail.valid_end, 242u);
  EXPECT_THAT(replay.tail.reason, HasSubstr("checksum mismatch at offset 242"));
}

TEST_F(ReaderTest, BadLengthIsDataLoss) {
  Write(ThreeSmall());
  Poke(1, kSecond + 5, '\xff');  // Length high byte: overruns the block.
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("overruns its block")));
}

TEST_F(ReaderTest, BadTypeIsDataLoss) {
  Write(ThreeSmall());
  Poke(1, kSecond + 6, 9);
  EXPECT_THAT(Read(),
              StatusIs(kDataLoss, HasSubstr("invalid fragment type 9 at offset "
                                            "135")));
}

TEST_F(ReaderTest, TruncatedHeaderAtTheTailIsTorn) {
  Write(ThreeSmall());
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  bytes += std::string("\x01\x02\x03", 3);  // A header cut after 3 bytes.
  WriteSegment(&fs_, "/wal", 1, bytes);
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_EQ(replay.records.size(), 3u);
  EXPECT_THAT(replay.tail.reason, HasSubstr("truncated fragment header"));
  EXPECT_EQ(replay.tail.valid_end, bytes.size() - 3);
}

TEST_F(ReaderTest, TruncatedPayloadAtTheTailIsTorn) {
  Write(ThreeSmall());
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  WriteSegment(&fs_, "/wal", 1, bytes.substr(0, bytes.size() - 40));
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_EQ(replay.records.size(), 2u);
  EXPECT_THAT(replay.tail.reason, HasSubstr("truncated fragment payload"));
}

TEST_F(ReaderTest, ZeroedBlockWithDataAfterIsDataLoss) {
  testing::Random rnd(3);
  std::vector<std::string> records;
  for (int i = 0; i < 40; ++i) records.push_back(rnd.Bytes(4000));  // 5 blocks
  Write(records);
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  std::fill(bytes.begin() + kBlockSize, bytes.begin() + 2 * kBlockSize, '\0');
  WriteSegment(&fs_, "/wal", 1, bytes);
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("valid data follows")));
}

TEST_F(ReaderTest, ZeroedTailIsTorn) {
  Write(ThreeSmall());
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  bytes += std::string(5000, '\0');  // Size grew, data never landed.
  WriteSegment(&fs_, "/wal", 1, bytes);
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_EQ(replay.records.size(), 3u);
  EXPECT_TRUE(replay.tail.torn());
}

TEST_F(ReaderTest, ZeroFilledTailIsTornEvenUnderStrictTail) {
  // What a crash leaves when a file's size reached the disk and its data did
  // not: after a whole record, or inside one (its last bytes zeroed).
  for (uint64_t cut : {uint64_t{0}, uint64_t{40}}) {
    Write(ThreeSmall());
    std::string bytes = ReadSegment(&fs_, "/wal", 1);
    const uint64_t end = bytes.size() - cut;
    std::fill(bytes.begin() + end, bytes.end(), '\0');
    bytes += std::string(40, '\0');
    WriteSegment(&fs_, "/wal", 1, bytes);
    ASSERT_OK_AND_ASSIGN(Replay replay,
                         ReadAll(&fs_, "/wal", {.strict_tail = true}));
    EXPECT_EQ(replay.records.size(), cut == 0 ? 3u : 2u);
    EXPECT_TRUE(replay.tail.torn());
    // The third record starts at 2 * kSecond - header.
    EXPECT_EQ(replay.tail.valid_end,
              cut == 0 ? end : 2 * kSecond - SegmentHeader::kSize);
    EXPECT_THAT(replay.tail.reason, HasSubstr("zeros from offset"));
  }
}

TEST_F(ReaderTest, ZerosFollowedByValidDataAreStillDataLoss) {
  Write(ThreeSmall());
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  // The second record zeroed: the third is valid after it.
  std::fill(bytes.begin() + kSecond, bytes.begin() + 2 * kSecond - 28, '\0');
  WriteSegment(&fs_, "/wal", 1, bytes);
  EXPECT_THAT(ReadAll(&fs_, "/wal", {.strict_tail = true}),
              StatusIs(kDataLoss, HasSubstr("valid data follows")));
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("valid data follows")));
}

TEST_F(ReaderTest, AllZeroNewestSegmentIsAnEmptyTornTail) {
  Write({"a"}, /*rotate_before=*/{});
  ASSERT_OK_AND_ASSIGN(auto writer,
                       Writer::Create(&fs_, "/wal", 2, WriterOptions()));
  ASSERT_OK(writer->Close());
  WriteSegment(&fs_, "/wal", 2, std::string(300, '\0'));
  ASSERT_OK_AND_ASSIGN(Replay replay,
                       ReadAll(&fs_, "/wal", {.strict_tail = true}));
  EXPECT_EQ(replay.records, std::vector<std::string>{"a"});
  EXPECT_EQ(replay.tail.segment, 2u);
  EXPECT_EQ(replay.tail.valid_end, 0u);
  // Not the newest: DataLoss.
  ASSERT_OK_AND_ASSIGN(writer,
                       Writer::Create(&fs_, "/wal", 3, WriterOptions()));
  ASSERT_OK(writer->Close());
  EXPECT_THAT(Read(), StatusIs(kDataLoss));
}

TEST_F(ReaderTest, GarbageAfterAValidTailIsTornInTheNewestSegment) {
  Write(ThreeSmall());
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  const uint64_t valid = bytes.size();
  bytes += testing::Random(9).Bytes(3000);
  WriteSegment(&fs_, "/wal", 1, bytes);
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_EQ(replay.records.size(), 3u);
  EXPECT_EQ(replay.tail.valid_end, valid);
}

TEST_F(ReaderTest, GarbageAfterAValidTailOfAnOlderSegmentIsDataLoss) {
  Write({"a", "b"}, /*rotate_before=*/{1});
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  bytes += testing::Random(9).Bytes(100);
  WriteSegment(&fs_, "/wal", 1, bytes);
  EXPECT_THAT(Read(), StatusIs(kDataLoss,
                               HasSubstr("000001.log: invalid fragment type")));
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("not the newest")));
}

TEST_F(ReaderTest, TornEndOfAnOlderSegmentIsDataLoss) {
  Write({std::string(100, 'a'), "b"}, /*rotate_before=*/{1});
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  WriteSegment(&fs_, "/wal", 1, bytes.substr(0, bytes.size() - 1));
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("not the newest")));
}

TEST_F(ReaderTest, MissingMiddleSegmentIsDataLoss) {
  Write({"a", "b", "c"}, /*rotate_before=*/{1, 2});
  ASSERT_OK(fs_.RemoveFile("/wal/000002.log"));
  EXPECT_THAT(Read(),
              StatusIs(kDataLoss, HasSubstr("segment 000002.log is missing "
                                            "between 000001.log and "
                                            "000003.log")));
}

TEST_F(ReaderTest, ListedSegmentFileMissingIsDataLoss) {
  Write({"a"});
  ASSERT_OK_AND_ASSIGN(auto reader, Reader::Open(&fs_, "/wal", {1, 2}));
  absl::string_view record;
  RecordPosition position;
  while (reader->Next(&record, &position)) {
  }
  EXPECT_THAT(reader->status(),
              StatusIs(kDataLoss, HasSubstr("segment file is missing: "
                                            "/wal/000002.log")));
}

TEST_F(ReaderTest, AMissingDirectoryIsNotFound) {
  ASSERT_OK_AND_ASSIGN(auto reader, Reader::Open(&fs_, "/nowhere", {1}));
  absl::string_view record;
  RecordPosition position;
  EXPECT_FALSE(reader->Next(&record, &position));
  EXPECT_THAT(reader->status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no such directory: /nowhere")));
}

TEST_F(ReaderTest, ReopenBelowTheHeaderStartsTheSegmentAnew) {
  // A torn header: the reader says no record ends anywhere (valid_end 0).
  WriteSegment(&fs_, "/wal", 1, std::string(10, 'x'));
  ASSERT_OK_AND_ASSIGN(Replay torn, Read());
  EXPECT_EQ(torn.tail.valid_end, 0u);
  ASSERT_OK_AND_ASSIGN(auto writer, Writer::Reopen(&fs_, "/wal", 1, 0, {}));
  ASSERT_OK(writer->Append("fresh"));
  ASSERT_OK(writer->Close());
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_EQ(replay.records, std::vector<std::string>{"fresh"});
  EXPECT_FALSE(replay.tail.torn());
}

TEST_F(ReaderTest, SegmentHeaderWithWrongNumberIsRefused) {
  Write({"a"});
  ASSERT_OK(fs_.RenameFile("/wal/000001.log", "/wal/000005.log"));
  EXPECT_THAT(Read(),
              StatusIs(kDataLoss, HasSubstr("000005.log: header at offset 0 "
                                            "names segment 1: the file was "
                                            "copied or renamed by mistake")));
}

TEST_F(ReaderTest, CorruptHeaderOfSegmentWithRecordsIsDataLoss) {
  Write({"a"});
  Poke(1, 9, 'X');
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("segment header")));
}

TEST_F(ReaderTest, TornHeaderOfNewestSegmentIsAnEmptyTornTail) {
  Write({"a"}, /*rotate_before=*/{});
  ASSERT_OK(io::WriteFileSynced(&fs_, "/wal/000002.log", "SWA"));
  ASSERT_OK_AND_ASSIGN(Replay replay, Read());
  EXPECT_EQ(replay.records.size(), 1u);
  EXPECT_EQ(replay.tail.segment, 2u);
  EXPECT_EQ(replay.tail.valid_end, 0u);
}

TEST_F(ReaderTest, LostMiddleFragmentIsDataLoss) {
  // A record spanning three blocks whose MIDDLE fragment is damaged,
  // followed by another record.
  Write({std::string(70000, 'x'), "after"});
  Poke(1, kBlockSize + 100, 'Y');
  EXPECT_THAT(Read(), StatusIs(kDataLoss, HasSubstr("valid data follows")));
}

TEST_F(ReaderTest, TornTailAtEveryByteOfTheLastRecord) {
  // The last record spans a block boundary, so cuts land in both fragments.
  Write({std::string(32000, 'a'), std::string(2000, 'b')});
  const std::string full = ReadSegment(&fs_, "/wal", 1);
  const uint64_t last_start = SegmentHeader::kSize + kHeader + 32000;
  for (uint64_t cut = last_start; cut < full.size(); ++cut) {
    WriteSegment(&fs_, "/wal", 1, full.substr(0, cut));
    ASSERT_OK_AND_ASSIGN(Replay replay, Read());
    ASSERT_EQ(replay.records.size(), 1u) << "cut at " << cut;
    ASSERT_EQ(replay.tail.valid_end, last_start) << "cut at " << cut;
    ASSERT_EQ(replay.tail.torn(), cut > last_start) << "cut at " << cut;
  }
}

TEST_F(ReaderTest, StrictTailRefusesACompleteDamagedLastRecord) {
  Write(ThreeSmall());
  Poke(1, 2 * kSecond - SegmentHeader::kSize + kHeader + 5, 'X');
  EXPECT_THAT(ReadAll(&fs_, "/wal", {.strict_tail = true}),
              StatusIs(kDataLoss, HasSubstr("the damaged fragment is "
                                            "complete, so this is not a torn "
                                            "write")));
  ASSERT_OK_AND_ASSIGN(Replay lenient, Read());  // Default: torn.
  EXPECT_EQ(lenient.records.size(), 2u);
}

TEST_F(ReaderTest, StrictTailStillRepairsTruncation) {
  Write(ThreeSmall());
  const std::string bytes = ReadSegment(&fs_, "/wal", 1);
  WriteSegment(&fs_, "/wal", 1, bytes.substr(0, bytes.size() - 30));
  ASSERT_OK_AND_ASSIGN(Replay replay,
                       ReadAll(&fs_, "/wal", {.strict_tail = true}));
  EXPECT_EQ(replay.records.size(), 2u);
  EXPECT_TRUE(replay.tail.torn());
}

TEST_F(ReaderTest, DamagedLengthOfTheLastRecordIsNotMistakenForTruncation) {
  Write(ThreeSmall());
  // Raise the last fragment's length past the end of the file: its
  // checksum still matches the bytes present, so this is damage.
  Poke(1, 2 * kSecond - SegmentHeader::kSize + 4, 120);
  EXPECT_THAT(ReadAll(&fs_, "/wal", {.strict_tail = true}),
              StatusIs(kDataLoss, HasSubstr("length field damaged")));
}

TEST_F(ReaderTest, BestEffortSkipsAndReportsEveryDamagedRange) {
  Write(ThreeSmall());
  Poke(1, kSecond + kHeader + 5, 'X');
  ASSERT_OK_AND_ASSIGN(Replay replay, Read(/*best_effort=*/true));
  EXPECT_THAT(replay.records, ElementsAreArray({written_[0], written_[2]}));
  ASSERT_EQ(replay.skipped.size(), 1u);
  EXPECT_EQ(replay.skipped[0].segment, 1u);
  EXPECT_EQ(replay.skipped[0].begin, kSecond);
  EXPECT_EQ(replay.skipped[0].end, 242u);
  EXPECT_THAT(replay.skipped[0].reason, HasSubstr("checksum mismatch"));
}

TEST_F(ReaderTest, BestEffortSkipsADamagedOlderSegmentTail) {
  Write({"a", "b", "c"}, /*rotate_before=*/{2});
  std::string bytes = ReadSegment(&fs_, "/wal", 1);
  bytes += "garbage!";
  WriteSegment(&fs_, "/wal", 1, bytes);
  ASSERT_OK_AND_ASSIGN(Replay replay, Read(/*best_effort=*/true));
  EXPECT_THAT(replay.records, ElementsAreArray({"a", "b", "c"}));
  ASSERT_EQ(replay.skipped.size(), 1u);
  EXPECT_EQ(replay.skipped[0].end, bytes.size());
}

TEST_F(ReaderTest, RecordOverTheReadersLimitIsRefused) {
  Write({std::string(50000, 'z')});
  ASSERT_OK_AND_ASSIGN(auto segments, ListSegments(&fs_, "/wal"));
  EXPECT_THAT(ReadAll(&fs_, "/wal", {.max_record_size = 40000}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("exceeds max_record_size 40000")));
}

TEST_F(ReaderTest, ListSegmentsIgnoresOtherFiles) {
  Write({"a"}, /*rotate_before=*/{0});
  ASSERT_OK(io::WriteFileSynced(&fs_, "/wal/notes.txt", ""));
  ASSERT_OK(io::WriteFileSynced(&fs_, "/wal/000009.log.tmp", ""));
  EXPECT_THAT(ListSegments(&fs_, "/wal"),
              testing::IsOkAndHolds(ElementsAreArray({1, 2})));
  EXPECT_THAT(ListSegments(&fs_, "/wal", 2),
              testing::IsOkAndHolds(ElementsAreArray({2})));
}

}  // namespace
}  // namespace strata::wal
