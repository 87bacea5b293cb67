// Every segment length a reader can meet, from an empty file to three blocks
// and a few bytes: written by a clean close and cut by truncation at every
// byte. Each is read under a watchdog (a reader that loops fails at once,
// not at the test runner's timeout) and must give exactly the records that
// were fully written, end where a writer can continue, and accept a record
// appended after Writer::Reopen.

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/mem_file_system.h"
#include "testing/random.h"
#include "testing/status_matchers.h"
#include "testing/watchdog.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/wal_test_util.h"
#include "wal/writer.h"

namespace strata::wal {
namespace {

constexpr uint64_t kHeader = FragmentHeader::kSize;
constexpr uint64_t kMaxLength = 3 * kBlockSize + 16;

// Where a writer whose last record ended at `end` writes its next fragment:
// past the block trailer if fewer than a fragment header's bytes are left.
uint64_t NextFragmentStart(uint64_t end) {
  const uint64_t left = kBlockSize - end % kBlockSize;
  return left < kHeader ? end + left : end;
}

// Where a record of `n` bytes ends when the previous one ended at `end`
// (the writer's framing: fragments never cross a block).
uint64_t RecordEnd(uint64_t end, uint64_t n) {
  do {
    end = NextFragmentStart(end);
    const uint64_t room = kBlockSize - end % kBlockSize - kHeader;
    const uint64_t take = std::min(room, n);
    end += kHeader + take;
    n -= take;
  } while (n > 0);
  return end;
}

WriterOptions Options() {
  WriterOptions options;
  options.fixed_nonce = 7;
  return options;
}

class SegmentLengthTest : public ::testing::Test {
 protected:
  SegmentLengthTest() { EXPECT_OK(fs_.CreateDir("/wal")); }

  // Writes records of varied sizes to segment 1 until it is longer than
  // kMaxLength; remembers each record and where it ends.
  void WriteVaried(uint64_t seed) {
    testing::Random rnd(seed);
    ASSERT_OK_AND_ASSIGN(auto writer,
                         Writer::Create(&fs_, "/wal", 1, Options()));
    uint64_t end = SegmentHeader::kSize;
    while (end <= kMaxLength) {
      // Mostly small records, so that record ends are dense; some that span
      // blocks.
      const uint64_t n = rnd.OneIn(20) ? rnd.Uniform(40000) : rnd.Uniform(400);
      records_.push_back(rnd.Bytes(n));
      ASSERT_OK(writer->Append(records_.back()));
      end = RecordEnd(end, n);
      ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.GetFileSize(Path()));
      ASSERT_EQ(size, end) << "the framing model disagrees with the writer";
      ends_.push_back(end);
    }
    ASSERT_OK(writer->Close());
    bytes_ = ReadSegment(&fs_, "/wal", 1);
  }

  static std::string Path() { return "/wal/000001.log"; }

  // The first `whole` varied records, then `last` if given (pointers:
  // one list per length, and there are a hundred thousand lengths).
  std::vector<const std::string*> Want(size_t whole,
                                       const std::string* last = nullptr) {
    std::vector<const std::string*> want;
    for (size_t i = 0; i < whole; ++i) want.push_back(&records_[i]);
    if (last != nullptr) want.push_back(last);
    return want;
  }

  // Reads the segment under a watchdog with both tail rules and checks that
  // it ends cleanly at `valid_end` with exactly the records `want`.
  void ExpectReads(const std::vector<const std::string*>& want,
                   uint64_t valid_end, const std::string& what) {
    for (bool strict : {false, true}) {
      watchdog_.Step(absl::StrFormat("reading %s", what));
      ASSERT_OK_AND_ASSIGN(auto reader, Reader::Open(&fs_, "/wal", {1},
                                                     {.strict_tail = strict}));
      size_t count = 0;
      absl::string_view record;
      RecordPosition position;
      while (reader->Next(&record, &position)) {
        ASSERT_LT(count, want.size()) << what << ": a record too many";
        ASSERT_TRUE(record == *want[count]) << what << ": record " << count;
        ++count;
      }
      ASSERT_OK(reader->status()) << what << (strict ? " (strict)" : "");
      ASSERT_EQ(count, want.size()) << what;
      ASSERT_EQ(reader->tail().valid_end, valid_end) << what;
    }
  }

  // Reopens the segment at `valid_end`, appends one record, and reads
  // `want` followed by it.
  void ExpectAppendAfterReopen(std::vector<const std::string*> want,
                               uint64_t valid_end, const std::string& what) {
    static const std::string* const appended = new std::string("after reopen");
    {
      watchdog_.Step(absl::StrFormat("reopening %s", what));
      ASSERT_OK_AND_ASSIGN(
          auto writer, Writer::Reopen(&fs_, "/wal", 1, valid_end, Options()));
      ASSERT_OK(writer->Append(*appended));
      ASSERT_OK(writer->Close());
    }
    want.push_back(appended);
    ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.GetFileSize(Path()));
    ExpectReads(want, size, what + " after an append");
  }

