// wal_dump: prints the records of a database's data WAL.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "io/posix_file_system.h"
#include "tools/cli_util.h"
#include "tools/wal_inspect.h"

ABSL_FLAG(bool, json, false,
          "print JSON Lines (one JSON object per line) instead of text");
ABSL_FLAG(bool, values, false, "print values, not only their sizes");
ABSL_FLAG(bool, best_effort, false,
          "skip damaged regions (each reported) instead of stopping");

namespace {

constexpr char kHelp[] =
    "usage: wal_dump [--json] [--values] [--best_effort] DIR\n"
    "\n"
    "Prints every write batch in a database's data WAL, changing nothing.\n"
    "DIR is the database directory or its wal/ directory.\n"
    "\n"
    "  --json         JSON Lines: one object per batch, then one summary\n"
    "                 object (keys and values: UTF-8 strings, or *_hex)\n"
    "  --values       print values, not only their sizes\n"
    "  --best_effort  skip damaged regions (each reported)";

}  // namespace

int main(int argc, char** argv) {
  using namespace strata::tools;
  if (auto done = StartTool(argc, argv, "wal_dump", kHelp)) return *done;
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    return ReportError(
        "wal_dump",
        absl::InvalidArgumentError("usage: wal_dump [--json] [--values] "
                                   "[--best_effort] DIR (--help for more)"));
  }
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const std::string dir = PartDirectory(fs, ResolveUserPath(args[1]), "wal");
  std::string out;
  const absl::Status s =
      DumpWal(fs, dir,
              {.json = absl::GetFlag(FLAGS_json),
               .best_effort = absl::GetFlag(FLAGS_best_effort),
               .values = absl::GetFlag(FLAGS_values)},
              &out);
  std::fputs(out.c_str(), stdout);
  return s.ok() ? kExitOk : ReportError("wal_dump", s);
}
