#include "engine/db_dir.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "io/status_macros.h"
#include "re2/re2.h"

namespace strata::engine {
namespace {

// How many paths a message names before it says "and N more".
constexpr size_t kNamed = 5;

// What one subdirectory holds, by Strata's names for it.
struct SubdirScan {
  std::vector<std::string> ours;     // Names Strata writes there.
  std::vector<std::string> foreign;  // Anything else.
};

absl::StatusOr<SubdirScan> ScanSubdir(io::FileSystem* fs,
                                      const std::string& path,
                                      const RE2& ours) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(path));
  SubdirScan scan;
  for (const std::string& name : names) {
    (RE2::FullMatch(name, ours) ? scan.ours : scan.foreign)
        .push_back(io::JoinPath(path, name));
  }
  return scan;
}

void Note(std::vector<std::string>* list, std::vector<std::string> more) {
  list->insert(list->end(), more.begin(), more.end());
}

std::string Describe(const std::vector<std::string>& paths) {
  if (paths.size() <= kNamed) return absl::StrJoin(paths, ", ");
  return absl::StrCat(
      absl::StrJoin(paths.begin(), paths.begin() + kNamed, ", "), " and ",
      paths.size() - kNamed, " more");
}

// Whether manifest/ at `path` holds a manifest; its foreign files (or
// `path` itself, if it is not a directory) go to *foreign.
bool ScanManifestDir(io::FileSystem* fs, const std::string& path,
                     std::vector<std::string>* foreign) {
  static const RE2* const kManifestName =
      new RE2(R"(\d{6,}\.(snapshot|log|snapshot\.tmp))");
  // A temporary snapshot alone is a checkpoint that never completed; only
  // a snapshot or a log makes a manifest.
  static const RE2* const kManifestFile = new RE2(R"(\d{6,}\.(snapshot|log))");
  absl::StatusOr<SubdirScan> scan = ScanSubdir(fs, path, *kManifestName);
  if (!scan.ok()) {
    foreign->push_back(path);  // A file where Strata keeps a directory.
    return false;
  }
  Note(foreign, std::move(scan->foreign));
  bool has_manifest = false;
  for (const std::string& file : scan->ours) {
    has_manifest |=
        RE2::FullMatch(std::string(io::BaseName(file)), *kManifestFile);
  }
  return has_manifest;
}

// Scans the data subdirectories (wal/, sst/, lost/) found in `dir`: their
// Strata files go to *data, anything else to *foreign.
void ScanDataDirs(io::FileSystem* fs, const std::string& dir,
                  const std::vector<std::string>& names,
                  std::vector<std::string>* data,
                  std::vector<std::string>* foreign) {
  static const RE2* const kWalName = new RE2(R"(\d{6,}\.log)");
  static const RE2* const kSstName = new RE2(R"(\d{6,}\.sst(\.tmp)?)");
  static const RE2* const kAnything = new RE2(R"(.*)");
  for (const std::string& name : names) {
    const std::string path = io::JoinPath(dir, name);
    const RE2& pattern = name == kWalDir   ? *kWalName
                         : name == kSstDir ? *kSstName
                                           : *kAnything;
    absl::StatusOr<SubdirScan> scan = ScanSubdir(fs, path, pattern);
    if (!scan.ok()) {
      foreign->push_back(path);
      continue;
    }
    Note(foreign, std::move(scan->foreign));
    Note(data, std::move(scan->ours));
  }
}

// A file system's root holds `lost+found` (ext2/3/4 make it at mkfs), so a
// database on a mount of its own has one beside it. Empty, it is nobody's
// data; one that fsck filled is left to be looked at, and refused.
bool IsEmptyLostAndFound(io::FileSystem* fs, const std::string& dir,
                         const std::string& name) {
  if (name != "lost+found") return false;
  absl::StatusOr<std::vector<std::string>> inside =
      fs->ListDir(io::JoinPath(dir, name));
  return inside.ok() && inside->empty();
}

}  // namespace

