#include "engine/build_table.h"

#include <utility>

#include "io/status_macros.h"
#include "sstable/format.h"

namespace strata::engine {

manifest::TableMeta MetaFromProperties(uint64_t number,
                                       const sstable::TableProperties& p,
                                       uint32_t level) {
  manifest::TableMeta t;
  t.number = number;
  t.file_size = p.file_size;
  // Range tombstones count as entries and as tombstones: what tombstone
  // compaction weighs (engine/compaction.h).
  t.entries = p.entries + p.range_tombstones;
  t.tombstones = p.tombstones + p.range_tombstones;
  t.smallest_key = p.smallest_key;
  t.largest_key = p.largest_key;
  t.smallest_lsn = p.smallest_lsn;
  t.largest_lsn = p.largest_lsn;
  t.level = level;
  t.checksum = p.file_checksum;
  return t;
}

TableBuilder::TableBuilder(io::FileSystem* fs, std::string sst_dir,
                           sstable::TableWriterOptions table,
                           CompactionOptions tiers, ClockFn now_micros)
    : fs_(fs),
      sst_dir_(std::move(sst_dir)),
      table_(std::move(table)),
      tiers_(tiers),
      now_micros_(std::move(now_micros)) {}

void TableBuilder::Stamp(sstable::TableWriter* writer) const {
  if (now_micros_) writer->set_created_micros(now_micros_());
}

absl::Status AddMemTable(const MemTable& mem, sstable::TableWriter* writer) {
  absl::Status s;
  mem.ForEach([&](const sstable::Entry& e) {
    if (s.ok()) s = writer->Add(e);
  });
  STRATA_RETURN_IF_ERROR(s);
  for (const sstable::RangeTombstone& t : mem.RangeTombstones(UINT64_MAX)) {
    STRATA_RETURN_IF_ERROR(writer->AddRangeTombstone(t.start, t.end, t.lsn));
  }
  return absl::OkStatus();
}

std::string TableBuilder::TablePath(uint64_t number) const {
  return io::JoinPath(sst_dir_, sstable::TableFileName(number));
}

absl::StatusOr<std::unique_ptr<sstable::TableWriter>> TableBuilder::Create(
    uint64_t number) const {
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<sstable::TableWriter> writer,
      sstable::TableWriter::Create(fs_, TablePath(number), table_));
  Stamp(writer.get());
  return writer;
}

absl::StatusOr<manifest::TableMeta> TableBuilder::Finish(
    uint64_t number, sstable::TableWriter* writer, bool entry_durable) const {
  STRATA_ASSIGN_OR_RETURN(const sstable::TableProperties props,
                          writer->Finish());
  if (!entry_durable) STRATA_RETURN_IF_ERROR(fs_->SyncDir(sst_dir_));
  return MetaFromProperties(number, props, TierOf(props.file_size, tiers_));
}

absl::StatusOr<manifest::TableMeta> TableBuilder::FromMemTable(
    uint64_t number, std::unique_ptr<io::WritableFile> made_ahead,
    const MemTable& mem) const {
  const bool entry_durable = made_ahead != nullptr;
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<sstable::TableWriter> writer,
      entry_durable ? sstable::TableWriter::Create(std::move(made_ahead),
                                                   TablePath(number), table_)
                    : Create(number));
  Stamp(writer.get());
  STRATA_RETURN_IF_ERROR(AddMemTable(mem, writer.get()));
  return Finish(number, writer.get(), entry_durable);
}

}  // namespace strata::engine
