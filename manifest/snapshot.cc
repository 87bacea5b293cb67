#include "manifest/snapshot.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "manifest/codec.h"

namespace strata::manifest {
namespace {

constexpr uint32_t kMagic = 0x4e534d53;  // "SMSN"
constexpr uint16_t kVersion = 1;

}  // namespace

std::string SnapshotFileName(uint64_t generation) {
  return io::NumberedFileName(generation, ".snapshot");
}

std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name) {
  return io::ParseNumberedFileName(name, ".snapshot");
}

namespace {

std::string Header(uint64_t generation) {
  std::string h;
  PutFixed32(&h, kMagic);
  PutFixed16(&h, kVersion);
  PutFixed16(&h, 0);
  PutFixed64(&h, generation);
  PutFixed32(&h, 0);
  PutFixed32(&h, Checksum::Of(h));
  return h;
}

std::string Trailer(uint64_t body_length, uint32_t body_crc) {
  std::string t;
  PutFixed64(&t, body_length);
  PutFixed32(&t, crc32c::Mask(body_crc));
  PutFixed32(&t, Checksum::Of(t));
  return t;
}

}  // namespace

std::string EncodeSnapshot(uint64_t generation, const State& state) {
  std::string out = Header(generation);
  EncodeState(state, &out);
  const absl::string_view body =
      absl::string_view(out).substr(kSnapshotHeaderSize);
  out += Trailer(body.size(), crc32c::Value(body));
  return out;
}

absl::StatusOr<uint64_t> WriteSnapshotFile(io::FileSystem* fs,
                                           const std::string& dir,
                                           uint64_t generation,
                                           const State& state) {
  const std::string temp =
      io::JoinPath(dir, SnapshotFileName(generation)) + ".tmp";
  absl::StatusOr<std::unique_ptr<io::WritableFile>> file =
      fs->NewWritableFile(temp);
  if (!file.ok()) return file.status();
  io::WritableFile& out = **file;
  if (absl::Status s = out.Append(Header(generation)); !s.ok()) return s;
  // Stream the body: each full piece is written, and its writeback started,
  // while the next one is encoded. The last, short piece only is written:
  // the trailer goes into its last page and the sync follows at once, so
  // early writeback would write that page twice.
  constexpr size_t kPiece = size_t{1} << 20;
  uint64_t length = 0;
  uint32_t crc = 0;
  absl::Status s = EncodeStateInChunks(
      state, kPiece, [&](absl::string_view piece) -> absl::Status {
        if (absl::Status w = out.Append(piece); !w.ok()) return w;
        length += piece.size();
        crc = crc32c::Extend(crc, piece);
        return piece.size() >= kPiece ? out.StartWriteback() : absl::OkStatus();
      });
  if (!s.ok()) return s;
  if (absl::Status w = out.Append(Trailer(length, crc)); !w.ok()) return w;
  if (absl::Status w = out.Sync(); !w.ok()) return w;
  if (absl::Status w = out.Close(); !w.ok()) return w;
  return kSnapshotHeaderSize + length + kSnapshotTrailerSize;
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
  absl::StatusOr<uint64_t> size = WriteSnapshotFile(fs, dir, generation, state);
  if (!size.ok()) return size;
  if (absl::Status s = InstallSnapshotFile(fs, dir, generation); !s.ok()) {
    return s;
  }
  if (absl::Status s = fs->SyncDir(dir); !s.ok()) return s;
  return size;
}

absl::StatusOr<State> ReadSnapshot(io::FileSystem* fs, const std::string& dir,
                                   uint64_t generation) {
  const std::string path = io::JoinPath(dir, SnapshotFileName(generation));
  absl::StatusOr<std::string> bytes = io::ReadFileToString(fs, path);
  if (!bytes.ok()) return bytes.status();
  const std::string what = absl::StrCat("manifest: ", path);
  const size_t size = bytes->size();
  if (size < kSnapshotHeaderSize + kSnapshotTrailerSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated: %d bytes, less than a header and a trailer", what,
        size));
  }
  const char* p = bytes->data();
  const uint32_t magic = DecodeFixed32(p);
  if (magic != kMagic) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad magic 0x%08x at offset 0: not a manifest snapshot", what,
        magic));
  }
  if (absl::Status s = Checksum::Verify(
          DecodeFixed32(p + 20), absl::string_view(p, 20), what + " header", 0);
      !s.ok()) {
    return s;
  }
  const uint16_t version = DecodeFixed16(p + 4);
  if (version != kVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: format version %d: this build reads version %d; the snapshot "
        "was written by a newer format version",
        what, version, kVersion));
  }
  if (const uint64_t stored = DecodeFixed64(p + 8); stored != generation) {
    return absl::DataLossError(absl::StrFormat(
        "%s: header at offset 8 names generation %d: the file was copied or "
        "renamed by mistake",
        what, stored));
  }
  const size_t trailer_at = size - kSnapshotTrailerSize;
  const char* t = p + trailer_at;
  if (absl::Status s =
          Checksum::Verify(DecodeFixed32(t + 12), absl::string_view(t, 12),
                           what + " trailer", trailer_at);
      !s.ok()) {
    return s;
  }
  const uint64_t length = DecodeFixed64(t);
  if (length != trailer_at - kSnapshotHeaderSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: trailer at offset %d says the body is %d bytes, but %d are there",
        what, trailer_at, length, trailer_at - kSnapshotHeaderSize));
  }
  const absl::string_view body(p + kSnapshotHeaderSize, length);
  if (absl::Status s = Checksum::Verify(DecodeFixed32(t + 8), body,
                                        what + " body", kSnapshotHeaderSize);
      !s.ok()) {
    return s;
  }
  State state;
  if (absl::Status s =
          DecodeState(body, what + " body", kSnapshotHeaderSize, &state);
      !s.ok()) {
    return s;
  }
  return state;
}

}  // namespace strata::manifest
