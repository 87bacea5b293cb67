#include "manifest/snapshot.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "encoding/tagged.h"
#include "io/status_macros.h"
#include "manifest/codec.h"

namespace strata::manifest {

std::string SnapshotFileName(uint64_t generation) {
  return io::NumberedFileName(generation, ".snapshot");
}

std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name) {
  return io::ParseNumberedFileName(name, ".snapshot");
}

// ------------------------------------------------------- Header and trailer

namespace {

// Field offsets, as drawn in snapshot.h.
constexpr size_t kHeaderVersionAt = 4;
constexpr size_t kHeaderGenerationAt = 8;
constexpr size_t kHeaderCrcAt = 20;
constexpr size_t kTrailerBodyCrcAt = 8;
constexpr size_t kTrailerCrcAt = 12;

}  // namespace

void SnapshotHeader::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  PutFixed32(dst, kMagic);
  PutFixed16(dst, kVersion);
  PutFixed16(dst, 0);
  PutFixed64(dst, generation_);
  PutFixed32(dst, 0);
  PutFixed32(dst, Checksum::Of(absl::string_view(*dst).substr(start)));
}

absl::Status SnapshotHeader::DecodeFrom(absl::string_view in,
                                        absl::string_view what,
                                        SnapshotHeader* header) {
  const uint32_t magic = DecodeFixed32(in.data());
  if (magic != kMagic) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad magic 0x%08x at offset 0: not a manifest snapshot", what,
        magic));
  }
  STRATA_RETURN_IF_ERROR(Checksum::Verify(
      DecodeFixed32(in.data() + kHeaderCrcAt), in.substr(0, kHeaderCrcAt),
      absl::StrCat(what, " header"), 0));
  const uint16_t version = DecodeFixed16(in.data() + kHeaderVersionAt);
  if (version != kVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: format version %d: this build reads version %d; the snapshot "
        "was written by a newer format version",
        what, version, kVersion));
  }
  *header = SnapshotHeader(DecodeFixed64(in.data() + kHeaderGenerationAt));
  return absl::OkStatus();
}

void SnapshotTrailer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  PutFixed64(dst, body_length_);
  PutFixed32(dst, masked_body_crc_);
  PutFixed32(dst, Checksum::Of(absl::string_view(*dst).substr(start)));
}

absl::Status SnapshotTrailer::DecodeFrom(absl::string_view in,
                                         absl::string_view what,
                                         uint64_t offset,
                                         SnapshotTrailer* trailer) {
  STRATA_RETURN_IF_ERROR(Checksum::Verify(
      DecodeFixed32(in.data() + kTrailerCrcAt), in.substr(0, kTrailerCrcAt),
      absl::StrCat(what, " trailer"), offset));
  *trailer = SnapshotTrailer(DecodeFixed64(in.data()),
                             DecodeFixed32(in.data() + kTrailerBodyCrcAt));
  return absl::OkStatus();
}

// ------------------------------------------------------------------ Writing

std::string EncodeSnapshot(uint64_t generation, const State& state) {
  std::string out;
  SnapshotHeader(generation).EncodeTo(&out);
  EncodeState(state, &out);
  const absl::string_view body =
      absl::string_view(out).substr(SnapshotHeader::kSize);
  SnapshotTrailer(body.size(), Checksum::Of(body)).EncodeTo(&out);
  return out;
}

