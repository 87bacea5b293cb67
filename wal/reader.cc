#include "wal/reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "io/status_macros.h"
#include "wal/format.h"

namespace strata::wal {

absl::StatusOr<std::vector<uint64_t>> ListSegments(io::FileSystem* fs,
                                                   const std::string& dir,
                                                   uint64_t first) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<uint64_t> numbers;
  for (const std::string& name : names) {
    std::optional<uint64_t> number = ParseSegmentFileName(name);
    if (number.has_value() && *number >= first) numbers.push_back(*number);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

Reader::Reader(io::FileSystem* fs, std::string dir,
               std::vector<uint64_t> segments, ReaderOptions options)
    : fs_(fs),
      dir_(std::move(dir)),
      segments_(std::move(segments)),
      options_(options) {}

absl::StatusOr<std::unique_ptr<Reader>> Reader::Open(
    io::FileSystem* fs, std::string dir, std::vector<uint64_t> segments,
    ReaderOptions options) {
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] <= segments[i - 1]) {
      return absl::InvalidArgumentError(
          "wal: segments to read must be in ascending order");
    }
    if (segments[i] != segments[i - 1] + 1) {
      return absl::DataLossError(absl::StrFormat(
          "wal: %s: segment %s is missing between %s and %s", dir,
          SegmentFileName(segments[i - 1] + 1),
          SegmentFileName(segments[i - 1]), SegmentFileName(segments[i])));
    }
  }
  return std::unique_ptr<Reader>(
      new Reader(fs, std::move(dir), std::move(segments), options));
}

std::string Reader::SegmentPath(uint64_t segment) const {
  return io::JoinPath(dir_, SegmentFileName(segment));
}

bool Reader::Fail(absl::Status status) {
  status_ = std::move(status);
  return false;
}

absl::Status Reader::LoadWindow(uint64_t offset) {
  const uint64_t start = offset - offset % kBlockSize;
  const uint64_t length = std::min<uint64_t>(kWindowSize, file_size_ - start);
  absl::string_view got;
  STRATA_RETURN_IF_ERROR(file_->Read(start, length, window_.get(), &got));
  if (got.size() != length) {
    return absl::DataLossError(absl::StrFormat(
        "wal: %s: file shrank while being read (%d of %d bytes at offset %d)",
        SegmentPath(segments_[index_]), got.size(), length, start));
  }
  if (got.data() != window_.get()) memcpy(window_.get(), got.data(), length);
  window_start_ = start;
  window_end_ = start + length;
  return absl::OkStatus();
}

bool Reader::LoadSegment() {
  while (index_ < segments_.size()) {
    const uint64_t segment = segments_[index_];
    const std::string path = SegmentPath(segment);
    absl::StatusOr<std::unique_ptr<io::RandomAccessFile>> file =
        fs_->NewRandomAccessFile(path);
    if (absl::IsNotFound(file.status()) && !fs_->FileExists(dir_).ok()) {
      return Fail(
          absl::NotFoundError(absl::StrCat("wal: no such directory: ", dir_)));
    }
    if (absl::IsNotFound(file.status())) {
      return Fail(absl::DataLossError(
          absl::StrCat("wal: segment file is missing: ", path)));
    }
    if (!file.ok()) return Fail(file.status());
    file_ = *std::move(file);
    file_size_ = file_->Size();
    window_end_ = window_start_ = 0;
    const uint64_t capacity = std::min<uint64_t>(kWindowSize, file_size_);
    if (capacity > window_capacity_) {
      window_.reset(new char[capacity]);
      window_capacity_ = capacity;
    }
    if (file_size_ > 0) {
      if (absl::Status s = LoadWindow(0); !s.ok()) return Fail(std::move(s));
    }
    const absl::string_view head(window_.get(), window_end_);
    SegmentHeader header(0, 0);
    if (absl::Status s = SegmentHeader::DecodeFrom(head, path, &header);
        !s.ok()) {
      if (!HeaderFailed(segment, std::move(s))) return false;
      ++index_;
      continue;
    }
    if (header.segment_number() != segment) {
      return Fail(absl::DataLossError(absl::StrFormat(
          "wal: %s: header at offset 0 names segment %d: the file was copied "
          "or renamed by mistake",
          path, header.segment_number())));
    }
    crc_seed_ = FragmentCrcSeed(header.nonce());
    pos_ = SegmentHeader::kSize;
    in_record_ = false;
    loaded_ = true;
    return true;
  }
  finished_ = true;  // No segments at all.
  return false;
}

bool Reader::HeaderFailed(uint64_t segment, absl::Status s) {
  // The writer syncs a new segment's header before any record in it: a
  // newest segment no longer than a header that fails is torn. So is one
  // that is zeros from inside its header on: the header's sync never
  // completed, so no record in it was acknowledged.
  const uint64_t zeros = newest() ? ZeroTailStart() : file_size_;
  const bool zero_filled = zeros < SegmentHeader::kSize;
  const bool torn_header =
      (options_.strict_tail ? file_size_ < SegmentHeader::kSize
                            : file_size_ <= SegmentHeader::kSize) ||
      zero_filled;
  if (newest() && torn_header && s.code() == absl::StatusCode::kDataLoss) {
    tail_ = {segment, 0, file_size_,
             zero_filled ? absl::StrFormat("zeros from offset %d to the end "
                                           "(%s)",
                                           zeros, s.message())
                         : std::string(s.message())};
    finished_ = true;
    return false;
  }
  if (options_.best_effort && s.code() == absl::StatusCode::kDataLoss) {
    skipped_.push_back({segment, 0, file_size_, std::string(s.message())});
    return true;
  }
  return Fail(std::move(s));
}

