// sst_dump: prints an SSTable's properties and entries.
//
//   bazel run //tools:sst_dump -- [--json] [--filter=REGEX] [--verify]
//       [--properties_only] FILE.sst

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "io/posix_file_system.h"
#include "sstable/table_reader.h"
#include "tools/table_dump.h"

ABSL_FLAG(bool, json, false, "print JSON instead of text");
ABSL_FLAG(std::string, filter, "", "only entries whose key matches this RE2");
ABSL_FLAG(bool, verify, false, "check every block and the file checksum");
ABSL_FLAG(bool, properties_only, false, "print the properties only");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "sst_dump [--json] [--filter=REGEX] [--verify] FILE.sst");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: %s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  auto table = strata::sstable::TableReader::Open(strata::io::PosixFileSystem(),
                                                  args[1]);
  if (!table.ok()) {
    std::fprintf(stderr, "sst_dump: %s\n",
                 std::string(table.status().message()).c_str());
    return 1;
  }
  std::string out;
  const absl::Status s = strata::tools::DumpTable(
      **table,
      {.json = absl::GetFlag(FLAGS_json),
       .filter = absl::GetFlag(FLAGS_filter),
       .verify = absl::GetFlag(FLAGS_verify),
       .properties_only = absl::GetFlag(FLAGS_properties_only)},
      &out);
  std::fputs(out.c_str(), stdout);
  if (!s.ok()) {
    std::fprintf(stderr, "sst_dump: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