absl::StatusOr<uint64_t> WriteSnapshotFile(io::FileSystem* fs,
                                           const std::string& dir,
                                           uint64_t generation,
                                           const State& state) {
  const std::string temp =
      io::JoinPath(dir, SnapshotFileName(generation)) + ".tmp";
  // The temporary name is this manifest's own: one left there is a
  // checkpoint a crash interrupted, never a file anyone still wants.
  absl::StatusOr<std::unique_ptr<io::WritableFile>> created =
      fs->NewExclusiveFile(temp);
  if (absl::IsAlreadyExists(created.status())) {
    STRATA_RETURN_IF_ERROR(fs->RemoveFile(temp));
    created = fs->NewExclusiveFile(temp);
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> out,
                          std::move(created));
  std::string framing;
  SnapshotHeader(generation).EncodeTo(&framing);
  STRATA_RETURN_IF_ERROR(out->Append(framing));
  // Stream the body: each full piece is written, and its writeback started,
  // while the next one is encoded. The last, short piece only is written:
  // the trailer goes into its last page and the sync follows at once, so
  // early writeback would write that page twice.
  constexpr size_t kPiece = size_t{1} << 20;
  uint64_t length = 0;
  uint32_t crc = 0;
  STRATA_RETURN_IF_ERROR(EncodeStateInChunks(
      state, kPiece, [&](absl::string_view piece) -> absl::Status {
        STRATA_RETURN_IF_ERROR(out->Append(piece));
        length += piece.size();
        crc = crc32c::Extend(crc, piece);
        return piece.size() >= kPiece ? out->StartWriteback()
                                      : absl::OkStatus();
      }));
  framing.clear();
  SnapshotTrailer(length, crc32c::Mask(crc)).EncodeTo(&framing);
  STRATA_RETURN_IF_ERROR(out->Append(framing));
  STRATA_RETURN_IF_ERROR(out->Sync());
  STRATA_RETURN_IF_ERROR(out->Close());
  return SnapshotHeader::kSize + length + SnapshotTrailer::kSize;
}

absl::Status InstallSnapshotFile(io::FileSystem* fs, const std::string& dir,
                                 uint64_t generation) {
  const std::string path = io::JoinPath(dir, SnapshotFileName(generation));
  return fs->RenameFile(path + ".tmp", path);
}

absl::StatusOr<uint64_t> WriteSnapshot(io::FileSystem* fs,
                                       const std::string& dir,
                                       uint64_t generation,
                                       const State& state) {
  STRATA_ASSIGN_OR_RETURN(const uint64_t size,
                          WriteSnapshotFile(fs, dir, generation, state));
  STRATA_RETURN_IF_ERROR(InstallSnapshotFile(fs, dir, generation));
  STRATA_RETURN_IF_ERROR(fs->SyncDir(dir));
  return size;
}

// ------------------------------------------------------------------ Reading

namespace {

// Reads exactly `n` bytes at `offset` into `dst`; DataLoss if the file ends
// first.
absl::Status ReadExactly(const io::RandomAccessFile& file,
                         absl::string_view what, uint64_t offset, size_t n,
                         char* dst) {
  absl::string_view got;
  STRATA_RETURN_IF_ERROR(file.Read(offset, n, dst, &got));
  if (got.size() != n) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated while reading: %d bytes at offset %d, %d there", what, n,
        offset, got.size()));
  }
  if (got.data() != dst) std::memmove(dst, got.data(), n);
  return absl::OkStatus();
}

// Reads a snapshot's body, [SnapshotHeader::kSize, body_end), a window at a
// time: each read extends the checksum, and the whole fields in the window
// are decoded; a field the window cuts waits for the next read, the window
// growing to hold it if it must. Once decoding fails, the rest is read for
// the checksum only, so that a damaged body is reported as a checksum
// mismatch.
class BodyReader {
 public:
  BodyReader(const io::RandomAccessFile& file, absl::string_view what,
             uint64_t body_end, size_t window)
      : file_(file),
        what_(what),
        body_end_(body_end),
        // No larger than the body: a small snapshot costs no megabyte.
        window_(std::max<size_t>(
            std::min<uint64_t>(window, body_end - SnapshotHeader::kSize), 1)) {}

  // Reads the whole body into `decoder`. Returns an error reading the file;
  // the decoder's verdict is decoded().
  absl::Status Run(StateDecoder* decoder) {
    while (read_at_ < body_end_) {
      STRATA_RETURN_IF_ERROR(ReadMore());
      if (!decoded_.ok()) {  // Only the checksum is still wanted.
        held_ = 0;
        continue;
      }
      DecodeWholeFields(decoder);
    }
    return absl::OkStatus();
  }

