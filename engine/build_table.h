// Building a table: a memtable or a compaction's merge written to
// sst/NNNNNN.sst, synced with its directory entry, and described by the
// manifest::TableMeta an edit adds (MetaFromProperties: the one mapping from
// a table's properties block to what the manifest records, shared by
// flushes, compactions and repair).
//
// A table is written under its final name: until an edit names it the
// manifest does not, and a crash leaves an orphan that the next open deletes
// (engine/recovery.h).
//
// Thread-safety: a TableBuilder is immutable and safe for concurrent use;
// the TableWriters it makes are not.

#ifndef STRATA_ENGINE_BUILD_TABLE_H_
#define STRATA_ENGINE_BUILD_TABLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/compaction.h"
#include "engine/memtable.h"
#include "io/file_system.h"
#include "manifest/table_meta.h"
#include "sstable/properties.h"
#include "sstable/table_writer.h"

namespace strata::engine {

// What the manifest records of table `number`, from its properties.
manifest::TableMeta MetaFromProperties(uint64_t number,
                                       const sstable::TableProperties& p,
                                       uint32_t level);

// Writes every entry and range tombstone of `mem` to `writer`.
[[nodiscard]] absl::Status AddMemTable(const MemTable& mem,
                                       sstable::TableWriter* writer);

class TableBuilder {
 public:
  // Microseconds since the Unix epoch.
  using ClockFn = std::function<int64_t()>;

  // `fs` must outlive this object. Tables are stamped with `now_micros()`
  // (TableProperties::created_micros) unless it is empty.
  TableBuilder(io::FileSystem* fs, std::string sst_dir,
               sstable::TableWriterOptions table, CompactionOptions tiers,
               ClockFn now_micros = {});

  std::string TablePath(uint64_t number) const;
  // The builder's clock (0 if it has none).
  int64_t Now() const { return now_micros_ ? now_micros_() : 0; }

  // A writer for a new table `number`, in a file it creates.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sstable::TableWriter>> Create(
      uint64_t number) const;
  // Finishes (writes the footer and syncs) the table `writer` writes, and,
  // unless `entry_durable`, syncs its directory entry: the table is durable
  // before the edit naming it is committed. Its level is its size tier.
  [[nodiscard]] absl::StatusOr<manifest::TableMeta> Finish(
      uint64_t number, sstable::TableWriter* writer, bool entry_durable) const;
  // Writes every entry of `mem` to table `number` and finishes it: into
  // `made_ahead` if set (an empty file whose directory entry is durable,
  // engine/table_numbers.h), else into a file it creates.
  [[nodiscard]] absl::StatusOr<manifest::TableMeta> FromMemTable(
      uint64_t number, std::unique_ptr<io::WritableFile> made_ahead,
      const MemTable& mem) const;

 private:
  io::FileSystem* const fs_;
  const std::string sst_dir_;
  const sstable::TableWriterOptions table_;
  const CompactionOptions tiers_;
  const ClockFn now_micros_;

  void Stamp(sstable::TableWriter* writer) const;
};

}  // namespace strata::engine

#endif  // STRATA_ENGINE_BUILD_TABLE_H_
