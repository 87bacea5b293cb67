// manifest_check: verifies a manifest directory without changing it; exits
// non-zero with the error if it would not open.
//
//   bazel run //tools:manifest_check -- DIR

#include <cstdio>
#include <string>

#include "io/posix_file_system.h"
#include "tools/manifest_inspect.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: manifest_check DIR\n");
    return 2;
  }
  std::string summary;
  const absl::Status s = strata::tools::CheckManifest(
      strata::io::PosixFileSystem(), argv[1], &summary);
  if (!s.ok()) {
    std::fprintf(stderr, "manifest_check: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  std::fputs(summary.c_str(), stdout);
  return 0;
}
