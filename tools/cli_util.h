// What every Strata binary (strata, manifest_dump, manifest_check,
// wal_dump, sst_dump) does the same way: paths, help, errors and exit codes.
//
// Exit codes (docs/tools.md):
//   0  success
//   1  not found (a missing key, database or file)
//   2  usage error (bad flags or arguments)
//   3  data loss or corruption (DataLoss)
//   4  any other error
//
// Thread-compatible.

#ifndef STRATA_TOOLS_CLI_UTIL_H_
#define STRATA_TOOLS_CLI_UTIL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "io/file_system.h"

namespace strata::tools {

enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,
  kExitUsage = 2,
  kExitDataLoss = 3,
  kExitError = 4,
};

// The exit-code table above, for --help.
extern const char kExitCodesHelp[];

// The exit code for `status`, as above (InvalidArgument is a usage error).
int ExitCodeFor(const absl::Status& status);

// Prints "PROGRAM: MESSAGE" on stderr (the message without a repeated
// "PROGRAM: " prefix) and returns ExitCodeFor(status).
int ReportError(absl::string_view program, const absl::Status& status);

// A path the user typed, as the user meant it: under `bazel run`, the
// binary runs in its runfiles tree, and a relative path is resolved against
// BUILD_WORKING_DIRECTORY (the directory `bazel run` was typed in).
// Absolute paths, and every path outside `bazel run`, are left as they are.
std::string ResolveUserPath(absl::string_view path);

// True if the arguments ask for help: --help, -h, -help or a first
// argument "help".
bool WantsHelp(int argc, char** argv);

// Checks every --flag in argv (up to a bare "--") names a flag this binary
// defines and that its value parses, so that a bad flag is a usage error
// (exit 2) with one line naming it, rather than absl's own exit. Run it
// before absl::ParseCommandLine.
[[nodiscard]] absl::Status CheckFlags(int argc, char** argv);

// The start of every tool's main(): with --help (WantsHelp), prints `help`
// and the exit codes to stdout and returns 0; with a bad flag, prints the
// usage error and returns 2. Otherwise nullopt: go on to parse the flags.
std::optional<int> StartTool(int argc, char** argv, absl::string_view program,
                             absl::string_view help);

// The directory of one part of a database (kind "manifest" or "wal") that
// a tool reads, given what the user named: a database directory holding
// that part (dir/part), or the part's directory itself.
std::string PartDirectory(io::FileSystem* fs, const std::string& dir,
                          absl::string_view part);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_CLI_UTIL_H_
