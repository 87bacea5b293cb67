// Engine::Checkpoint: an openable copy of the database as of one LSN, taken
// while writes, flushes and compactions go on (docs/engine.md,
// "Checkpoints").
//
// The copy is built in DEST.checkpoint-tmp and renamed to DEST once every
// file and directory in it is durable:
//   CHECKPOINT          first: the source and the LSN, as text (it also
//                       marks the temporary directory as Strata's, so that
//                       a later checkpoint may remove what a crash left)
//   sst/NNNNNN.sst      every live table, hard-linked (copied across file
//                       systems); tables are never written after they are
//                       made, in the source or in the copy
//   wal/NNNNNN.log      one new segment: the records above the tables' LSN
//                       and at or below the checkpoint's, copied from the
//                       memtables that hold them (never a link: segments
//                       are appended to)
//   manifest/           one snapshot of the live tables, that segment
//                       active, no frozen segment

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/db_dir.h"
#include "engine/engine_impl.h"
#include "engine/write_batch.h"
#include "io/status_macros.h"
#include "manifest/snapshot.h"
#include "re2/re2.h"
#include "sstable/format.h"
#include "wal/format.h"

namespace strata::engine {
namespace {

constexpr char kTempSuffix[] = ".checkpoint-tmp";
// Records of the copied WAL are cut at about this size.
constexpr size_t kCheckpointRecordBytes = size_t{1} << 20;

// Removes what an interrupted checkpoint left at `temp`: only a directory
// whose CHECKPOINT file says it is Strata's (or an empty one), and only the
// names a checkpoint writes. Anything else there is refused.
absl::Status RemoveCheckpointLeftover(io::FileSystem* fs,
                                      const std::string& temp) {
  absl::StatusOr<std::vector<std::string>> top = fs->ListDir(temp);
  if (!top.ok()) return top.status();
  const bool ours =
      std::find(top->begin(), top->end(), kCheckpointFile) != top->end();
  if (!top->empty() && !ours) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "engine: checkpoint: %s exists and was not made by a checkpoint "
        "(it has no %s file); remove it or choose another destination",
        temp, kCheckpointFile));
  }
  static const RE2* const kOurs =
      new RE2(R"(\d{6,}\.(sst|log|snapshot)(\.tmp)?)");
  for (absl::string_view sub : {kSstDir, kWalDir, kManifestDir}) {
    const std::string path = io::JoinPath(temp, sub);
    absl::StatusOr<std::vector<std::string>> names = fs->ListDir(path);
    if (absl::IsNotFound(names.status())) continue;
    STRATA_RETURN_IF_ERROR(names.status());
    for (const std::string& name : *names) {
      if (!RE2::FullMatch(name, *kOurs)) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "engine: checkpoint: %s holds %s, which a checkpoint does not "
            "write; remove it by hand",
            temp, io::JoinPath(path, name)));
      }
      STRATA_RETURN_IF_ERROR(fs->RemoveFile(io::JoinPath(path, name)));
    }
    STRATA_RETURN_IF_ERROR(fs->RemoveDir(path));
  }
  if (ours) {
    STRATA_RETURN_IF_ERROR(fs->RemoveFile(io::JoinPath(temp, kCheckpointFile)));
  }
  STRATA_RETURN_IF_ERROR(fs->RemoveDir(temp));
  return fs->SyncDir(io::DirName(temp));
}

// Copies `from` to the new file `to`, synced.
absl::StatusOr<uint64_t> CopyFileSynced(io::FileSystem* fs,
                                        const std::string& from,
                                        const std::string& to) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::SequentialFile> in,
                          fs->NewSequentialFile(from));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> out,
                          fs->NewExclusiveFile(to));
  std::string scratch(size_t{1} << 20, '\0');
  uint64_t copied = 0;
  while (true) {
    absl::string_view got;
    STRATA_RETURN_IF_ERROR(in->Read(scratch.size(), scratch.data(), &got));
    if (got.empty()) break;
    STRATA_RETURN_IF_ERROR(out->Append(got));
    copied += got.size();
  }
  STRATA_RETURN_IF_ERROR(out->Sync());
  STRATA_RETURN_IF_ERROR(out->Close());
  return copied;
}

}  // namespace

