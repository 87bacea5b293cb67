#include "manifest/snapshot.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "encoding/tagged.h"
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

namespace {

// Reads exactly `n` bytes at `offset` into `dst`; DataLoss if the file ends
// first.
absl::Status ReadExactly(const io::RandomAccessFile& file,
                         absl::string_view what, uint64_t offset, size_t n,
                         char* dst) {
  absl::string_view got;
  if (absl::Status s = file.Read(offset, n, dst, &got); !s.ok()) return s;
  if (got.size() != n) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated while reading: %d bytes at offset %d, %d there", what, n,
        offset, got.size()));
  }
  if (got.data() != dst) std::memmove(dst, got.data(), n);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<State> ReadSnapshot(io::FileSystem* fs, const std::string& dir,
                                   uint64_t generation, size_t window) {
  const std::string path = io::JoinPath(dir, SnapshotFileName(generation));
  absl::StatusOr<std::unique_ptr<io::RandomAccessFile>> opened =
      fs->NewRandomAccessFile(path);
  if (!opened.ok()) return opened.status();
  const io::RandomAccessFile& file = **opened;
  const std::string what = absl::StrCat("manifest: ", path);
  const uint64_t size = file.Size();
  if (size < kSnapshotHeaderSize + kSnapshotTrailerSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated: %d bytes, less than a header and a trailer", what,
        size));
  }
  char p[kSnapshotHeaderSize];
  if (absl::Status s = ReadExactly(file, what, 0, sizeof(p), p); !s.ok()) {
    return s;
  }
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
  const uint64_t trailer_at = size - kSnapshotTrailerSize;
  char t[kSnapshotTrailerSize];
  if (absl::Status s = ReadExactly(file, what, trailer_at, sizeof(t), t);
      !s.ok()) {
    return s;
  }
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

  // The body, a window at a time: each read extends the checksum, and the
  // whole fields in the window are decoded; a field the window cuts waits
  // for the next read, the window growing to hold it if it must.
  const std::string body_what = what + " body";
  const uint64_t body_end = trailer_at;
  State state;
  StateDecoder decoder(&state, body_what);
  absl::Status decoded;
  uint32_t crc = 0;
  std::string buffer;
  size_t held = 0;                         // Bytes in buffer not decoded.
  uint64_t held_at = kSnapshotHeaderSize;  // File offset of buffer[0].
  uint64_t read_at = kSnapshotHeaderSize;  // Next file offset to read.
  uint64_t next_field = 0;                 // Size of a cut field, if known.
  // No larger than the body: a small snapshot costs no megabyte.
  window = std::max<size_t>(
      std::min<uint64_t>(window, body_end - kSnapshotHeaderSize), 1);
  while (read_at < body_end) {
    size_t want = std::max<uint64_t>(
        window, std::min<uint64_t>(next_field, body_end - held_at));
    if (want <= held) want = held + window;
    if (buffer.size() < want) buffer.resize(want);
    const size_t n = std::min<uint64_t>(want - held, body_end - read_at);
    if (absl::Status s = ReadExactly(file, what, read_at, n, &buffer[held]);
        !s.ok()) {
      return s;
    }
    crc = crc32c::Extend(crc, absl::string_view(&buffer[held], n));
    read_at += n;
    held += n;
    if (!decoded.ok()) {  // Only the checksum is still wanted.
      held = 0;
      continue;
    }
    const absl::string_view data(buffer.data(), held);
    // What is held is decoded whole at the end of the body, or as soon as
    // its first field is known to run past the body (a bytes length too
    // large): the decoder reports the cut field.
    size_t whole = read_at == body_end ? held : TaggedPrefix(data, &next_field);
    if (whole == 0 && next_field > body_end - held_at) whole = held;
    decoded = decoder.Decode(data.substr(0, whole), held_at);
    std::memmove(buffer.data(), buffer.data() + whole, held - whole);
    held -= whole;
    held_at += whole;
  }
  if (absl::Status s =
          Checksum::Compare(DecodeFixed32(t + 8), crc32c::Mask(crc), length,
                            body_what, kSnapshotHeaderSize);
      !s.ok()) {
    return s;
  }
  if (!decoded.ok()) return decoded;
  if (absl::Status s = decoder.Finish(body_end); !s.ok()) return s;
  return state;
}

}  // namespace strata::manifest
