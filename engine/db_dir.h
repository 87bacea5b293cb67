// What a database directory holds, judged before anything in it is touched:
// Engine::Open creates a database only where there is none and nothing
// else, and refuses, with nothing changed on disk, a directory that holds
// files Strata did not write or data without a manifest (docs/engine.md,
// "Creating, opening read-only, and repairing").
//
// Strata's names in a database directory: LOCK, wal/NNNNNN.log,
// sst/NNNNNN.sst (and sst/NNNNNN.sst.tmp of older versions), the manifest's
// files in manifest/, repair's lost/, and a checkpoint's CHECKPOINT. A
// database's wal/ and sst/ are not listed (open costs no scan of a million
// table names).

#ifndef STRATA_ENGINE_DB_DIR_H_
#define STRATA_ENGINE_DB_DIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "io/file_system.h"

namespace strata::engine {

inline constexpr char kLockFile[] = "LOCK";
inline constexpr char kWalDir[] = "wal";
inline constexpr char kSstDir[] = "sst";
inline constexpr char kManifestDir[] = "manifest";
inline constexpr char kLostDir[] = "lost";
// In a copy made by Engine::Checkpoint: its source and LSN, as text.
inline constexpr char kCheckpointFile[] = "CHECKPOINT";

struct DbDirContents {
  enum class Kind {
    kMissing,   // No such directory.
    kEmpty,     // Nothing, or only Strata's empty subdirectories and LOCK.
    kDatabase,  // A manifest (a snapshot or a log in manifest/).
    kDataWithoutManifest,  // Strata's data files, and no manifest.
    kForeign,              // Anything Strata does not write.
  };
  Kind kind = Kind::kMissing;
  // kForeign: the foreign files; kDataWithoutManifest: the data files;
  // kDatabase: files Strata did not write beside its subdirectories and in
  // manifest/, which it leaves alone.
  std::vector<std::string> found;
};

// Lists `dir` and its subdirectories; changes nothing.
[[nodiscard]] absl::StatusOr<DbDirContents> InspectDbDir(
    io::FileSystem* fs, const std::string& dir);

// The refusal an open of `dir` meets, given its contents: OK for a
// database, NotFound for a missing or empty directory (the caller creates
// one there if it may), FailedPrecondition for foreign files, DataLoss for
// data without a manifest.
[[nodiscard]] absl::Status DbDirRefusal(const std::string& dir,
                                        const DbDirContents& contents);

// What an open asks of the directory (EngineOptions' fields of the names).
struct OpenIntent {
  bool create_if_missing = true;
  bool error_if_exists = false;
  bool read_only = false;
};

// Judges `dir` for an open, changing nothing: OK if the open may go on (a
// database, or a missing or empty directory it may create a database in),
// else the refusal, which names the directory and why. For a database,
// sets *foreign to the files beside it that Strata did not write; sets
// *is_database (if given) to whether `dir` holds one.
[[nodiscard]] absl::Status CheckDbDirForOpen(io::FileSystem* fs,
                                             const std::string& dir,
                                             const OpenIntent& intent,
                                             std::vector<std::string>* foreign,
                                             bool* is_database = nullptr);

// The names and sizes in `dir`'s manifest/ and wal/: a reader beside a live
// writer compares two of these to tell a writer moving from damage that
// stays put. Changes nothing.
std::string DbDirFingerprint(io::FileSystem* fs, const std::string& dir);

}  // namespace strata::engine

#endif  // STRATA_ENGINE_DB_DIR_H_
