#include "wal/wal_test_util.h"

#include "gtest/gtest.h"
#include "io/status_macros.h"
#include "testing/status_matchers.h"
#include "wal/format.h"

namespace strata::wal {

absl::StatusOr<Replay> ReadAll(io::FileSystem* fs, const std::string& dir,
                               ReaderOptions options) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments,
                          ListSegments(fs, dir));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader,
                          Reader::Open(fs, dir, segments, options));
  Replay replay;
  absl::string_view record;
  RecordPosition position;
  while (reader->Next(&record, &position)) {
    replay.records.emplace_back(record);
    replay.positions.push_back(position);
  }
  if (!reader->status().ok()) return reader->status();
  replay.tail = reader->tail();
  replay.skipped = reader->skipped();
  return replay;
}

std::string ReadSegment(io::FileSystem* fs, const std::string& dir,
                        uint64_t number) {
  absl::StatusOr<std::string> bytes =
      io::ReadFileToString(fs, io::JoinPath(dir, SegmentFileName(number)));
  EXPECT_OK(bytes.status());
  return bytes.value_or("");
}

void WriteSegment(io::FileSystem* fs, const std::string& dir, uint64_t number,
                  const std::string& bytes) {
  EXPECT_OK(io::WriteFileSynced(fs, io::JoinPath(dir, SegmentFileName(number)),
                                bytes));
}

}  // namespace strata::wal
