// Snapshot files: the whole manifest state for one generation
// (docs/manifest_format.md): a SnapshotHeader, the body (EncodeState), a
// SnapshotTrailer. The body's length and checksum come last so that a
// snapshot is written in one pass, streaming, whatever its size. This header
// is the only place the byte offsets of the header and trailer appear.

#ifndef STRATA_MANIFEST_SNAPSHOT_H_
#define STRATA_MANIFEST_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "io/file_system.h"
#include "manifest/edit.h"

namespace strata::manifest {

// The header, at offset 0:
//
//   0       4         6          8            16         20
//   +-------+---------+----------+------------+----------+------------+
//   | magic | version | reserved | generation | reserved | header crc |
//   +-------+---------+----------+------------+----------+------------+
//    fixed32  fixed16   fixed16     fixed64      fixed32     fixed32
//
// magic is "SMSN" read as a little-endian fixed32; reserved fields are 0;
// the crc (masked CRC32C) covers bytes 0..19.
class SnapshotHeader {
 public:
  static constexpr size_t kSize = 24;
  static constexpr uint32_t kMagic = 0x4e534d53;  // "SMSN"
  static constexpr uint16_t kVersion = 1;

  explicit SnapshotHeader(uint64_t generation) : generation_(generation) {}
  uint64_t generation() const { return generation_; }

  // Appends the kSize bytes of this header.
  void EncodeTo(std::string* dst) const;
  // Decodes the first kSize bytes of `in` (the file's offset 0). DataLoss
  // naming `what` on bad magic or checksum; FailedPrecondition for a newer
  // format version.
  [[nodiscard]] static absl::Status DecodeFrom(absl::string_view in,
                                               absl::string_view what,
                                               SnapshotHeader* header);

 private:
  uint64_t generation_;
};

// The trailer, the file's last kSize bytes:
//
//   0             8          12
//   +-------------+----------+-------------+
//   | body length | body crc | trailer crc |
//   +-------------+----------+-------------+
//      fixed64      fixed32     fixed32
//
// body crc is the masked CRC32C of the body; the trailer crc covers bytes
// 0..11.
class SnapshotTrailer {
 public:
  static constexpr size_t kSize = 16;

  // `masked_body_crc`: crc32c::Mask of the body's CRC32C.
  SnapshotTrailer(uint64_t body_length, uint32_t masked_body_crc)
      : body_length_(body_length), masked_body_crc_(masked_body_crc) {}
  uint64_t body_length() const { return body_length_; }
  uint32_t masked_body_crc() const { return masked_body_crc_; }

  void EncodeTo(std::string* dst) const;
  // Decodes the first kSize bytes of `in`, read at file offset `offset`;
  // DataLoss naming `what` and the offset on a bad checksum.
  [[nodiscard]] static absl::Status DecodeFrom(absl::string_view in,
                                               absl::string_view what,
                                               uint64_t offset,
                                               SnapshotTrailer* trailer);

 private:
  uint64_t body_length_;
  uint32_t masked_body_crc_;
};

constexpr size_t kSnapshotHeaderSize = SnapshotHeader::kSize;
constexpr size_t kSnapshotTrailerSize = SnapshotTrailer::kSize;

// "000007.snapshot".
std::string SnapshotFileName(uint64_t generation);
std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name);

// The bytes of a snapshot file.
std::string EncodeSnapshot(uint64_t generation, const State& state);

// The two halves of WriteSnapshot, for a caller that syncs the directory
// itself: writes and syncs "<name>.tmp" and returns its size; renames it
// into place (durable once the directory is synced).
[[nodiscard]] absl::StatusOr<uint64_t> WriteSnapshotFile(io::FileSystem* fs,
                                                         const std::string& dir,
                                                         uint64_t generation,
                                                         const State& state);
[[nodiscard]] absl::Status InstallSnapshotFile(io::FileSystem* fs,
                                               const std::string& dir,
                                               uint64_t generation);

// Writes the snapshot of `generation` into `dir` atomically: a temporary
// file, synced, renamed into place, directory synced. Returns its size.
[[nodiscard]] absl::StatusOr<uint64_t> WriteSnapshot(io::FileSystem* fs,
                                                     const std::string& dir,
                                                     uint64_t generation,
                                                     const State& state);

// Reads and checks the snapshot of `generation`. DataLoss names the file and
// the offset of what is wrong; FailedPrecondition a newer format version.
// Where the file system maps files (io::FileSystem::NewMappedFile) and the
// body is 1 MiB or more, the body is decoded where it lies, in two parts
// at once (the second half's tables on a second thread, while the first
// computes the checksum and decodes the first half): the same state and
// errors as one pass, in about half the time. Otherwise it is read and
// decoded a window at a time (kSnapshotReadWindow, or more for a larger
// field), not loaded whole: a snapshot of a million tables costs no 70 MB
// buffer on top of the state it decodes to. A damaged body is reported as a
// checksum mismatch, as if it were checked before decoding; the state
// decoded so far is dropped.
constexpr size_t kSnapshotReadWindow = size_t{1} << 20;
[[nodiscard]] absl::StatusOr<State> ReadSnapshot(
    io::FileSystem* fs, const std::string& dir, uint64_t generation,
    size_t window = kSnapshotReadWindow);

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_SNAPSHOT_H_
