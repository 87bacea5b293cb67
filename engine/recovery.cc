#include "engine/recovery.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/write_batch.h"
#include "io/status_macros.h"
#include "re2/re2.h"
#include "wal/format.h"

namespace strata::engine {
namespace {

absl::Status CheckConsecutive(const std::vector<uint64_t>& segments) {
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1) {
      return absl::DataLossError(absl::StrFormat(
          "engine: the manifest lists data-WAL segments %s, not consecutive",
          absl::StrJoin(segments, ",")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReplayedWal> ReplayDataWal(io::FileSystem* fs,
                                          const std::string& wal_dir,
                                          const manifest::State& state,
                                          const WalReplayOptions& options) {
  std::vector<uint64_t> segments = state.frozen_wals;
  segments.push_back(state.active_wal);
  STRATA_RETURN_IF_ERROR(CheckConsecutive(segments));
  wal::ReaderOptions ropts;
  ropts.best_effort = options.best_effort;
  ropts.strict_tail = options.strict_tail;
  ropts.max_record_size = options.max_record_size;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<wal::Reader> reader,
                          wal::Reader::Open(fs, wal_dir, segments, ropts));

  ReplayedWal out;
  out.active = std::make_shared<MemTable>();
  std::map<uint64_t, std::shared_ptr<MemTable>> mems;
  for (uint64_t s : state.frozen_wals) mems[s] = std::make_shared<MemTable>();
  mems[state.active_wal] = out.active;
  absl::string_view record;
  wal::RecordPosition pos;
  DecodedBatch batch;
  while (reader->Next(&record, &pos)) {
    STRATA_RETURN_IF_ERROR(DecodeBatch(record, reader->SegmentPath(pos.segment),
                                       pos.offset, &batch));
    MemTable& mem = *mems[pos.segment];
    for (const sstable::Entry& e : batch.entries) {
      if (e.lsn <= state.last_lsn) {
        ++out.entries_flushed;
      } else {
        mem.Add(e);
      }
    }
    out.lsn = std::max(out.lsn, batch.entries.back().lsn);
    if (pos.segment == state.active_wal) out.active_bytes += record.size();
    ++out.records;
    out.entries += batch.entries.size();
  }
  STRATA_RETURN_IF_ERROR(reader->status());
  out.segments = segments.size();
  out.skipped = reader->skipped();
  out.tail = reader->tail();
  for (uint64_t s : state.frozen_wals) out.frozen.push_back({s, mems[s]});
  return out;
}

absl::Status CheckNoUnnamedWal(io::FileSystem* fs, const std::string& wal_dir,
                               const manifest::State& state) {
  static const RE2* const kWal = new RE2(R"((\d{6,})\.log)");
  absl::StatusOr<std::vector<std::string>> names = fs->ListDir(wal_dir);
  if (absl::IsNotFound(names.status())) return absl::OkStatus();
  STRATA_RETURN_IF_ERROR(names.status());
  for (const std::string& name : *names) {
    uint64_t n;
    if (!RE2::FullMatch(name, *kWal, &n) || n <= state.active_wal ||
        state.IsFrozen(n)) {
      continue;
    }
    const std::string path = io::JoinPath(wal_dir, name);
    const uint64_t size = fs->GetFileSize(path).value_or(0);
    if (size > wal::SegmentHeader::kSize) {
      return absl::DataLossError(absl::StrFormat(
          "engine: %s holds %d bytes of records past the active segment %d, "
          "but no manifest edit names it: an edit was lost (run `strata "
          "repair`, or open with best_effort); nothing was changed",
          path, size - wal::SegmentHeader::kSize, state.active_wal));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> DeleteWalOrphans(
    io::FileSystem* fs, const std::string& wal_dir,
    const manifest::State& state) {
  static const RE2* const kWal = new RE2(R"((\d{6,})\.log)");
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(wal_dir));
  std::vector<std::string> deleted;
  for (const std::string& name : names) {
    uint64_t n;
    if (!RE2::FullMatch(name, *kWal, &n) || n == state.active_wal ||
        state.IsFrozen(n)) {
      continue;
    }
    const std::string path = io::JoinPath(wal_dir, name);
    if (fs->RemoveFile(path).ok()) deleted.push_back(path);
  }
  return deleted;
}

absl::StatusOr<std::vector<std::string>> DeleteTableOrphans(
    io::FileSystem* fs, const std::string& sst_dir,
    const manifest::State& state) {
  // A number, the suffix, and the ".tmp" of older versions' temporaries.
  static const RE2* const kTable = new RE2(R"((\d{6,})\.sst(\.tmp)?)");
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(sst_dir));
  std::vector<std::string> deleted;
  for (const std::string& name : names) {
    uint64_t n;
    std::string temp;
    if (!RE2::FullMatch(name, *kTable, &n, &temp) ||
        n >= state.next_table_number ||
        (temp.empty() && state.tables.count(n) > 0)) {
      continue;
    }
    const std::string path = io::JoinPath(sst_dir, name);
    if (fs->RemoveFile(path).ok()) deleted.push_back(path);
  }
  return deleted;
}

}  // namespace strata::engine
