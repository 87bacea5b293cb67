// Renders a data WAL — the segments of a DB's wal/ directory — for people
// (text) or scripts (JSON): every record with its segment and offset, and
// the write batch it carries (docs/engine_format.md), then where the valid
// data ends. //tools:wal_dump is a main() over this.

#ifndef STRATA_TOOLS_WAL_INSPECT_H_
#define STRATA_TOOLS_WAL_INSPECT_H_

#include <string>

#include "absl/status/status.h"
#include "io/file_system.h"

namespace strata::tools {

struct WalDumpOptions {
  bool json = false;
  // Skip damaged regions (each reported) instead of stopping at the first.
  bool best_effort = false;
  // Print value bytes too, not only their sizes.
  bool values = false;
};

// Appends the rendering of the segments in `dir` to `*out`. The reader's or
// decoder's error (DataLoss naming the segment and offset) if the log is
// damaged; what was rendered before it stays in *out.
[[nodiscard]] absl::Status DumpWal(io::FileSystem* fs, const std::string& dir,
                                   const WalDumpOptions& options,
                                   std::string* out);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_WAL_INSPECT_H_
