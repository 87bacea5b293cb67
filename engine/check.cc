#include "engine/check.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/status_macros.h"
#include "sstable/format.h"
#include "sstable/table_reader.h"
#include "wal/format.h"

namespace strata::engine {
namespace {

absl::Status CheckTable(io::FileSystem* fs, const std::string& path,
                        const manifest::TableMeta& t) {
  absl::StatusOr<uint64_t> size = fs->GetFileSize(path);
  if (!size.ok()) {
    return absl::DataLossError(absl::StrCat(
        "engine: table listed by the manifest: ", size.status().message()));
  }
  if (*size != t.file_size) {
    return absl::DataLossError(
        absl::StrFormat("engine: %s is %d bytes; the manifest records %d", path,
                        *size, t.file_size));
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<sstable::TableReader> table,
                          sstable::TableReader::Open(fs, path));
  if (table->properties().file_checksum != t.checksum) {
    return absl::DataLossError(absl::StrFormat(
        "engine: %s has checksum %08x; the manifest records %08x", path,
        table->properties().file_checksum, t.checksum));
  }
  return table->Verify();
}

// Whether segment `wal` exists; OK and false if it was retired meanwhile.
absl::StatusOr<bool> CheckWal(const CheckTarget& target, uint64_t wal) {
  const absl::Status e = target.fs->FileExists(
      io::JoinPath(target.wal_dir, wal::SegmentFileName(wal)));
  if (absl::IsNotFound(e)) {
    // A segment is deleted only after the edit that retires it is applied,
    // so one retired since the state was pinned is listed no more.
    std::shared_ptr<const manifest::State> now = target.current();
    if (now->active_wal != wal && !now->IsFrozen(wal)) return false;
  }
  if (!e.ok()) {
    return absl::DataLossError(absl::StrCat(
        "engine: data-WAL segment listed by the manifest: ", e.message()));
  }
  return true;
}

}  // namespace

absl::StatusOr<CheckReport> CheckFiles(const CheckTarget& target,
                                       const manifest::State& pinned) {
  CheckReport report;
  absl::Status s;
  pinned.tables.ForEach([&](const manifest::TableMeta& t) {
    if (!s.ok()) return;
    s = CheckTable(
        target.fs,
        io::JoinPath(target.sst_dir, sstable::TableFileName(t.number)), t);
    ++report.tables;
    report.table_bytes += t.file_size;
    report.entries += t.entries;
    if (target.progress) target.progress(report.tables, pinned.tables.size());
  });
  STRATA_RETURN_IF_ERROR(s);
  std::vector<uint64_t> wals = pinned.frozen_wals;
  wals.push_back(pinned.active_wal);
  for (uint64_t w : wals) {
    STRATA_ASSIGN_OR_RETURN(const bool present, CheckWal(target, w));
    if (present) ++report.wal_segments;
  }
  return report;
}

}  // namespace strata::engine
