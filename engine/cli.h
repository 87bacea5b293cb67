// The commands of the `strata` binary, as library calls (engine/strata_main.cc
// only parses flags): each writes its result to `out`, progress to `err`, and
// returns an error for the binary to print as one line.

#ifndef STRATA_ENGINE_CLI_H_
#define STRATA_ENGINE_CLI_H_

#include <chrono>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/engine.h"
#include "engine/repair.h"
#include "io/file_system.h"

namespace strata::engine {

struct DemoOptions {
  uint64_t operations = 300000;
  uint64_t keys = 30000;
  uint64_t batch = 100;  // Operations per write batch.
  size_t value_size = 100;
  uint64_t seed = 42;
  // Progress goes to a terminal: rewrite one line in place ('\r').
  // Otherwise (a log, a pipe) a line is printed at each quarter.
  bool progress_in_place = false;
};

struct WorkloadOptions {
  uint64_t operations = 200000;  // In total, over all threads.
  int threads = 1;
  uint64_t keys = 100000;
  size_t key_size = 16;
  size_t value_size = 100;
  int read_percent = 50;
  uint64_t seed = 1;
  bool progress_in_place = false;  // As in DemoOptions.
};

// Writes enough to force many flushes and several compactions (on top of
// whatever `dir` holds), closes and reopens, verifies every key against an
// in-memory model, and prints a summary.
[[nodiscard]] absl::Status RunDemo(io::FileSystem* fs, const std::string& dir,
                                   EngineOptions options,
                                   const DemoOptions& demo, std::ostream& out,
                                   std::ostream& err);

// Random reads and writes from several threads; prints throughput.
[[nodiscard]] absl::Status RunWorkload(Engine* engine,
                                       const WorkloadOptions& workload,
                                       std::ostream& out, std::ostream& err);

// How RunSimpleCommand takes and shows keys and values.
struct CommandOptions {
  size_t scan_limit = 0;  // scan: most pairs to print (0: all).
  // Keys and values are given in hex, and printed in hex.
  bool hex = false;
  // get: print the value's bytes exactly, with no newline (for a file or a
  // pipe).
  bool raw = false;
  // A value given as "-" is read from here to its end (the binary: stdin),
  // raw bytes whatever `hex` says.
  std::istream* in = nullptr;
  // Progress of compact and check, if set (see DemoOptions).
  std::ostream* progress = nullptr;
  bool progress_in_place = false;
};

// One of put, get, delete, scan, flush, compact, stats, check on an open
// engine, with its positional arguments (scan: [START [END]]). Without
// `hex`, output shows bytes by the one rule of encoding/escaping.h.
// flush and compact say what they did. Wrong arguments are
// InvalidArgument with the command's usage.
[[nodiscard]] absl::Status RunSimpleCommand(
    Engine* engine, const std::string& command,
    const std::vector<std::string>& args, const CommandOptions& options,
    std::ostream& out);

// One line of usage and a few of description for `command`, or for every
// command if it is empty; NotFound for an unknown command.
[[nodiscard]] absl::StatusOr<std::string> CommandHelp(
    const std::string& command);

// The open report and statistics, one "name: value" per line.
void PrintStats(const Engine& engine, std::ostream& out);

// `strata follow`: follows the live primary in `dir` (Engine::OpenFollower)
// and prints to `out`, one JSON object a line as they happen, the state it
// starts from ({"recovered":...}) and each edit the primary commits
// ({"sequence":N,"ops":[...]}, as manifest_dump --json shows an edit),
// catching up every `interval`; `polls` catch-ups, or until killed if 0.
struct FollowOptions {
  std::chrono::milliseconds interval{1000};
  uint64_t polls = 0;
};
[[nodiscard]] absl::Status RunFollow(io::FileSystem* fs, const std::string& dir,
                                     const FollowOptions& options,
                                     std::ostream& out, std::ostream& err);

// The flags `command` takes, beside --db: any other is a usage error.
// Empty for an unknown command.
std::vector<std::string> CommandFlags(const std::string& command);

// Whether `command` only reads: the binary opens the database read-only
// for it (it then works on a read-only mount and never creates anything).
bool IsReadOnlyCommand(const std::string& command);

// One "strata: warning: ..." line on `err` per fact of `report` a user
// should know: a torn tail cut (or, read-only, found and left), a previous
// manifest generation used, damage skipped in best-effort mode, orphans
// deleted, files in the directory Strata did not write.
void PrintOpenWarnings(const OpenReport& report, std::ostream& err);

// `strata repair`: repairs `dir` and prints the report as text or JSON;
// progress goes to `progress`, if set.
[[nodiscard]] absl::Status RunRepair(io::FileSystem* fs, const std::string& dir,
                                     RepairOptions options, bool json,
                                     std::ostream& out,
                                     std::ostream* progress = nullptr,
                                     bool progress_in_place = false);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_CLI_H_
