#include "manifest/snapshot.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "manifest/codec.h"

namespace strata::manifest {
namespace {

constexpr uint32_t kMagic = 0x4e534d53;  // "SMSN"
constexpr uint16_t kVersion = 1;
constexpr size_t kHeaderCrcCovers = 28;

}  // namespace

std::string SnapshotFileName(uint64_t generation) {
  return absl::StrFormat("%06d.snapshot", generation);
}

std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name) {
  if (!absl::ConsumeSuffix(&name, ".snapshot") || name.size() < 6) {
    return std::nullopt;
  }
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  uint64_t generation;
  if (!absl::SimpleAtoi(name, &generation)) return std::nullopt;
  return generation;
}

std::string EncodeSnapshot(uint64_t generation, const State& state) {
  std::string body;
  EncodeState(state, &body);
  std::string out;
  out.reserve(kSnapshotHeaderSize + body.size());
  PutFixed32(&out, kMagic);
  PutFixed16(&out, kVersion);
  PutFixed16(&out, 0);
  PutFixed64(&out, generation);
  PutFixed64(&out, body.size());
  PutFixed32(&out, Checksum::Of(body));
  PutFixed32(&out,
             Checksum::Of(absl::string_view(out.data(), kHeaderCrcCovers)));
  out += body;
  return out;
}

absl::StatusOr<uint64_t> WriteSnapshot(io::FileSystem* fs,
                                       const std::string& dir,
                                       uint64_t generation,
                                       const State& state) {
  const std::string path = io::JoinPath(dir, SnapshotFileName(generation));
  const std::string temp = path + ".tmp";
  const std::string bytes = EncodeSnapshot(generation, state);
  if (absl::Status s = io::WriteFileSynced(fs, temp, bytes); !s.ok()) return s;
  if (absl::Status s = fs->RenameFile(temp, path); !s.ok()) return s;
  if (absl::Status s = fs->SyncDir(dir); !s.ok()) return s;
  return bytes.size();
}

absl::StatusOr<State> ReadSnapshot(io::FileSystem* fs, const std::string& dir,
                                   uint64_t generation) {
  const std::string path = io::JoinPath(dir, SnapshotFileName(generation));
  absl::StatusOr<std::string> bytes = io::ReadFileToString(fs, path);
  if (!bytes.ok()) return bytes.status();
  const std::string what = absl::StrCat("manifest: ", path);
  if (bytes->size() < kSnapshotHeaderSize) {
    return absl::DataLossError(
        absl::StrFormat("%s: truncated header: %d of %d bytes", what,
                        bytes->size(), kSnapshotHeaderSize));
  }
  const char* p = bytes->data();
  const uint32_t magic = DecodeFixed32(p);
  if (magic != kMagic) {
    return absl::DataLossError(absl::StrFormat(
        "%s: bad magic 0x%08x at offset 0: not a manifest snapshot", what,
        magic));
  }
  if (absl::Status s = Checksum::Verify(DecodeFixed32(p + 28),
                                        absl::string_view(p, kHeaderCrcCovers),
                                        what + " header", 0);
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
  const uint64_t stored_generation = DecodeFixed64(p + 8);
  const uint64_t length = DecodeFixed64(p + 16);
  if (stored_generation != generation) {
    return absl::DataLossError(absl::StrFormat(
        "%s: header at offset 8 names generation %d: the file was copied or "
        "renamed by mistake",
        what, stored_generation));
  }
  if (length != bytes->size() - kSnapshotHeaderSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: body length at offset 16 is %d but %d bytes follow the header",
        what, length, bytes->size() - kSnapshotHeaderSize));
  }
  const absl::string_view body =
      absl::string_view(*bytes).substr(kSnapshotHeaderSize);
  if (absl::Status s = Checksum::Verify(DecodeFixed32(p + 24), body,
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
