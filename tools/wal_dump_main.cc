// wal_dump: prints the records of a data WAL (a DB's wal/ directory).
//
//   bazel run //tools:wal_dump -- [--json] [--values] [--best_effort] DB/wal

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "io/posix_file_system.h"
#include "tools/wal_inspect.h"

ABSL_FLAG(bool, json, false, "print JSON lines instead of text");
ABSL_FLAG(bool, values, false, "print values, not only their sizes");
ABSL_FLAG(bool, best_effort, false,
          "skip damaged regions (each reported) instead of stopping");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "wal_dump [--json] [--values] [--best_effort] DB/wal");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: %s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  std::string out;
  const absl::Status s =
      strata::tools::DumpWal(strata::io::PosixFileSystem(), args[1],
                             {.json = absl::GetFlag(FLAGS_json),
                              .best_effort = absl::GetFlag(FLAGS_best_effort),
                              .values = absl::GetFlag(FLAGS_values)},
                             &out);
  std::fputs(out.c_str(), stdout);
  if (!s.ok()) {
    std::fprintf(stderr, "wal_dump: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
