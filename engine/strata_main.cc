// strata: the engine's command line. `strata --help` lists the commands,
// `strata help COMMAND` describes one; docs/tools.md has the details.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "engine/cli.h"
#include "engine/engine.h"
#include "io/posix_file_system.h"
#include "io/status_macros.h"
#include "tools/cli_util.h"

ABSL_FLAG(std::string, db, "",
          "database directory (default: ./strata-data where the command was "
          "run)");
ABSL_FLAG(std::string, sync, "always",
          "data-WAL sync policy: always (durable before a write returns) or "
          "never (left to the OS)");
ABSL_FLAG(uint64_t, memtable_bytes, 1 << 20, "memtable size before a freeze");
ABSL_FLAG(bool, hex, false, "keys and values are given and printed in hex");
ABSL_FLAG(bool, raw, false, "get: print the value's bytes exactly");
ABSL_FLAG(uint64_t, limit, 0, "scan: most pairs to print (0: all)");
ABSL_FLAG(uint64_t, ops, 0,
          "demo/workload: operations in total (0: the command's default, "
          "300000 for demo, 200000 for workload)");
ABSL_FLAG(int, threads, 1, "workload: threads");
ABSL_FLAG(uint64_t, keys, 100000, "workload: distinct keys");
ABSL_FLAG(uint64_t, key_size, 16, "workload: key bytes");
ABSL_FLAG(uint64_t, value_size, 100, "workload/demo: value bytes");
ABSL_FLAG(int, read_percent, 50, "workload: percent of operations that read");
ABSL_FLAG(bool, json, false, "repair: print the report as one JSON object");
ABSL_FLAG(uint64_t, interval, 1000, "follow: milliseconds between catch-ups");
ABSL_FLAG(uint64_t, polls, 0,
          "follow: catch-ups before exiting (0: until killed)");
ABSL_FLAG(bool, salvage_wal, false,
          "repair: replay data-WAL records past damage too (not "
          "point-in-time)");

namespace {

namespace engine = strata::engine;
namespace tools = strata::tools;

constexpr char kFlagsHelp[] =
    "flags:\n"
    "  --db=DIR             the database (default ./strata-data; relative\n"
    "                       paths are where you ran the command, also\n"
    "                       under bazel run)\n"
    "  --hex                keys and values in hex, given and printed\n"
    "  --raw                get: the value's bytes exactly, no newline\n"
    "  --limit=N            scan: at most N pairs\n"
    "  --sync=always|never  data-WAL sync policy for writes\n"
    "  --memtable_bytes=N   memtable size before a freeze\n"
    "  --ops, --threads, --keys, --key_size, --value_size, --read_percent\n"
    "                       demo and workload sizes\n"
    "  --json, --salvage_wal  repair's report as JSON; replay past damage\n"
    "  --interval=MS, --polls=N  follow: catch up every MS ms, N times\n"
    "\n"
    "A flag the command does not take is a usage error (exit 2).\n"
    "\n"
    "Output shows bytes as they are if printable ASCII, a backslash as \\\\,\n"
    "and anything else as \\xHH (or all in hex with --hex).";

// `strata --help`, `strata help` and `strata help COMMAND`.
int PrintHelp(int argc, char** argv) {
  std::string command;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "help") command = argv[i + 1];
  }
  absl::StatusOr<std::string> text = engine::CommandHelp(command);
  if (!text.ok()) return tools::ReportError("strata", text.status());
  if (command.empty()) {
    *text = absl::StrCat("usage: strata COMMAND [ARGS] [--db=DIR]\n\n",
                         "commands:\n", *text, "\n", kFlagsHelp, "\n");
  }
  std::cout << *text << tools::kExitCodesHelp << "\n";
  return tools::kExitOk;
}

absl::StatusOr<engine::EngineOptions> Options() {
  engine::EngineOptions options;
  options.memtable_bytes = absl::GetFlag(FLAGS_memtable_bytes);
  const std::string sync = absl::GetFlag(FLAGS_sync);
  if (sync == "never") {
    options.wal_sync = strata::wal::SyncPolicy::Never();
  } else if (sync != "always") {
    return absl::InvalidArgumentError("--sync must be always or never");
  }
  return options;
}

