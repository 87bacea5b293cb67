// wal::SegmentTail reads the records of one segment as a live writer in
// another process appends them (docs/manifest_format.md, "Tailing"): each
// Poll reads from where the last one stopped to the current end of the file
// and returns the records that are whole there, stopping before one that
// is still being written. It holds the file open, so a segment the writer
// deletes meanwhile is still read to its end.
//
// A Poll that finds nothing new costs one read returning no bytes.
//
// Damage: a fragment that fails its checks where the file ends may be a
// record still being written — it is left for the next Poll — unless the
// segment is `sealed` (its writer moved to the next one after syncing it),
// where it is DataLoss naming the file and offset, as is a fragment out of
// sequence or damage with bytes after it in a sealed segment.
//
// Thread-safety: thread-compatible.

#ifndef STRATA_WAL_TAIL_H_
#define STRATA_WAL_TAIL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "io/file_system.h"

namespace strata::wal {

class SegmentTail {
 public:
  // Opens segment `number` at `path` and checks its header. NotFound if the
  // file is missing; Unavailable if its header is not whole yet or reads as
  // zeros (not written yet, or the file is being deleted in steps).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SegmentTail>> Open(
      io::FileSystem* fs, std::string path, uint64_t number);

  // Calls `fn(record, offset)` for each record whole on disk past the last
  // one returned; stops at the first error `fn` returns. `sealed`: no more
  // bytes will come, so damage is damage.
  using RecordFn = std::function<absl::Status(absl::string_view, uint64_t)>;
  [[nodiscard]] absl::Status Poll(bool sealed, const RecordFn& fn);

  // Where the next record starts.
  uint64_t offset() const { return offset_; }
  // Bytes read past offset() that are not a whole record yet.
  uint64_t pending_bytes() const { return buffer_.size() - consumed_; }
  const std::string& path() const { return path_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  SegmentTail(std::unique_ptr<io::RandomAccessFile> file, std::string path,
              uint32_t seed, uint64_t offset);
  // Appends what the file holds past the buffer's end.
  absl::Status ReadMore();
  absl::Status Damage(uint64_t at, absl::string_view what) const;

  std::unique_ptr<io::RandomAccessFile> file_;
  const std::string path_;
  const uint32_t seed_;
  // File bytes [base_, base_ + buffer_.size()) are in buffer_; records
  // before base_ + consumed_ were returned. offset_ = base_ + consumed_.
  uint64_t base_;
  std::string buffer_;
  size_t consumed_ = 0;
  uint64_t offset_;
  uint64_t bytes_read_ = 0;
  std::unique_ptr<char[]> scratch_;  // Reads land here first.
};

}  // namespace strata::wal

#endif  // STRATA_WAL_TAIL_H_