  uint32_t masked_crc() const { return crc32c::Mask(crc_); }
  const absl::Status& decoded() const { return decoded_; }

 private:
  // Appends the next read to what is held.
  absl::Status ReadMore() {
    size_t want = std::max<uint64_t>(
        window_, std::min<uint64_t>(next_field_, body_end_ - held_at_));
    if (want <= held_) want = held_ + window_;
    if (buffer_.size() < want) buffer_.resize(want);
    const size_t n = std::min<uint64_t>(want - held_, body_end_ - read_at_);
    STRATA_RETURN_IF_ERROR(
        ReadExactly(file_, what_, read_at_, n, &buffer_[held_]));
    crc_ = crc32c::Extend(crc_, absl::string_view(&buffer_[held_], n));
    read_at_ += n;
    held_ += n;
    return absl::OkStatus();
  }

  // Decodes the whole fields held, keeping a cut one for the next read.
  // What is held is decoded whole at the end of the body, or as soon as its
  // first field is known to run past the body (a bytes length too large):
  // the decoder reports the cut field.
  void DecodeWholeFields(StateDecoder* decoder) {
    const absl::string_view data(buffer_.data(), held_);
    size_t whole =
        read_at_ == body_end_ ? held_ : TaggedPrefix(data, &next_field_);
    if (whole == 0 && next_field_ > body_end_ - held_at_) whole = held_;
    decoded_ = decoder->Decode(data.substr(0, whole), held_at_);
    std::memmove(buffer_.data(), buffer_.data() + whole, held_ - whole);
    held_ -= whole;
    held_at_ += whole;
  }

  const io::RandomAccessFile& file_;
  const std::string what_;
  const uint64_t body_end_;
  const size_t window_;
  std::string buffer_;
  size_t held_ = 0;                           // Bytes in buffer_ not decoded.
  uint64_t held_at_ = SnapshotHeader::kSize;  // File offset of buffer_[0].
  uint64_t read_at_ = SnapshotHeader::kSize;  // Next file offset to read.
  uint64_t next_field_ = 0;                   // Size of a cut field, if known.
  uint32_t crc_ = 0;
  absl::Status decoded_;
};

// Reads and checks the header and trailer of a file of `size` bytes.
absl::StatusOr<SnapshotTrailer> ReadFraming(const io::RandomAccessFile& file,
                                            const std::string& what,
                                            uint64_t size,
                                            uint64_t generation) {
  if (size < SnapshotHeader::kSize + SnapshotTrailer::kSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated: %d bytes, less than a header and a trailer", what,
        size));
  }
  char h[SnapshotHeader::kSize];
  STRATA_RETURN_IF_ERROR(ReadExactly(file, what, 0, sizeof(h), h));
  SnapshotHeader header(0);
  STRATA_RETURN_IF_ERROR(SnapshotHeader::DecodeFrom(
      absl::string_view(h, sizeof(h)), what, &header));
  if (header.generation() != generation) {
    return absl::DataLossError(absl::StrFormat(
        "%s: header at offset %d names generation %d: the file was copied or "
        "renamed by mistake",
        what, kHeaderGenerationAt, header.generation()));
  }
  const uint64_t trailer_at = size - SnapshotTrailer::kSize;
  char t[SnapshotTrailer::kSize];
  STRATA_RETURN_IF_ERROR(ReadExactly(file, what, trailer_at, sizeof(t), t));
  SnapshotTrailer trailer(0, 0);
  STRATA_RETURN_IF_ERROR(SnapshotTrailer::DecodeFrom(
      absl::string_view(t, sizeof(t)), what, trailer_at, &trailer));
  if (trailer.body_length() != trailer_at - SnapshotHeader::kSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: trailer at offset %d says the body is %d bytes, but %d are there",
        what, trailer_at, trailer.body_length(),
        trailer_at - SnapshotHeader::kSize));
  }
  return trailer;
}

// A mapped body at least this large is decoded in two parts at once.
constexpr size_t kTwoPartBodyBytes = size_t{256} << 10;

