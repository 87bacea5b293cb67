#include "wal/tail.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "io/status_macros.h"
#include "wal/format.h"

namespace strata::wal {
namespace {

constexpr size_t kReadSize = size_t{64} << 10;

}  // namespace

absl::StatusOr<std::unique_ptr<SegmentTail>> SegmentTail::Open(
    io::FileSystem* fs, std::string path, uint64_t number) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::RandomAccessFile> file,
                          fs->NewRandomAccessFile(path));
  char scratch[SegmentHeader::kSize];
  absl::string_view got;
  STRATA_RETURN_IF_ERROR(file->Read(0, sizeof(scratch), scratch, &got));
  if (got.size() < SegmentHeader::kSize) {
    return absl::UnavailableError(absl::StrFormat(
        "wal: %s: the segment header is not whole yet (%d bytes)", path,
        got.size()));
  }
  if (got.find_first_not_of('\0') == absl::string_view::npos) {
    // Zeros: a writer's header not on disk yet, or a file being deleted in
    // steps (io::FileSystem::RemoveFileInSteps punches holes first).
    return absl::UnavailableError(absl::StrFormat(
        "wal: %s: the segment header reads as zeros (being made or deleted)",
        path));
  }
  SegmentHeader header(0, 0);
  STRATA_RETURN_IF_ERROR(SegmentHeader::DecodeFrom(got, path, &header));
  if (header.segment_number() != number) {
    return absl::DataLossError(
        absl::StrFormat("wal: %s: the header names segment %d, not %d", path,
                        header.segment_number(), number));
  }
  return std::unique_ptr<SegmentTail>(
      new SegmentTail(std::move(file), std::move(path),
                      FragmentCrcSeed(header.nonce()), SegmentHeader::kSize));
}

SegmentTail::SegmentTail(std::unique_ptr<io::RandomAccessFile> file,
                         std::string path, uint32_t seed, uint64_t offset)
    : file_(std::move(file)),
      path_(std::move(path)),
      seed_(seed),
      base_(offset),
      offset_(offset) {}

absl::Status SegmentTail::ReadMore() {
  // Drop what was returned, keeping the buffer's start at base_.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    base_ += consumed_;
    consumed_ = 0;
  }
  // Allocated once, uninitialized: a poll that finds nothing costs one
  // read returning no bytes, not a fill of the buffer.
  if (scratch_ == nullptr) scratch_ = std::make_unique<char[]>(kReadSize);
  while (true) {
    absl::string_view got;
    STRATA_RETURN_IF_ERROR(
        file_->Read(base_ + buffer_.size(), kReadSize, scratch_.get(), &got));
    buffer_.append(got.data(), got.size());
    bytes_read_ += got.size();
    if (got.size() < kReadSize) return absl::OkStatus();
  }
}

absl::Status SegmentTail::Damage(uint64_t at, absl::string_view what) const {
  return absl::DataLossError(
      absl::StrFormat("wal: %s: %s at offset %d", path_, what, at));
}

absl::Status SegmentTail::Poll(bool sealed, const RecordFn& fn) {
  STRATA_RETURN_IF_ERROR(ReadMore());
  std::string record;
  size_t pos = consumed_;  // Into buffer_.
  bool in_record = false;
  while (true) {
    const uint64_t at = base_ + pos;
    const uint64_t block_left = kBlockSize - at % kBlockSize;
    if (block_left < FragmentHeader::kSize) {
      // A block trailer: zeros the writer put where no header fits.
      if (buffer_.size() - pos < block_left) break;
      pos += block_left;
      continue;
    }
    if (buffer_.size() - pos < FragmentHeader::kSize) break;
    const FragmentHeader h(buffer_.data() + pos);
    if (!h.type_is_valid() ||
        buffer_.size() - pos - FragmentHeader::kSize < h.length() ||
        FragmentHeader::kSize + h.length() > block_left ||
        !h.Matches(seed_, buffer_.data() + pos)) {
      // Not whole (a write under way) — or damage, if nothing more comes.
      if (!sealed) break;
      if (buffer_.size() - pos == 0) break;
      return Damage(at, "a fragment that fails its checks in a sealed segment");
    }
    const auto type = static_cast<FragmentType>(h.type());
    const absl::string_view payload(
        buffer_.data() + pos + FragmentHeader::kSize, h.length());
    const bool starts =
        type == FragmentType::kFull || type == FragmentType::kFirst;
    if (starts == in_record) {
      return Damage(at, "a fragment out of sequence");
    }
    if (starts) record.clear();
    record.append(payload.data(), payload.size());
    pos += FragmentHeader::kSize + h.length();
    if (type == FragmentType::kFull || type == FragmentType::kLast) {
      const uint64_t record_at = offset_;
      in_record = false;
      consumed_ = pos;
      offset_ = base_ + consumed_;
      STRATA_RETURN_IF_ERROR(fn(record, record_at));
    } else {
      in_record = true;
    }
  }
  // A sealed segment that ends inside a record lost its end.
  if (sealed && in_record) {
    return Damage(offset_, "a record cut off at the end of a sealed segment");
  }
  return absl::OkStatus();
}

}  // namespace strata::wal
