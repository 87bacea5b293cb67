// manifest_dump: prints the state and every edit of a database's manifest.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "io/posix_file_system.h"
#include "tools/cli_util.h"
#include "tools/manifest_inspect.h"

ABSL_FLAG(bool, json, false, "print one JSON object instead of text");
ABSL_FLAG(std::string, filter, "",
          "show only what concerns tables whose smallest or largest key "
          "matches this RE2");

namespace {

constexpr char kHelp[] =
    "usage: manifest_dump [--json] [--filter=REGEX] DIR\n"
    "\n"
    "Prints the state a database's manifest recovers to and every edit in\n"
    "its logs, changing nothing. DIR is the database directory or its\n"
    "manifest/ directory.\n"
    "\n"
    "  --json          one JSON object (keys: UTF-8 strings, or *_hex)\n"
    "  --filter=REGEX  only the edits and tables about tables whose\n"
    "                  smallest or largest key matches REGEX";

}  // namespace

int main(int argc, char** argv) {
  using namespace strata::tools;
  if (auto done = StartTool(argc, argv, "manifest_dump", kHelp)) return *done;
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    return ReportError("manifest_dump",
                       absl::InvalidArgumentError(
                           "usage: manifest_dump [--json] [--filter=REGEX] DIR "
                           "(--help for more)"));
  }
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const std::string dir =
      PartDirectory(fs, ResolveUserPath(args[1]), "manifest");
  std::string out;
  const absl::Status s = DumpManifest(fs, dir,
                                      {.json = absl::GetFlag(FLAGS_json),
                                       .filter = absl::GetFlag(FLAGS_filter)},
                                      &out);
  std::fputs(out.c_str(), stdout);
  return s.ok() ? kExitOk : ReportError("manifest_dump", s);
}
