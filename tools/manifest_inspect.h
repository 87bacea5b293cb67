// Renders a manifest directory without changing it: the state it recovers
// to and every edit in its logs, for people (text) or scripts (JSON), with
// tables filtered by an RE2 pattern on their keys. And a check that
// verifies a manifest directory. //tools:manifest_dump and
// //tools:manifest_check are main()s over these.

#ifndef STRATA_TOOLS_MANIFEST_INSPECT_H_
#define STRATA_TOOLS_MANIFEST_INSPECT_H_

#include <string>

#include "absl/status/status.h"
#include "io/file_system.h"
#include "manifest/edit.h"

namespace strata::tools {

struct ManifestDumpOptions {
  bool json = false;
  // Tables (in the state and in edits) whose smallest or largest key this
  // RE2 pattern partially matches. Empty: all.
  std::string filter;
};

// Appends the rendering of the manifest in `dir` to `*out`. The manifest's
// own error if it does not load.
[[nodiscard]] absl::Status DumpManifest(io::FileSystem* fs,
                                        const std::string& dir,
                                        const ManifestDumpOptions& options,
                                        std::string* out);

// Verifies the manifest in `dir` as Manifest::Open would, changing nothing:
// OK with a one-line summary in `*summary`, or the error. A torn tail or a
// damaged newest snapshot that Open would repair is reported in the summary.
// One edit as a JSON object on one line: {"sequence":N,"ops":[...]}, each
// op as `manifest_dump --json` shows it.
std::string EditJson(const manifest::Edit& edit);

[[nodiscard]] absl::Status CheckManifest(io::FileSystem* fs,
                                         const std::string& dir,
                                         std::string* summary);

}  // namespace strata::tools

#endif  // STRATA_TOOLS_MANIFEST_INSPECT_H_
