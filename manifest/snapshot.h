// Snapshot files: the whole manifest state for one generation
// (docs/manifest_format.md).
//
//   0       4         6          8            16            24        28
//   +-------+---------+----------+------------+-------------+---------+
//   | magic | version | reserved | generation | body length | body crc|
//   +-------+---------+----------+------------+-------------+---------+
//   28            32
//   +-------------+------ body length bytes -------+
//   | header crc  | EncodeState(state)             |
//   +-------------+--------------------------------+
//
// magic "SMSN" (fixed32), version 1, crcs masked CRC32C; the header crc
// covers bytes 0..27.

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

constexpr size_t kSnapshotHeaderSize = 32;

// "000007.snapshot".
std::string SnapshotFileName(uint64_t generation);
std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name);

// The bytes of a snapshot file.
std::string EncodeSnapshot(uint64_t generation, const State& state);

// Writes the snapshot of `generation` into `dir` atomically: a temporary
// file, synced, renamed into place, directory synced. Returns its size.
[[nodiscard]] absl::StatusOr<uint64_t> WriteSnapshot(io::FileSystem* fs,
                                                     const std::string& dir,
                                                     uint64_t generation,
                                                     const State& state);

// Reads and checks the snapshot of `generation`. DataLoss names the file and
// the offset of what is wrong; FailedPrecondition a newer format version.
[[nodiscard]] absl::StatusOr<State> ReadSnapshot(io::FileSystem* fs,
                                                 const std::string& dir,
                                                 uint64_t generation);

}  // namespace strata::manifest

#endif  // STRATA_MANIFEST_SNAPSHOT_H_
