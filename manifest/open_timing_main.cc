// open_timing: times Manifest::Open from outside, in a fresh process, as a
// user's open meets it (page faults of a new heap included).
//
//   open_timing --make=TABLES DIR   writes a manifest of TABLES live tables
//   open_timing DIR                 opens it and prints the time
//
// bazel run -c opt --config=opt //manifest:open_timing -- --make=1000000 /d/m

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "io/posix_file_system.h"
#include "manifest/bench_state.h"
#include "manifest/manifest.h"
#include "manifest/snapshot.h"

namespace {

// The process's resident memory (/proc/self/statm), in bytes.
uint64_t ResidentBytes() {
  unsigned long size = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<uint64_t>(resident) * sysconf(_SC_PAGESIZE);
}

int Make(uint64_t tables, const std::string& dir) {
  strata::io::FileSystem* fs = strata::io::PosixFileSystem();
  {
    auto m = strata::manifest::Manifest::Open(fs, dir);
    if (!m.ok()) return 1;
  }
  return strata::manifest::WriteSnapshot(
             fs, dir, 1, strata::manifest::StateWithTables(tables))
                 .ok()
             ? 0
             : 1;
}

constexpr char kUsage[] =
    "usage: open_timing [--make=TABLES] DIR\n"
    "  open_timing --make=TABLES DIR  writes a manifest of TABLES live tables\n"
    "  open_timing DIR                opens it and prints the time\n";

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    // Any other flag but --make is a usage error, never a directory name.
    if (arg.rfind("-", 0) == 0 && arg.rfind("--make=", 0) != 0) {
      std::fprintf(stderr, "open_timing: unknown flag %s\n%s", arg.c_str(),
                   kUsage);
      return 2;
    }
  }
  uint64_t tables = 0;
  if (argc == 3 && absl::SimpleAtoi(std::string(argv[1]).substr(7), &tables) &&
      std::string(argv[1]).rfind("--make=", 0) == 0) {
    return Make(tables, argv[2]);
  }
  if (argc != 2 || std::string(argv[1]).rfind("-", 0) == 0) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const uint64_t rss_before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  auto m =
      strata::manifest::Manifest::Open(strata::io::PosixFileSystem(), argv[1]);
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  if (!m.ok()) {
    std::fprintf(stderr, "open_timing: %s\n", m.status().ToString().c_str());
    return 1;
  }
  const size_t live = (*m)->current()->tables.size();
  std::printf(
      "open: %.1f ms, %zu live tables, %.1f resident bytes each\n", ms, live,
      live == 0 ? 0.0
                : static_cast<double>(ResidentBytes() - rss_before) / live);
  // Exit without freeing the state, as a benchmark of open alone.
  std::fflush(stdout);
  std::_Exit(0);
}
