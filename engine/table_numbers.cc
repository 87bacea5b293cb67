#include "engine/table_numbers.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "io/status_macros.h"
#include "sstable/format.h"

namespace strata::engine {

TableNumbers::TableNumbers(io::FileSystem* fs, manifest::Manifest* manifest,
                           std::string sst_dir, uint64_t batch, uint64_t first)
    : fs_(fs),
      manifest_(manifest),
      sst_dir_(std::move(sst_dir)),
      batch_(std::max<uint64_t>(batch, 1)) {
  MutexLock lock(&mu_);
  next_ = reserved_end_ =
      std::max(manifest_->current()->next_table_number, first);
}

std::string TableNumbers::PathOf(uint64_t number) const {
  return io::JoinPath(sst_dir_, sstable::TableFileName(number));
}

absl::StatusOr<uint64_t> TableNumbers::Next() {
  MutexLock lock(&mu_);
  return NextLocked();
}

absl::StatusOr<uint64_t> TableNumbers::NextLocked() {
  while (true) {
    if (next_ >= reserved_end_) {
      const uint64_t last = next_ + batch_ - 1;
      STRATA_RETURN_IF_ERROR(manifest_->AllocateTableId(last));
      reserved_end_ = last + 1;
    }
    const uint64_t number = next_++;
    // A file already under the number (a spare whose removal a crash
    // undid, or one repair left) is never written over: the number is
    // skipped, as an unused one would be.
    if (absl::IsNotFound(fs_->FileExists(PathOf(number)))) return number;
  }
}

std::optional<TableNumbers::Spare> TableNumbers::TakeSpare() {
  MutexLock lock(&mu_);
  if (spares_.empty()) return std::nullopt;
  Spare spare = std::move(spares_.front());
  spares_.pop_front();
  return spare;
}

absl::Status TableNumbers::MakeSpares(size_t count) {
  std::vector<uint64_t> numbers;
  {
    MutexLock lock(&mu_);
    if (spares_.size() > count / 2) return absl::OkStatus();
    while (spares_.size() + numbers.size() < count) {
      STRATA_ASSIGN_OR_RETURN(const uint64_t n, NextLocked());
      numbers.push_back(n);
    }
  }
  // Outside the lock: a flush meanwhile takes a spare left, or makes its own
  // file. A file left behind by a failure is an orphan below the manifest's
  // next_table_number, which the next open deletes.
  std::vector<Spare> made;
  for (uint64_t number : numbers) {
    absl::StatusOr<std::unique_ptr<io::WritableFile>> file =
        fs_->NewExclusiveFile(PathOf(number));
    if (absl::IsAlreadyExists(file.status())) continue;  // Skipped.
    if (!file.ok()) break;
    made.push_back({number, *std::move(file)});
  }
  if (made.empty()) return absl::OkStatus();
  if (!fs_->SyncDir(sst_dir_).ok()) {
    // Not durable, so not spares. Closing cannot fail in a way that matters
    // for an empty file the next open deletes.
    for (Spare& spare : made) spare.file->Close().IgnoreError();
    return absl::OkStatus();
  }
  MutexLock lock(&mu_);
  for (Spare& spare : made) spares_.push_back(std::move(spare));
  return absl::OkStatus();
}

void TableNumbers::DropSpares(bool remove) {
  std::deque<Spare> spares;
  {
    MutexLock lock(&mu_);
    spares.swap(spares_);
  }
  // Empty and named by no edit: a failure leaves an orphan the next open
  // deletes.
  for (Spare& spare : spares) {
    spare.file->Close().IgnoreError();
    if (remove) fs_->RemoveFile(PathOf(spare.number)).IgnoreError();
  }
  // Durably gone: a crash must not bring back empty files under numbers a
  // repair (which cannot see them) may hand out again.
  if (remove && !spares.empty()) fs_->SyncDir(sst_dir_).IgnoreError();
}

size_t TableNumbers::spares() const {
  MutexLock lock(&mu_);
  return spares_.size();
}

}  // namespace strata::engine