absl::Status RunOnEngine(strata::io::FileSystem* fs, const std::string& dir,
                         engine::EngineOptions options,
                         const std::string& command,
                         const std::vector<std::string>& args) {
  const bool tty = isatty(STDERR_FILENO) == 1;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> db,
                          engine::Engine::Open(fs, dir, options));
  engine::PrintOpenWarnings(db->open_report(), std::cerr);
  absl::Status s;
  if (command == "workload") {
    engine::WorkloadOptions w;
    if (absl::GetFlag(FLAGS_ops) != 0) w.operations = absl::GetFlag(FLAGS_ops);
    w.threads = absl::GetFlag(FLAGS_threads);
    w.keys = absl::GetFlag(FLAGS_keys);
    w.key_size = absl::GetFlag(FLAGS_key_size);
    w.value_size = absl::GetFlag(FLAGS_value_size);
    w.read_percent = absl::GetFlag(FLAGS_read_percent);
    w.progress_in_place = tty;
    s = args.empty() ? engine::RunWorkload(db.get(), w, std::cout, std::cerr)
                     : absl::InvalidArgumentError(
                           "usage: strata workload [flags] (no arguments)");
  } else {
    engine::CommandOptions c;
    c.scan_limit = absl::GetFlag(FLAGS_limit);
    c.hex = absl::GetFlag(FLAGS_hex);
    c.raw = absl::GetFlag(FLAGS_raw);
    c.in = &std::cin;
    c.progress = &std::cerr;
    c.progress_in_place = tty;
    s = engine::RunSimpleCommand(db.get(), command, args, c, std::cout);
  }
  absl::Status closed = db->Close();
  return s.ok() ? closed : s;
}

// The --flags in argv (up to a bare "--") that `command` does not take.
absl::Status CheckCommandFlags(const std::string& command, int argc,
                               char** argv) {
  const std::vector<std::string> allowed = engine::CommandFlags(command);
  if (allowed.empty()) return absl::OkStatus();  // Unknown: Run says so.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    name = name.substr(0, name.find('='));
    const bool known =
        std::find(allowed.begin(), allowed.end(), name) != allowed.end() ||
        (name.rfind("no", 0) == 0 &&
         std::find(allowed.begin(), allowed.end(), name.substr(2)) !=
             allowed.end());
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("strata ", command, " does not take --", name,
                       " (strata help ", command, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Run(const std::string& command,
                 const std::vector<std::string>& args) {
  std::string dir = absl::GetFlag(FLAGS_db);
  dir = tools::ResolveUserPath(dir.empty() ? "strata-data" : dir);
  STRATA_ASSIGN_OR_RETURN(engine::EngineOptions options, Options());
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (command == "repair") {
    if (!args.empty()) {
      return absl::InvalidArgumentError(
          "usage: strata repair [--json] [--salvage_wal]");
    }
    engine::RepairOptions repair;
    repair.salvage_wal = absl::GetFlag(FLAGS_salvage_wal);
    return engine::RunRepair(fs, dir, repair, absl::GetFlag(FLAGS_json),
                             std::cout, &std::cerr, tty);
  }
  if (command == "follow") {
    if (!args.empty()) {
      return absl::InvalidArgumentError(
          "usage: strata follow [--interval=MS] [--polls=N]");
    }
    engine::FollowOptions follow;
    follow.interval = std::chrono::milliseconds(absl::GetFlag(FLAGS_interval));
    follow.polls = absl::GetFlag(FLAGS_polls);
    return engine::RunFollow(fs, dir, follow, std::cout, std::cerr);
  }
  // Commands that only read open read-only: they create nothing, work on
  // a read-only mount, and a missing database is NotFound.
  options.read_only = engine::IsReadOnlyCommand(command);
  if (command == "demo") {
    if (!args.empty()) {
      return absl::InvalidArgumentError("usage: strata demo [--ops=N]");
    }
    engine::DemoOptions demo;
    if (absl::GetFlag(FLAGS_ops) != 0)
      demo.operations = absl::GetFlag(FLAGS_ops);
    demo.value_size = absl::GetFlag(FLAGS_value_size);
    demo.progress_in_place = tty;
    return engine::RunDemo(fs, dir, options, demo, std::cout, std::cerr);
  }
  return RunOnEngine(fs, dir, options, command, args);
}

}  // namespace

int main(int argc, char** argv) {
  if (tools::WantsHelp(argc, argv)) return PrintHelp(argc, argv);
  if (absl::Status s = tools::CheckFlags(argc, argv); !s.ok()) {
    return tools::ReportError("strata", s);
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    return tools::ReportError(
        "strata", absl::InvalidArgumentError(
                      "no command; one of demo, put, get, delete, scan, "
                      "flush, compact, stats, check, checkpoint, follow, "
                      "repair, workload "
                      "(--help for more)"));
  }
  if (absl::Status s = CheckCommandFlags(positional[1], argc, argv); !s.ok()) {
    return tools::ReportError("strata", s);
  }
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (absl::Status s = Run(positional[1], args); !s.ok()) {
    return tools::ReportError("strata", s);
  }
  return tools::kExitOk;
}
