// manifest_dump: prints the state and every edit of a manifest directory.
//
//   bazel run //tools:manifest_dump -- [--json] [--filter=REGEX] DIR

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "io/posix_file_system.h"
#include "tools/manifest_inspect.h"

ABSL_FLAG(bool, json, false, "print JSON instead of text");
ABSL_FLAG(std::string, filter, "",
          "only tables whose smallest or largest key matches this RE2");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("manifest_dump [--json] [--filter=REGEX] DIR");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: %s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  std::string out;
  const absl::Status s =
      strata::tools::DumpManifest(strata::io::PosixFileSystem(), args[1],
                                  {.json = absl::GetFlag(FLAGS_json),
                                   .filter = absl::GetFlag(FLAGS_filter)},
                                  &out);
  std::fputs(out.c_str(), stdout);
  if (!s.ok()) {
    std::fprintf(stderr, "manifest_dump: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