  testing::MemFileSystem fs_;
  // Each read or reopen must end within this: a reader that loops fails the
  // test at once.
  testing::Watchdog watchdog_{std::chrono::seconds(10)};
  std::vector<std::string> records_;
  std::vector<uint64_t> ends_;
  std::string bytes_;
};

TEST_F(SegmentLengthTest, TruncationAtEveryByte) {
  WriteVaried(1);
  ASSERT_GE(bytes_.size(), kMaxLength);
  size_t whole = 0;  // Records that end at or before the cut.
  for (uint64_t length = 0; length <= kMaxLength; ++length) {
    while (whole < ends_.size() && ends_[whole] <= length) ++whole;
    const uint64_t last_end = whole == 0 ? 0 : ends_[whole - 1];
    // Zeros of a block trailer after the last record are read past.
    const uint64_t valid_end =
        length < SegmentHeader::kSize
            ? 0
            : std::min(length, NextFragmentStart(std::max<uint64_t>(
                                   last_end, SegmentHeader::kSize)));
    const std::vector<const std::string*> want = Want(whole);
    const std::string what =
        absl::StrFormat("a segment cut at %d bytes", length);
    WriteSegment(&fs_, "/wal", 1, bytes_.substr(0, length));
    ExpectReads(want, valid_end, what);
    ExpectAppendAfterReopen(want, valid_end, what);
    if (HasFatalFailure()) return;
  }
}

TEST_F(SegmentLengthTest, CleanCloseAtEveryReachableLength) {
  WriteVaried(2);
  // A cleanly closed segment ending at `length`: the varied records up to a
  // record end far enough back, then one record sized to end exactly there,
  // appended by a writer reopened at that record end (as a process that
  // opens, appends one record and closes leaves it). Lengths no writer can
  // leave are counted: inside a header, or 1 to 7 bytes into a block (a
  // fragment there needs its header; 7 is an empty record, reached below
  // only when the last record ended at the boundary).
  size_t unreachable = 0;
  size_t prefix = 0;  // Varied records kept before the sized one.
  for (uint64_t length = 0; length <= kMaxLength; ++length) {
    while (prefix < ends_.size() && ends_[prefix] + 2 * kHeader <= length) {
      ++prefix;
    }
    const uint64_t start =
        prefix == 0 ? SegmentHeader::kSize : ends_[prefix - 1];
    uint64_t n = 0;
    while (start + 1 <= length && RecordEnd(start, n) < length) ++n;
    if (length < start + kHeader || RecordEnd(start, n) != length) {
      EXPECT_TRUE(length < SegmentHeader::kSize + kHeader ||
                  (length % kBlockSize >= 1 && length % kBlockSize <= kHeader))
          << "no clean close found that ends at " << length;
      ++unreachable;
      continue;
    }
    const std::string what =
        absl::StrFormat("a segment closed cleanly at %d bytes", length);
    WriteSegment(&fs_, "/wal", 1, bytes_.substr(0, start));
    const std::string last(n, 'z');
    const std::vector<const std::string*> want = Want(prefix, &last);
    {
      ASSERT_OK_AND_ASSIGN(auto writer,
                           Writer::Reopen(&fs_, "/wal", 1, start, Options()));
      ASSERT_OK(writer->Append(last));
      ASSERT_OK(writer->Close());
    }
    ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.GetFileSize(Path()));
    ASSERT_EQ(size, length);
    ExpectReads(want, length, what);
    ExpectAppendAfterReopen(want, length, what);
    if (HasFatalFailure()) return;
  }
  // Every length short of a header and a fragment, and 1 to 7 bytes into
  // each of the three later blocks (at most).
  EXPECT_LE(unreachable, SegmentHeader::kSize + kHeader + 3 * kHeader);
}

// The reproduction from the field: a log that a clean close left 1 to 6
// bytes short of a block boundary, reopened and read again.
TEST_F(SegmentLengthTest, CloseJustShortOfABlockBoundary) {
  for (uint64_t short_by = 1; short_by < kHeader; ++short_by) {
    const uint64_t length = kBlockSize - short_by;
    const uint64_t n = length - SegmentHeader::kSize - kHeader;
    fs_.RemoveFile("/wal/000001.log").IgnoreError();  // The last round's.
    ASSERT_OK_AND_ASSIGN(auto writer,
                         Writer::Create(&fs_, "/wal", 1, Options()));
    const std::string record(n, 'r');
    ASSERT_OK(writer->Append(record));
    ASSERT_OK(writer->Close());
    ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.GetFileSize(Path()));
    ASSERT_EQ(size, length);
    const std::string what =
        absl::StrFormat("a segment closed %d bytes short of a block", short_by);
    ExpectReads({&record}, length, what);
    ExpectAppendAfterReopen({&record}, length, what);
  }
}

}  // namespace
}  // namespace strata::wal
