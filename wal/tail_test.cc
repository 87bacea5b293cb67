// wal::SegmentTail: records come out as they become whole on disk, at every
// prefix of a segment; damage in a sealed segment is DataLoss naming the
// file and offset; a header not yet written (or zeroed) is Unavailable.

#include "wal/tail.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/status_matchers.h"
#include "wal/format.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

using ::strata::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDir[] = "/wal";

// A segment holding `records`, and its bytes.
std::string WriteSegment(testing::MemFileSystem* fs,
                         const std::vector<std::string>& records) {
  WriterOptions o;
  o.max_segment_size = UINT64_MAX;
  auto writer = Writer::Create(fs, kDir, 1, o);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (const std::string& r : records) {
    EXPECT_TRUE((*writer)->Append(r).ok());
  }
  EXPECT_TRUE((*writer)->Close().ok());
  return *io::ReadFileToString(fs, io::JoinPath(kDir, SegmentFileName(1)));
}

std::vector<std::string> Records() {
  std::vector<std::string> records;
  for (int i = 0; i < 12; ++i) {
    // Small ones, and two that span blocks (first, middle and last
    // fragments).
    records.push_back(i % 5 == 4 ? std::string(70000 + i, 'a' + i)
                                 : absl::StrCat("record-", i));
  }
  return records;
}

TEST(SegmentTailTest, EveryPrefixYieldsExactlyTheWholeRecords) {
  testing::MemFileSystem fs;
  const std::vector<std::string> records = Records();
  const std::string bytes = WriteSegment(&fs, records);
  const std::string path = "/grow.log";
  // The file grows a piece at a time, as a live writer appends: each poll
  // returns the records that became whole, in order, and nothing twice.
  ASSERT_OK(io::WriteFileSynced(&fs, path, bytes.substr(0, 28)));
  ASSERT_OK_AND_ASSIGN(auto tail, SegmentTail::Open(&fs, path, 1));
  std::vector<std::string> got;
  for (size_t size = 28; size <= bytes.size(); size += 997) {
    ASSERT_OK(io::WriteFileSynced(&fs, path, bytes.substr(0, size)));
    ASSERT_OK(tail->Poll(/*sealed=*/false, [&](absl::string_view r, uint64_t) {
      got.emplace_back(r);
      return absl::OkStatus();
    }));
  }
  ASSERT_OK(io::WriteFileSynced(&fs, path, bytes));
  ASSERT_OK(tail->Poll(/*sealed=*/true, [&](absl::string_view r, uint64_t) {
    got.emplace_back(r);
    return absl::OkStatus();
  }));
  EXPECT_EQ(got, records);
  EXPECT_EQ(tail->offset(), bytes.size());
  EXPECT_EQ(tail->pending_bytes(), 0u);
  // Nothing new: nothing returned, nothing read.
  const uint64_t read = tail->bytes_read();
  ASSERT_OK(tail->Poll(false, [&](absl::string_view, uint64_t) {
    ADD_FAILURE() << "a record twice";
    return absl::OkStatus();
  }));
  EXPECT_EQ(tail->bytes_read(), read);
}

TEST(SegmentTailTest, DamageInASealedSegmentIsDataLossAtItsOffset) {
  testing::MemFileSystem fs;
  std::string bytes = WriteSegment(&fs, {"one", "two", "three"});
  // The second record's payload ("two") is flipped.
  const size_t at = bytes.find("two");
  ASSERT_NE(at, std::string::npos);
  bytes[at] ^= 0x40;
  ASSERT_OK(io::WriteFileSynced(&fs, "/bad.log", bytes));
  ASSERT_OK_AND_ASSIGN(auto tail, SegmentTail::Open(&fs, "/bad.log", 1));
  std::vector<std::string> got;
  auto collect = [&](absl::string_view r, uint64_t) {
    got.emplace_back(r);
    return absl::OkStatus();
  };
  // Unsealed, it may be a write under way: the poll stops before it.
  ASSERT_OK(tail->Poll(/*sealed=*/false, collect));
  EXPECT_EQ(got, std::vector<std::string>{"one"});
  // Sealed, it is damage, named.
  const absl::Status s = tail->Poll(/*sealed=*/true, collect);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(s.message(), HasSubstr("/bad.log"));
  EXPECT_THAT(s.message(),
              HasSubstr(absl::StrCat("offset ", at - FragmentHeader::kSize)));
}

TEST(SegmentTailTest, ASealedSegmentCutInsideARecordIsDataLoss) {
  testing::MemFileSystem fs;
  const std::string bytes =
      WriteSegment(&fs, {"first", std::string(40000, 'x')});
  // Cut after the big record's first fragment (it spans two blocks).
  ASSERT_OK(io::WriteFileSynced(&fs, "/cut.log", bytes.substr(0, kBlockSize)));
  ASSERT_OK_AND_ASSIGN(auto tail, SegmentTail::Open(&fs, "/cut.log", 1));
  int records = 0;
  auto count = [&](absl::string_view, uint64_t) {
    ++records;
    return absl::OkStatus();
  };
  ASSERT_OK(tail->Poll(/*sealed=*/false, count));
  EXPECT_EQ(records, 1);
  EXPECT_GT(tail->pending_bytes(), 0u);
  EXPECT_THAT(tail->Poll(/*sealed=*/true, count),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SegmentTailTest, AHeaderNotWrittenOrZeroedIsUnavailable) {
  testing::MemFileSystem fs;
  const std::string bytes = WriteSegment(&fs, {"r"});
  ASSERT_OK(io::WriteFileSynced(&fs, "/short.log", bytes.substr(0, 10)));
  EXPECT_THAT(SegmentTail::Open(&fs, "/short.log", 1).status(),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(io::WriteFileSynced(&fs, "/zero.log", std::string(100, '\0')));
  EXPECT_THAT(SegmentTail::Open(&fs, "/zero.log", 1).status(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(SegmentTail::Open(&fs, "/missing.log", 1).status(),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(io::WriteFileSynced(&fs, "/other.log", bytes));
  EXPECT_THAT(SegmentTail::Open(&fs, "/other.log", 2).status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SegmentTailTest, AnErrorFromTheCallbackStopsThePoll) {
  testing::MemFileSystem fs;
  const std::string bytes = WriteSegment(&fs, {"a", "b", "c"});
  ASSERT_OK(io::WriteFileSynced(&fs, "/s.log", bytes));
  ASSERT_OK_AND_ASSIGN(auto tail, SegmentTail::Open(&fs, "/s.log", 1));
  int calls = 0;
  EXPECT_THAT(tail->Poll(false,
                         [&](absl::string_view, uint64_t) {
                           ++calls;
                           return absl::AbortedError("stop");
                         }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace strata::wal
