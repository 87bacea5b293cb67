// manifest_check: verifies a database's manifest without changing it, and
// that the tables it lists are present.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "io/posix_file_system.h"
#include "tools/cli_util.h"
#include "tools/manifest_inspect.h"

namespace {

constexpr char kHelp[] =
    "usage: manifest_check DIR\n"
    "\n"
    "Verifies a database's manifest as open would, changing nothing: exits\n"
    "0 with a one-line summary, or non-zero with the error. DIR is the\n"
    "database directory or its manifest/ directory; the tables the manifest\n"
    "lists are looked for in the sst/ directory beside it, and a missing\n"
    "one is data loss.";

}  // namespace

int main(int argc, char** argv) {
  using namespace strata::tools;
  if (auto done = StartTool(argc, argv, "manifest_check", kHelp)) return *done;
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    return ReportError("manifest_check",
                       absl::InvalidArgumentError(
                           "usage: manifest_check DIR (--help for more)"));
  }
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const std::string dir =
      PartDirectory(fs, ResolveUserPath(args[1]), "manifest");
  std::string summary;
  const absl::Status s = CheckManifest(fs, dir, &summary);
  if (!s.ok()) return ReportError("manifest_check", s);
  std::fputs(summary.c_str(), stdout);
  return kExitOk;
}
