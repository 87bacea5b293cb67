// sst_dump: prints an SSTable's properties and entries.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "io/posix_file_system.h"
#include "sstable/table_reader.h"
#include "tools/cli_util.h"
#include "tools/table_dump.h"

ABSL_FLAG(bool, json, false, "print one JSON object instead of text");
ABSL_FLAG(std::string, filter, "", "only entries whose key matches this RE2");
ABSL_FLAG(bool, verify, false, "check every block and the file checksum");
ABSL_FLAG(bool, properties_only, false, "print the properties only");

namespace {

constexpr char kHelp[] =
    "usage: sst_dump [--json] [--filter=REGEX] [--verify] "
    "[--properties_only] FILE.sst\n"
    "\n"
    "Prints a table's properties and entries, changing nothing.\n"
    "\n"
    "  --json             one JSON object (keys and values: UTF-8 strings,\n"
    "                     or *_hex)\n"
    "  --filter=REGEX     only entries whose key matches REGEX\n"
    "  --verify           check every block and the whole-file checksum\n"
    "  --properties_only  print the properties only";

}  // namespace

int main(int argc, char** argv) {
  using namespace strata::tools;
  if (auto done = StartTool(argc, argv, "sst_dump", kHelp)) return *done;
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    return ReportError(
        "sst_dump", absl::InvalidArgumentError(
                        "usage: sst_dump [flags] FILE.sst (--help for more)"));
  }
  auto table = strata::sstable::TableReader::Open(strata::io::PosixFileSystem(),
                                                  ResolveUserPath(args[1]));
  if (!table.ok()) return ReportError("sst_dump", table.status());
  std::string out;
  const absl::Status s =
      DumpTable(**table,
                {.json = absl::GetFlag(FLAGS_json),
                 .filter = absl::GetFlag(FLAGS_filter),
                 .verify = absl::GetFlag(FLAGS_verify),
                 .properties_only = absl::GetFlag(FLAGS_properties_only)},
                &out);
  std::fputs(out.c_str(), stdout);
  return s.ok() ? kExitOk : ReportError("sst_dump", s);
}
