// strata: the engine's command line.
//
//   bazel run //engine:strata -- demo              (default --db ./strata-data)
//   bazel run //engine:strata -- put KEY VALUE | get KEY | delete KEY
//   bazel run //engine:strata -- scan [START [END]] [--limit=N]
//   bazel run //engine:strata -- flush | compact | stats | check
//   bazel run //engine:strata -- repair [--json] [--salvage_wal]
//   bazel run //engine:strata -- workload --threads=8 --ops=100000 ...
//
// Errors are one line on stderr and a non-zero exit.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "engine/cli.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "io/status_macros.h"

ABSL_FLAG(std::string, db, "",
          "database directory (default: ./strata-data where the command was "
          "run)");
ABSL_FLAG(std::string, sync, "always",
          "data-WAL sync policy: always (durable before a write returns) or "
          "never (left to the OS)");
ABSL_FLAG(uint64_t, memtable_bytes, 1 << 20, "memtable size before a freeze");
ABSL_FLAG(uint64_t, limit, 0, "scan: most pairs to print (0: all)");
ABSL_FLAG(uint64_t, ops, 200000, "workload/demo: operations in total");
ABSL_FLAG(int, threads, 1, "workload: threads");
ABSL_FLAG(uint64_t, keys, 100000, "workload: distinct keys");
ABSL_FLAG(uint64_t, key_size, 16, "workload: key bytes");
ABSL_FLAG(uint64_t, value_size, 100, "workload/demo: value bytes");
ABSL_FLAG(int, read_percent, 50, "workload: percent of operations that read");
ABSL_FLAG(bool, json, false, "repair: print the report as one JSON object");
ABSL_FLAG(bool, salvage_wal, false,
          "repair: replay data-WAL records past damage too (not "
          "point-in-time)");

namespace {

std::string DefaultDir() {
  // `bazel run` starts binaries in their runfiles tree; resolve relative
  // paths against the directory the user ran the command from.
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  return strata::io::JoinPath(cwd != nullptr ? cwd : ".", "strata-data");
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "strata: %s\n", status.ToString().c_str());
  return 1;
}

absl::Status Run(const std::string& command,
                 const std::vector<std::string>& args) {
  namespace engine = strata::engine;
  std::string dir = absl::GetFlag(FLAGS_db);
  if (dir.empty()) dir = DefaultDir();
  engine::EngineOptions options;
  options.memtable_bytes = absl::GetFlag(FLAGS_memtable_bytes);
  const std::string sync = absl::GetFlag(FLAGS_sync);
  if (sync == "never") {
    options.wal_sync = strata::wal::SyncPolicy::Never();
  } else if (sync != "always") {
    return absl::InvalidArgumentError("--sync must be always or never");
  }
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  if (command == "repair") {
    if (!args.empty())
      return absl::InvalidArgumentError("usage: strata repair");
    engine::RepairOptions repair;
    repair.salvage_wal = absl::GetFlag(FLAGS_salvage_wal);
    return engine::RunRepair(fs, dir, repair, absl::GetFlag(FLAGS_json),
                             std::cout);
  }
  // Commands that only read open read-only: they create nothing, work on
  // a read-only mount, and a missing database is NotFound.
  options.read_only = engine::IsReadOnlyCommand(command);
  if (command == "demo") {
    engine::DemoOptions demo;
    if (absl::GetFlag(FLAGS_ops) != 200000) {
      demo.operations = absl::GetFlag(FLAGS_ops);
    }
    demo.value_size = absl::GetFlag(FLAGS_value_size);
    demo.progress_in_place = isatty(STDERR_FILENO) == 1;
    return engine::RunDemo(fs, dir, options, demo, std::cout, std::cerr);
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> db,
                          engine::Engine::Open(fs, dir, options));
  engine::PrintOpenWarnings(db->open_report(), std::cerr);
  absl::Status s;
  if (command == "workload") {
    engine::WorkloadOptions w;
    w.operations = absl::GetFlag(FLAGS_ops);
    w.threads = absl::GetFlag(FLAGS_threads);
    w.keys = absl::GetFlag(FLAGS_keys);
    w.key_size = absl::GetFlag(FLAGS_key_size);
    w.value_size = absl::GetFlag(FLAGS_value_size);
    w.read_percent = absl::GetFlag(FLAGS_read_percent);
    w.progress_in_place = isatty(STDERR_FILENO) == 1;
    s = engine::RunWorkload(db.get(), w, std::cout, std::cerr);
  } else {
    s = engine::RunSimpleCommand(db.get(), command, args,
                                 absl::GetFlag(FLAGS_limit), std::cout);
  }
  absl::Status closed = db->Close();
  return s.ok() ? closed : s;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "strata COMMAND [ARGS] [--db=DIR]\n"
      "commands: demo, put KEY VALUE, get KEY, delete KEY, scan [START "
      "[END]],\n"
      "          flush, compact, stats, check, repair, workload");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    return Fail(absl::InvalidArgumentError(
        "no command; one of demo, put, get, delete, scan, flush, compact, "
        "stats, check, repair, workload (--help for flags)"));
  }
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (absl::Status s = Run(positional[1], args); !s.ok()) return Fail(s);
  return 0;
}
