// Helpers shared by the WAL tests.

#ifndef STRATA_WAL_WAL_TEST_UTIL_H_
#define STRATA_WAL_WAL_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "wal/reader.h"

namespace strata::wal {

// Everything one replay of a directory produced.
struct Replay {
  std::vector<std::string> records;
  std::vector<RecordPosition> positions;
  Tail tail;
  std::vector<SkippedRange> skipped;
};

// Reads every segment in `dir`; the Reader's error if it fails.
absl::StatusOr<Replay> ReadAll(io::FileSystem* fs, const std::string& dir,
                               ReaderOptions options = {});

// Segment `number`'s bytes in `dir`, and a way to put them back changed.
std::string ReadSegment(io::FileSystem* fs, const std::string& dir,
                        uint64_t number);
void WriteSegment(io::FileSystem* fs, const std::string& dir, uint64_t number,
                  const std::string& bytes);

}  // namespace strata::wal

#endif  // STRATA_WAL_WAL_TEST_UTIL_H_