absl::StatusOr<CheckpointReport> EngineImpl::Checkpoint(
    const std::string& requested) {
  // "backup/" names the directory "backup": its temporary sibling must not
  // land inside it.
  std::string dest = requested;
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  const auto start = std::chrono::steady_clock::now();
  if (dest.empty()) {
    return absl::InvalidArgumentError("engine: checkpoint: no destination");
  }
  if (absl::Status exists = fs_->FileExists(dest); exists.ok()) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "engine: checkpoint: %s exists; a checkpoint makes a new directory",
        dest));
  } else if (!absl::IsNotFound(exists)) {
    return exists;
  }
  const std::string temp = dest + kTempSuffix;
  if (fs_->FileExists(temp).ok()) {
    STRATA_RETURN_IF_ERROR(RemoveCheckpointLeftover(fs_, temp));
  }
  // The tables and memtables of one moment: the version pins the tables
  // (a compaction meanwhile deletes none of them until it is dropped), and
  // the memtables hold every record above the tables' LSN.
  const ReadView view = TakeReadView();
  if (view.version == nullptr) {
    return absl::FailedPreconditionError("engine: closed");
  }
  const manifest::State& source = *view.version->state;
  CheckpointReport report;
  report.lsn = view.lsn;

  STRATA_RETURN_IF_ERROR(fs_->CreateDir(temp));
  STRATA_RETURN_IF_ERROR(io::WriteFileSynced(
      fs_, io::JoinPath(temp, kCheckpointFile),
      absl::StrFormat("strata checkpoint\nsource %s\nlsn %d\n", dir_,
                      view.lsn)));
  const std::string sst = io::JoinPath(temp, kSstDir);
  const std::string wal = io::JoinPath(temp, kWalDir);
  const std::string man = io::JoinPath(temp, kManifestDir);
  for (const std::string& d : {sst, wal, man}) {
    STRATA_RETURN_IF_ERROR(fs_->CreateDir(d));
  }

  // Tables: links, or copies where links cannot be made.
  absl::Status status;
  bool can_link = true;
  source.tables.ForEach([&](const manifest::TableMeta& t) {
    if (!status.ok()) return;
    const std::string from = tables_.TablePath(t.number);
    const std::string to = io::JoinPath(sst, sstable::TableFileName(t.number));
    ++report.tables;
    report.table_bytes += t.file_size;
    if (can_link) {
      absl::Status linked = fs_->LinkFile(from, to);
      if (linked.ok()) {
        ++report.tables_linked;
        return;
      }
      if (!absl::IsUnimplemented(linked)) {
        status = std::move(linked);
        return;
      }
      can_link = false;
    }
    absl::StatusOr<uint64_t> copied = CopyFileSynced(fs_, from, to);
    if (!copied.ok()) {
      status = copied.status();
      return;
    }
    ++report.tables_copied;
  });
  STRATA_RETURN_IF_ERROR(status);

  // The WAL: every entry above the tables' LSN and at or below the
  // checkpoint's, in LSN order, as records of consecutive LSNs.
  std::vector<OwnedEntry> entries;
  std::vector<std::shared_ptr<MemTable>> mems = view.frozen;
  mems.push_back(view.mem);
  for (const std::shared_ptr<MemTable>& mem : mems) {
    mem->ForEach([&](const sstable::Entry& e) {
      if (e.lsn > source.last_lsn && e.lsn <= view.lsn) {
        entries.push_back(
            {std::string(e.key), e.lsn, e.kind, std::string(e.value)});
      }
    });
    for (const sstable::RangeTombstone& t : mem->RangeTombstones(view.lsn)) {
      if (t.lsn > source.last_lsn) {
        entries.push_back(
            {t.start, t.lsn, sstable::EntryKind::kRangeDelete, t.end});
      }
    }
  }
  std::sort(
      entries.begin(), entries.end(),
      [](const OwnedEntry& a, const OwnedEntry& b) { return a.lsn < b.lsn; });
  std::vector<std::string> records;
  WriteBatch batch;
  uint64_t first = 0;
  auto cut = [&] {
    if (batch.empty()) return;
    records.emplace_back();
    EncodeBatch(batch, first, &records.back());
    batch.Clear();
  };
  for (const OwnedEntry& e : entries) {
    if (!batch.empty() && (e.lsn != first + batch.count() ||
                           batch.payload_bytes() >= kCheckpointRecordBytes)) {
      cut();
    }
    if (batch.empty()) first = e.lsn;
    switch (e.kind) {
      case sstable::EntryKind::kPut:
        batch.Put(e.key, e.value);
        break;
      case sstable::EntryKind::kDelete:
        batch.Delete(e.key);
        break;
      case sstable::EntryKind::kRangeDelete:
        batch.DeleteRange(e.key, e.value);
        break;
    }
  }
  cut();
  report.wal_entries = entries.size();
  report.wal_records = records.size();
  // Numbered as the source's active segment: any number would do in a new
  // directory; this one reads naturally beside the source.
  const uint64_t segment = std::max<uint64_t>(source.active_wal, 1);
  {
    wal::WriterOptions wopts;
    wopts.max_record_size = std::max<uint64_t>(options_.max_batch_bytes,
                                               2 * kCheckpointRecordBytes);
    wopts.max_segment_size = UINT64_MAX;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<wal::Writer> writer,
                            wal::Writer::Create(fs_, wal, segment, wopts));
    std::vector<absl::string_view> views(records.begin(), records.end());
    if (!views.empty()) STRATA_RETURN_IF_ERROR(writer->AppendBatch(views));
    STRATA_RETURN_IF_ERROR(writer->Close());
    report.wal_bytes = writer->stats().bytes;
  }

  // The manifest: one snapshot of exactly the live tables.
  manifest::State state = source;
  state.active_wal = segment;
  state.frozen_wals.clear();
  STRATA_RETURN_IF_ERROR(manifest::WriteSnapshot(fs_, man, 1, state).status());

  // Everything in the temporary directory is durable; then the rename
  // makes the copy appear whole, and the parent's sync keeps it.
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(sst));
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(wal));
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(temp));
  if (fs_->FileExists(dest).ok()) {  // Made meanwhile, by someone else.
    return absl::AlreadyExistsError(absl::StrFormat(
        "engine: checkpoint: %s appeared during the checkpoint; the copy is "
        "left in %s",
        dest, temp));
  }
  STRATA_RETURN_IF_ERROR(fs_->RenameFile(temp, dest));
  STRATA_RETURN_IF_ERROR(fs_->SyncDir(io::DirName(dest)));
  report.duration = std::chrono::steady_clock::now() - start;
  return report;
}

}  // namespace strata::engine