uint64_t Reader::FindValidFragment(uint64_t from) {
  // Error path: read everything from the damage to the end of the file.
  const uint64_t base = from - from % kBlockSize;
  std::string rest(file_size_ - base, '\0');
  absl::string_view got;
  if (!file_->Read(base, rest.size(), rest.data(), &got).ok()) {
    return file_size_;
  }
  for (uint64_t off = from; off + FragmentHeader::kSize <= base + got.size();
       ++off) {
    const uint64_t block_left = kBlockSize - off % kBlockSize;
    if (block_left < FragmentHeader::kSize) {
      off += block_left - 1;
      continue;
    }
    const char* p = got.data() + (off - base);
    const FragmentHeader h(p);
    if (!h.type_is_valid() || h.length() > block_left - FragmentHeader::kSize ||
        off + FragmentHeader::kSize + h.length() > base + got.size()) {
      continue;
    }
    if (h.Matches(crc_seed_, p)) return off;
  }
  return file_size_;
}

uint64_t Reader::ZeroTailStart() {
  // Backwards from the end, a chunk at a time, to the last nonzero byte.
  const uint64_t kChunk = std::min<uint64_t>(uint64_t{64} << 10, file_size_);
  std::string chunk(kChunk, '\0');
  uint64_t end = file_size_;
  while (end > 0) {
    const uint64_t n = std::min(kChunk, end);
    absl::string_view got;
    if (!file_->Read(end - n, n, chunk.data(), &got).ok() || got.size() != n) {
      return file_size_;
    }
    for (uint64_t i = n; i > 0; --i) {
      if (got[i - 1] != 0) return end - n + i;
    }
    end -= n;
  }
  return 0;
}

bool Reader::Damaged(uint64_t at, std::string problem, bool truncated,
                     uint64_t extent_end) {
  const uint64_t segment = segments_[index_];
  const uint64_t begin = in_record_ ? record_start_ : at;
  std::string reason = absl::StrFormat("%s at offset %d", problem, at);
  const uint64_t next = FindValidFragment(at + 1);
  if (next < file_size_) return DamagedBefore(begin, next, std::move(reason));
  // Zeros from inside the damaged fragment to the end of the file: its size
  // reached the disk and the rest of its data did not (an append the crash
  // cut short), so this is a torn write even under strict_tail.
  if (newest() && !truncated) {
    const uint64_t zeros = ZeroTailStart();
    if (zeros < file_size_ &&
        zeros < std::max(extent_end, at + FragmentHeader::kSize)) {
      truncated = true;
      reason = absl::StrFormat("zeros from offset %d to the end (%s)",
                               std::max(zeros, at), reason);
    }
  }
  if (newest() && options_.strict_tail && !truncated) {
    if (options_.best_effort) {
      skipped_.push_back({segment, begin, file_size_, reason});
      tail_ = {segment, begin, file_size_, std::move(reason)};
      finished_ = true;
      return false;
    }
    return Fail(absl::DataLossError(absl::StrFormat(
        "wal: %s: %s; the damaged fragment is complete, so this is not a "
        "torn write",
        SegmentPath(segment), reason)));
  }
  if (newest()) {
    tail_ = {segment, begin, file_size_, std::move(reason)};
    finished_ = true;
    return false;
  }
  if (options_.best_effort) {
    skipped_.push_back({segment, begin, file_size_, std::move(reason)});
    pos_ = file_size_;
    in_record_ = false;
    return true;
  }
  return Fail(absl::DataLossError(absl::StrFormat(
      "wal: %s: %s; the segment is not the newest, so this is not a torn "
      "tail",
      SegmentPath(segment), reason)));
}

bool Reader::DamagedBefore(uint64_t begin, uint64_t valid_from,
                           std::string reason) {
  const uint64_t segment = segments_[index_];
  if (!options_.best_effort) {
    return Fail(absl::DataLossError(
        absl::StrFormat("wal: %s: %s; valid data follows at offset %d",
                        SegmentPath(segment), reason, valid_from)));
  }
  skipped_.push_back({segment, begin, valid_from, std::move(reason)});
  pos_ = valid_from;
  in_record_ = false;
  return true;
}

bool Reader::EndOfSegment() {
  if (in_record_) {
    return Damaged(pos_,
                   absl::StrFormat("segment ends inside the record that "
                                   "starts at offset %d",
                                   record_start_),
                   /*truncated=*/true);
  }
  if (newest()) {
    tail_ = {segments_[index_], file_size_, file_size_, ""};
    finished_ = true;
    return false;
  }
  loaded_ = false;
  ++index_;
  return true;
}

