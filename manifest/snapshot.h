// Snapshot files: the whole manifest state for one generation
// (docs/manifest_format.md).
//
//   header, 24 bytes:
//   0       4         6          8            16         20
//   +-------+---------+----------+------------+----------+------------+
//   | magic | version | reserved | generation | reserved | header crc |
//   +-------+---------+----------+------------+----------+------------+
//   body: EncodeState(state)
//   trailer, 16 bytes:
//   0             8          12
//   +-------------+----------+-------------+
//   | body length | body crc | trailer crc |
//   +-------------+----------+-------------+
//
// magic "SMSN" (fixed32), version 1, reserved 0, crcs masked CRC32C; the
// header crc covers header bytes 0..19, the trailer crc trailer bytes 0..11.
// The body's length and checksum come last so that a snapshot is written in
// one pass, streaming, whatever its size.

#ifndef STRATA_MANIFEST_SNAPSHOT_H_
#define STRATA_MANIFEST_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "manifest/edit.h"

namespace strata::manifest {

constexpr size_t kSnapshotHeaderSize = 24;
constexpr size_t kSnapshotTrailerSize = 16;

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
// The body is read and decoded a window at a time (kSnapshotReadWindow, or
// more for a larger field), not loaded whole: a snapshot of a million
// tables costs no 70 MB buffer on top of the state it decodes to. A
// damaged body is reported as a checksum mismatch, as if it were checked
// before decoding; the state decoded so far is dropped.
constexpr size_t kSnapshotReadWindow = size_t{1} << 20;
[[nodiscard]] absl::StatusOr<State> ReadSnapshot(
    io::FileSystem* fs, const std::string& dir, uint64_t generation,
    size_t window = kSnapshotReadWindow);

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_SNAPSHOT_H_
