// strata_smoke: exercises the I/O layer end to end on a local directory
// until the engine binary replaces it. Writes a file through
// io::PosixFileSystem, syncs it and its directory, renames it into place,
// reads it back and checks every byte.
//
//   bazel run //tools:smoke -- [DIR]      (default: ./strata-data)

#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/file_system.h"
#include "io/posix_file_system.h"

namespace {

std::string DefaultDir() {
  // `bazel run` starts binaries in their runfiles tree; resolve relative
  // paths against the directory the user ran the command from.
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  return strata::io::JoinPath(cwd != nullptr ? cwd : ".", "strata-data");
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "strata_smoke: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : DefaultDir();
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  std::string payload;
  for (int i = 0; i < 100000; ++i) payload += static_cast<char>('a' + i % 26);
  const std::string tmp = strata::io::JoinPath(dir, "smoke.tmp");
  const std::string path = strata::io::JoinPath(dir, "smoke");
  if (absl::Status s = fs->CreateDir(dir); !s.ok()) return Fail(s);
  if (absl::Status s = strata::io::WriteFileSynced(fs, tmp, payload); !s.ok()) {
    return Fail(s);
  }
  if (absl::Status s = fs->RenameFile(tmp, path); !s.ok()) return Fail(s);
  if (absl::Status s = fs->SyncDir(dir); !s.ok()) return Fail(s);
  absl::StatusOr<std::string> back = strata::io::ReadFileToString(fs, path);
  if (!back.ok()) return Fail(back.status());
  if (*back != payload) {
    return Fail(absl::DataLossError("smoke: read back different bytes"));
  }
  std::printf(
      "strata_smoke: wrote, synced, renamed and verified %zu bytes in %s\n",
      payload.size(), dir.c_str());
  return 0;
}
