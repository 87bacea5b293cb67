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
  t.entries = p.entries;
  t.tombstones = p.tombstones;
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
                           CompactionOptions tiers)
    : fs_(fs),
      sst_dir_(std::move(sst_dir)),
      table_(std::move(table)),
      tiers_(tiers) {}

std::string TableBuilder::TablePath(uint64_t number) const {
  return io::JoinPath(sst_dir_, sstable::TableFileName(number));
}

absl::StatusOr<std::unique_ptr<sstable::TableWriter>> TableBuilder::Create(
    uint64_t number) const {
  return sstable::TableWriter::Create(fs_, TablePath(number), table_);
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
  absl::Status s;
  mem.ForEach([&](const sstable::Entry& e) {
    if (s.ok()) s = writer->Add(e);
  });
  STRATA_RETURN_IF_ERROR(s);
  return Finish(number, writer.get(), entry_durable);
}

}  // namespace strata::engine
