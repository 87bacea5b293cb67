// Renders an SSTable for people (text) or scripts (JSON): its properties and
// entries, optionally only the entries whose key matches an RE2 pattern,
// optionally after a full Verify(). //tools:sst_dump is a main() over this.

#ifndef STRATA_TOOLS_TABLE_DUMP_H_
#define STRATA_TOOLS_TABLE_DUMP_H_

#include <string>

#include "absl/status/status.h"
#include "sstable/table_reader.h"

namespace strata::tools {

struct TableDumpOptions {
  bool json = false;
  // RE2 pattern; entries whose key it does not partially match are left
  // out. Empty: all entries.
  std::string filter;
  // Run TableReader::Verify() first; its error is the result.
  bool verify = false;
  // Print properties only.
  bool properties_only = false;
};

// Appends the rendering of `table` to `*out`. InvalidArgument for a bad
// filter; the table's DataLoss if reading or verifying fails (what was
// rendered before the failure stays in *out).
[[nodiscard]] absl::Status DumpTable(const sstable::TableReader& table,
                                     const TableDumpOptions& options,
                                     std::string* out);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_TABLE_DUMP_H_