Reader::Step Reader::SkipBlockTrailer(uint64_t block_left) {
  const uint64_t end = std::min(file_size_, pos_ + block_left);
  const char* p = At(pos_);
  if (std::all_of(p, p + (end - pos_), [](char c) { return c == 0; })) {
    pos_ = end;
    return Step::kAgain;
  }
  return Again(Damaged(pos_, "nonzero bytes in a block trailer"));
}

std::string Reader::FragmentProblem(const FragmentHeader& h,
                                    uint64_t block_left,
                                    bool* truncated) const {
  constexpr uint64_t kHeader = FragmentHeader::kSize;
  if (!h.type_is_valid()) {
    return absl::StrFormat("invalid fragment type %d", h.type());
  }
  if (h.length() > block_left - kHeader) {
    return absl::StrFormat(
        "fragment length %d overruns its block (%d bytes left)", h.length(),
        block_left - kHeader);
  }
  if (pos_ + kHeader + h.length() > file_size_) {
    const uint64_t present = file_size_ - pos_ - kHeader;
    // A torn fragment cannot match its checksum over the bytes present; a
    // complete one whose length field was damaged does.
    *truncated = !h.Matches(crc_seed_, At(pos_), present);
    return *truncated
               ? absl::StrFormat("truncated fragment payload (%d of %d bytes)",
                                 present, h.length())
               : absl::StrFormat(
                     "fragment length field damaged (%d bytes present, %d "
                     "declared, and the checksum matches the present)",
                     present, h.length());
  }
  if (!h.Matches(crc_seed_, At(pos_))) return "fragment checksum mismatch";
  return "";
}

Reader::Step Reader::ReadFragment(Fragment* fragment) {
  constexpr uint64_t kHeader = FragmentHeader::kSize;
  if (!status_.ok() || finished_) return Step::kStop;
  if (!loaded_ && !LoadSegment()) return Step::kStop;
  const uint64_t size = file_size_;
  if (pos_ < size && (pos_ < window_start_ || pos_ >= window_end_)) {
    if (absl::Status s = LoadWindow(pos_); !s.ok()) {
      return Again(Fail(std::move(s)));
    }
  }
  // The end comes first: a file may end inside a block trailer (the writer
  // pads a trailer only when the next record comes), and a trailer check
  // at the end would not advance.
  if (pos_ == size) return Again(EndOfSegment());
  const uint64_t block_left = kBlockSize - pos_ % kBlockSize;
  if (block_left < kHeader) return SkipBlockTrailer(block_left);
  if (size - pos_ < kHeader) {
    return Again(
        Damaged(pos_,
                absl::StrFormat("truncated fragment header (%d of %d bytes)",
                                size - pos_, kHeader),
                /*truncated=*/true));
  }
  const FragmentHeader h(At(pos_));
  bool truncated = false;
  std::string problem = FragmentProblem(h, block_left, &truncated);
  if (!problem.empty()) {
    const uint64_t extent = std::min(size, pos_ + kHeader + h.length());
    return Again(Damaged(pos_, std::move(problem), truncated, extent));
  }
  fragment->type = static_cast<FragmentType>(h.type());
  fragment->offset = pos_;
  fragment->payload = absl::string_view(At(pos_) + kHeader, h.length());
  pos_ += kHeader + h.length();
  return Step::kFragment;
}

bool Reader::Next(absl::string_view* record, RecordPosition* position) {
  Fragment f;
  while (true) {
    const Step step = ReadFragment(&f);
    if (step == Step::kStop) return false;
    if (step == Step::kAgain) continue;
    const bool starts =
        f.type == FragmentType::kFull || f.type == FragmentType::kFirst;
    if (starts && in_record_) {
      // The previous record lost its last fragment, yet data follows: read
      // this fragment again as the start of the next record.
      if (!DamagedBefore(record_start_, f.offset,
                         absl::StrFormat("record at offset %d has no last "
                                         "fragment",
                                         record_start_))) {
        return false;
      }
      continue;
    }
    if (!starts && !in_record_) {
      if (!DamagedBefore(f.offset, pos_,
                         absl::StrFormat("fragment of type %d at offset %d "
                                         "has no first fragment",
                                         static_cast<int>(f.type), f.offset))) {
        return false;
      }
      continue;
    }
    if (f.type == FragmentType::kFull) {
      *record = f.payload;
      *position = {segments_[index_], f.offset};
      return true;
    }
    if (f.type == FragmentType::kFirst) {
      in_record_ = true;
      record_start_ = f.offset;
      assembled_.assign(f.payload.data(), f.payload.size());
    } else {
      assembled_.append(f.payload.data(), f.payload.size());
    }
    if (assembled_.size() > options_.max_record_size) {
      return Fail(absl::FailedPreconditionError(absl::StrFormat(
          "wal: %s: record at offset %d exceeds max_record_size %d",
          SegmentPath(segments_[index_]), record_start_,
          options_.max_record_size)));
    }
    if (f.type == FragmentType::kLast) {
      in_record_ = false;
      *record = assembled_;
      *position = {segments_[index_], record_start_};
      return true;
    }
  }
}

}  // namespace strata::wal