// A mapped body, decoded in two parts at once: the second part on a thread
// of its own, the first on this one, each computing its part's checksum
// (which maps its pages) and then decoding its tables; then the second
// part's tables are appended to the first's, and the checksums combined.
// The parts meet at a guessed field boundary near the middle
// (LikelyTableFieldAt); the first part's decode proves the guess by ending
// exactly there. nullopt when the parts cannot be used as decoded (no
// boundary seen, a wrong guess, a field other than a table in the second
// part, table numbers out of order, or any error in either part): the
// caller then decodes the body in one pass, which gives exactly what one
// pass gives — including the error that names the damage.
absl::StatusOr<std::optional<State>> DecodeInTwoParts(
    absl::string_view body, const SnapshotTrailer& trailer,
    const std::string& body_what) {
  const uint64_t base = SnapshotHeader::kSize;
  const size_t split = LikelyTableFieldAt(body, body.size() / 2);
  if (split == absl::string_view::npos || split == 0) return std::nullopt;
  State tail;
  absl::Status tail_status;
  uint32_t tail_crc = 0;
  std::thread worker([&] {
    tail_crc = crc32c::Value(body.substr(split));
    StateDecoder decoder(&tail, body_what, {}, /*tables_only=*/true);
    tail_status = decoder.Decode(body.substr(split), base + split);
    tail.tables.EndBulkLoad();
  });
  const uint32_t head_crc = crc32c::Value(body.substr(0, split));
  State state;
  StateDecoder head(&state, body_what);
  const absl::Status head_status = head.Decode(body.substr(0, split), base);
  worker.join();
  const uint32_t crc =
      crc32c::Mask(crc32c::Combine(head_crc, tail_crc, body.size() - split));
  STRATA_RETURN_IF_ERROR(Checksum::Compare(
      trailer.masked_body_crc(), crc, trailer.body_length(), body_what, base));
  // The head's decode ends at a field boundary exactly at `split` (else it
  // fails: a field cut off), which proves the guess.
  if (!head_status.ok() || !tail_status.ok()) return std::nullopt;
  if (!state.tables.AppendAll(std::move(tail.tables))) return std::nullopt;
  STRATA_RETURN_IF_ERROR(head.Finish(base + body.size()));
  return state;
}

}  // namespace

absl::StatusOr<State> ReadSnapshot(io::FileSystem* fs, const std::string& dir,
                                   uint64_t generation, size_t window) {
  const std::string path = io::JoinPath(dir, SnapshotFileName(generation));
  // Mapped, where the file system can: the body is then decoded where it
  // lies, with no copy, and a large one in two parts at once.
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::RandomAccessFile> file,
                          fs->NewMappedFile(path));
  const std::string what = absl::StrCat("manifest: ", path);
  STRATA_ASSIGN_OR_RETURN(const SnapshotTrailer trailer,
                          ReadFraming(*file, what, file->Size(), generation));
  const std::string body_what = what + " body";
  const absl::string_view mapped = file->Mapped();
  if (!mapped.empty() && trailer.body_length() >= kTwoPartBodyBytes) {
    const absl::string_view body =
        mapped.substr(SnapshotHeader::kSize, trailer.body_length());
    STRATA_ASSIGN_OR_RETURN(std::optional<State> decoded,
                            DecodeInTwoParts(body, trailer, body_what));
    if (decoded.has_value()) return *std::move(decoded);
  }
  State state;
  StateDecoder decoder(&state, body_what);
  const uint64_t body_end = file->Size() - SnapshotTrailer::kSize;
  BodyReader body(*file, what, body_end, window);
  STRATA_RETURN_IF_ERROR(body.Run(&decoder));
  STRATA_RETURN_IF_ERROR(Checksum::Compare(
      trailer.masked_body_crc(), body.masked_crc(), trailer.body_length(),
      body_what, SnapshotHeader::kSize));
  STRATA_RETURN_IF_ERROR(body.decoded());
  STRATA_RETURN_IF_ERROR(decoder.Finish(body_end));
  return state;
}

}  // namespace strata::manifest
