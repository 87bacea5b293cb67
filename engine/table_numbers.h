// Table numbers for new tables, and spare table files made ahead.
//
// Numbers: the manifest records durably that numbers up to some N are
// allocated (an AllocateTableId edit); numbers are handed out from there a
// batch at a time, so a flush needs no edit of its own to get one. A number
// is never handed out twice, even across a crash: an unused one is skipped,
// and a file left under it is an orphan (engine/recovery.h).
//
// Spares: empty table files created ahead under reserved numbers, their
// directory entries durable (one directory sync for several files). A flush
// writes into one and so syncs no directory. Until an edit names one, it is
// an orphan: removed by Close, or by the next open after a crash. Oldest
// number first.
//
// Thread-safety: safe for concurrent use (one internal mutex, acquired
// before the manifest's; no file is created while it is held).

#ifndef STRATA_ENGINE_TABLE_NUMBERS_H_
#define STRATA_ENGINE_TABLE_NUMBERS_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "io/mutex.h"
#include "manifest/manifest.h"

namespace strata::engine {

class TableNumbers {
 public:
  struct Spare {
    uint64_t number = 0;
    std::unique_ptr<io::WritableFile> file;  // Empty; entry durable.
  };

  // Hands out numbers from manifest->current()->next_table_number (or
  // `first`, if larger) on, reserving `batch` at a time. `fs` and
  // `manifest` must outlive this object; table files are created in
  // `sst_dir`.
  TableNumbers(io::FileSystem* fs, manifest::Manifest* manifest,
               std::string sst_dir, uint64_t batch, uint64_t first = 0);

  // The next unused number; an error if reserving more failed.
  [[nodiscard]] absl::StatusOr<uint64_t> Next() ABSL_LOCKS_EXCLUDED(mu_);

  // The oldest spare, if any.
  std::optional<Spare> TakeSpare() ABSL_LOCKS_EXCLUDED(mu_);
  // Once at most half of `count` spares are left, makes it `count` again,
  // creating the files outside the lock and syncing their directory once.
  // Returns an error only if numbers could not be reserved (a flush would
  // fail the same way); a file that cannot be created only means flushes
  // create their own.
  [[nodiscard]] absl::Status MakeSpares(size_t count) ABSL_LOCKS_EXCLUDED(mu_);
  // Closes every spare file, and removes them if `remove`.
  void DropSpares(bool remove) ABSL_LOCKS_EXCLUDED(mu_);
  size_t spares() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<uint64_t> NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string PathOf(uint64_t number) const;

  io::FileSystem* const fs_;
  manifest::Manifest* const manifest_;
  const std::string sst_dir_;
  const uint64_t batch_;
  mutable Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  uint64_t reserved_end_ ABSL_GUARDED_BY(mu_);
  std::deque<Spare> spares_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_TABLE_NUMBERS_H_