absl::StatusOr<DbDirContents> InspectDbDir(io::FileSystem* fs,
                                           const std::string& dir) {
  DbDirContents out;
  absl::StatusOr<std::vector<std::string>> names = fs->ListDir(dir);
  if (absl::IsNotFound(names.status())) return out;
  if (!names.ok()) return names.status();
  std::vector<std::string> data, foreign, data_dirs;
  bool has_manifest = false;
  for (const std::string& name : *names) {
    if (name == kLockFile || name == kCheckpointFile) continue;
    if (IsEmptyLostAndFound(fs, dir, name)) continue;
    if (name == kManifestDir) {
      has_manifest |= ScanManifestDir(fs, io::JoinPath(dir, name), &foreign);
    } else if (name == kWalDir || name == kSstDir || name == kLostDir) {
      data_dirs.push_back(name);
    } else {
      foreign.push_back(io::JoinPath(dir, name));
    }
  }
  if (has_manifest) {
    // A database: its wal/ and sst/ are not listed here (they may hold a
    // million names); what else is there is left alone.
    out.kind = DbDirContents::Kind::kDatabase;
    out.found = std::move(foreign);
    return out;
  }
  ScanDataDirs(fs, dir, data_dirs, &data, &foreign);
  if (!foreign.empty()) {
    out.kind = DbDirContents::Kind::kForeign;
    out.found = std::move(foreign);
  } else if (!data.empty()) {
    out.kind = DbDirContents::Kind::kDataWithoutManifest;
    out.found = std::move(data);
  } else {
    out.kind = DbDirContents::Kind::kEmpty;
  }
  return out;
}

absl::Status DbDirRefusal(const std::string& dir,
                          const DbDirContents& contents) {
  using Kind = DbDirContents::Kind;
  switch (contents.kind) {
    case Kind::kDatabase:
      return absl::OkStatus();
    case Kind::kMissing:
    case Kind::kEmpty:
      return absl::NotFoundError(absl::StrCat("engine: no database at ", dir));
    case Kind::kForeign:
      return absl::FailedPreconditionError(
          absl::StrCat("engine: ", dir, " is not a Strata database: it holds ",
                       Describe(contents.found), "; nothing was changed"));
    case Kind::kDataWithoutManifest:
      return absl::DataLossError(absl::StrCat(
          "engine: ", dir, " holds data but no manifest (",
          Describe(contents.found),
          "); run `strata repair` to rebuild it; nothing was changed"));
  }
  return absl::InternalError("engine: unknown directory kind");
}

absl::Status CheckDbDirForOpen(io::FileSystem* fs, const std::string& dir,
                               const OpenIntent& intent,
                               std::vector<std::string>* foreign,
                               bool* is_database) {
  STRATA_ASSIGN_OR_RETURN(DbDirContents contents, InspectDbDir(fs, dir));
  const absl::Status refusal = DbDirRefusal(dir, contents);
  if (is_database != nullptr) {
    *is_database = contents.kind == DbDirContents::Kind::kDatabase;
  }
  if (refusal.ok()) *foreign = contents.found;
  const bool writes = !intent.read_only;
  if (refusal.ok() && intent.error_if_exists && writes) {
    return absl::AlreadyExistsError(absl::StrCat(
        "engine: a database exists at ", dir, " (error_if_exists is set)"));
  }
  if (absl::IsNotFound(refusal) && writes) {
    if (intent.create_if_missing) return absl::OkStatus();  // Created next.
    return absl::NotFoundError(
        absl::StrCat(refusal.message(), " (create_if_missing is off)"));
  }
  return refusal;
}

std::string DbDirFingerprint(io::FileSystem* fs, const std::string& dir) {
  std::string out;
  for (absl::string_view sub : {kManifestDir, kWalDir}) {
    const std::string path = io::JoinPath(dir, sub);
    absl::StatusOr<std::vector<std::string>> names = fs->ListDir(path);
    if (!names.ok()) continue;
    for (const std::string& name : *names) {
      absl::StrAppend(&out, sub, "/", name, ":",
                      fs->GetFileSize(io::JoinPath(path, name)).value_or(0),
                      "\n");
    }
  }
  return out;
}

}  // namespace strata::engine
