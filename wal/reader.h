// wal::Reader replays the records of a run of consecutive WAL segments
// (docs/wal_format.md), telling a torn tail from corruption:
//
//  - Torn tail: damage in the newest segment with no valid fragment after
//    it — the writer died mid-append. (With ReaderOptions::strict_tail,
//    only a segment that ends inside a record, or whose bytes are zeros from
//    the damage to the end: its size reached the disk, its data did not.)
//    Next() ends cleanly and tail() says where the whole records end;
//    Writer::Reopen truncates the rest.
//  - Corruption: damage with a valid fragment after it, damage in any
//    segment but the newest, a missing segment, or a segment whose header
//    names another number. Next() fails with DataLoss naming the segment
//    file and the offset.
//
// With ReaderOptions::best_effort, damaged regions are skipped instead and
// each one is reported in skipped(); a torn tail is still a clean end.
//
// Segments are read through a 1 MiB window, block-aligned, so a fragment is
// never split across two reads; only the scan past damaged bytes reads the
// rest of a segment at once.
//
// Thread-safety: thread-compatible.

#ifndef STRATA_WAL_READER_H_
#define STRATA_WAL_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "io/file_system.h"
#include "wal/format.h"

namespace strata::wal {

struct ReaderOptions {
  // Skip damaged regions (reporting each) instead of failing.
  bool best_effort = false;
  // Count as a torn tail only a newest segment that ends inside a record
  // (what an interrupted append leaves); a complete fragment that fails its
  // checks at the tail is DataLoss. For logs whose every record was synced
  // before it was acknowledged (the manifest), where a damaged last record
  // may be an acknowledged one. Without it, damage with nothing valid after
  // it also counts as torn (a crash may leave zeros or stale bytes).
  bool strict_tail = false;
  // A longer record is refused (FailedPrecondition).
  uint64_t max_record_size = uint64_t{64} << 20;
};

// Where a record starts: its segment and the offset of its first fragment.
struct RecordPosition {
  uint64_t segment = 0;
  uint64_t offset = 0;
};

// A damaged region that best-effort reading passed over.
struct SkippedRange {
  uint64_t segment = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string reason;
};

// The state of the newest segment once every record has been read.
struct Tail {
  uint64_t segment = 0;
  // Bytes holding the header and whole records: where a writer continues.
  uint64_t valid_end = 0;
  uint64_t file_size = 0;
  // What lies past valid_end when the tail is torn.
  std::string reason;
  bool torn() const { return file_size > valid_end; }
};

// The WAL segment numbers in `dir`, ascending, at or above `first`.
[[nodiscard]] absl::StatusOr<std::vector<uint64_t>> ListSegments(
    io::FileSystem* fs, const std::string& dir, uint64_t first = 0);

class Reader {
 public:
  // Reads `segments` of `dir` in order; they must be ascending and
  // consecutive (DataLoss names a missing one), and the last is the newest.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Reader>> Open(
      io::FileSystem* fs, std::string dir, std::vector<uint64_t> segments,
      ReaderOptions options = {});

  // Reads the next record: true if one was read. `*record` is valid until
  // the next call. False at the end or on an error, which status() reports.
  [[nodiscard]] bool Next(absl::string_view* record, RecordPosition* position);

  const absl::Status& status() const { return status_; }
  // After Next() returned false with an OK status.
  const Tail& tail() const { return tail_; }
  const std::vector<SkippedRange>& skipped() const { return skipped_; }
  // The file name of `segment` under this reader's directory.
  std::string SegmentPath(uint64_t segment) const;

 private:
  Reader(io::FileSystem* fs, std::string dir, std::vector<uint64_t> segments,
         ReaderOptions options);

  static constexpr uint64_t kWindowSize = uint64_t{1} << 20;

  // Reads the window of file_ holding `offset`.
  absl::Status LoadWindow(uint64_t offset);
  // The window's copy of the byte at `offset` (which it must hold).
  const char* At(uint64_t offset) const {
    return window_.get() + (offset - window_start_);
  }
  // Loads the next segment; false when none is left or on error.
  bool LoadSegment();
  // The segment's header failed to decode with `s`: a torn newest segment
  // ends the log, best effort skips the segment (true: load the next);
  // anything else fails.
  bool HeaderFailed(uint64_t segment, absl::Status s);

  // --- Fragments: ReadFragment reads the segments' fragments in order,
  // handling the end of a segment, block trailers and damage; Next
  // assembles records from them (as LevelDB's log reader does).
  struct Fragment {
    FragmentType type = FragmentType::kFull;
    uint64_t offset = 0;
    absl::string_view payload;  // Valid until the next ReadFragment.
  };
  enum class Step {
    kFragment,  // *fragment holds the next valid fragment.
    kAgain,     // Nothing yet (a trailer, a new segment, skipped damage).
    kStop,      // The end of the log, or a failure (status_).
  };
  Step ReadFragment(Fragment* fragment);
  static Step Again(bool keep_reading) {
    return keep_reading ? Step::kAgain : Step::kStop;
  }
  // The zeros a writer leaves where fewer than a fragment header's bytes
  // remain in a block; damage if they are not zeros.
  Step SkipBlockTrailer(uint64_t block_left);
  // What is wrong with the fragment whose header `h` is at pos_ (empty if
  // nothing); *truncated if the segment ends inside it.
  std::string FragmentProblem(const FragmentHeader& h, uint64_t block_left,
                              bool* truncated) const;
  bool newest() const { return index_ + 1 == segments_.size(); }
  // Handles damage found at `at`; true to keep reading (best effort).
  // `truncated`: the segment ends inside the fragment or record.
  // `extent_end`: where the damaged fragment ends, if its length is known.
  bool Damaged(uint64_t at, std::string reason, bool truncated = false,
               uint64_t extent_end = 0);
  // Damage whose extent is known: [begin, valid_from), with a valid
  // fragment at valid_from.
  bool DamagedBefore(uint64_t begin, uint64_t valid_from, std::string reason);
  // Offset of the first valid fragment at or after `from`, or the size.
  uint64_t FindValidFragment(uint64_t from);
  // Where the run of zero bytes that ends the segment begins (the size if
  // its last byte is not zero).
  uint64_t ZeroTailStart();
  bool EndOfSegment();
  bool Fail(absl::Status status);

  io::FileSystem* const fs_;
  const std::string dir_;
  const std::vector<uint64_t> segments_;
  const ReaderOptions options_;

  size_t index_ = 0;  // Into segments_; segments_.size() before the first.
  bool loaded_ = false;
  bool finished_ = false;
  std::unique_ptr<io::RandomAccessFile> file_;  // The current segment.
  uint64_t file_size_ = 0;
  // As large as the largest segment read so far needs, up to kWindowSize:
  // a small log costs no megabyte.
  std::unique_ptr<char[]> window_;
  uint64_t window_capacity_ = 0;
  uint64_t window_start_ = 0;  // [window_start_, window_end_) of file_.
  uint64_t window_end_ = 0;
  uint32_t crc_seed_ = 0;
  uint64_t pos_ = 0;
  bool in_record_ = false;
  uint64_t record_start_ = 0;
  std::string assembled_;

  absl::Status status_;
  Tail tail_;
  std::vector<SkippedRange> skipped_;
};

}  // namespace strata::wal

#endif  // STRATA_WAL_READER_H_
