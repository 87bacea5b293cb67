// TableWriter builds one SSTable (docs/sstable_format.md) from entries given
// in order, and Finish() syncs the file. It writes either to a path it
// creates — a temporary name, which InstallTable() then renames into place
// and syncs the directory, so a crash never leaves a half-written table
// under a live name — or into an empty file the caller made ahead of time
// under a name nothing lists yet (the engine's flush: the edit that names
// the table is what makes it live).
//
// Thread-compatible. Sticky: after a failed write, every call fails.

#ifndef STRATA_SSTABLE_TABLE_WRITER_H_
#define STRATA_SSTABLE_TABLE_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "sstable/bloom.h"
#include "sstable/compression.h"
#include "sstable/format.h"
#include "sstable/properties.h"
#include "sstable/range_tombstones.h"

namespace strata::sstable {

struct TableWriterOptions {
  // A data block is closed once its entries reach this many bytes.
  size_t block_size = 4096;
  // Bits per key of the table's bloom filter (sstable/bloom.h); 0 writes
  // no filter.
  uint32_t bloom_bits_per_key = 10;
  // How data blocks are stored (sstable/compression.h). kNone writes a
  // format-version-1 table; the others version 2, whose blocks each say
  // how they are stored: one that would not shrink by an eighth is stored
  // as it is.
  Compression compression = Compression::kNone;
  // The Zstandard level (1 fastest … 19), for kZstd.
  int zstd_level = 3;
};

class TableWriter {
 public:
  // Creates the table file at `path` exclusively: AlreadyExists, touching
  // nothing, if a file is there.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TableWriter>> Create(
      io::FileSystem* fs, std::string path, TableWriterOptions options = {});
  // Writes into `file`, an empty file the caller opened at `path` (one made
  // ahead of time, its directory entry already durable). InvalidArgument if
  // `file` is not empty.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TableWriter>> Create(
      std::unique_ptr<io::WritableFile> file, std::string path,
      TableWriterOptions options = {});

  // Adds an entry; it must sort strictly after the previous one (key
  // ascending, then LSN descending), or InvalidArgument is returned and
  // nothing is written.
  [[nodiscard]] absl::Status Add(const Entry& entry);
  [[nodiscard]] absl::Status Put(absl::string_view key, uint64_t lsn,
                                 absl::string_view value) {
    return Add({key, lsn, EntryKind::kPut, value});
  }
  [[nodiscard]] absl::Status Delete(absl::string_view key, uint64_t lsn) {
    return Add({key, lsn, EntryKind::kDelete, {}});
  }

  // Adds a tombstone for the keys in [start, end) older than `lsn`, in any
  // order relative to Add(). InvalidArgument unless start < end.
  [[nodiscard]] absl::Status AddRangeTombstone(absl::string_view start,
                                               absl::string_view end,
                                               uint64_t lsn);
  // Records when the table was written (TableProperties::created_micros).
  void set_created_micros(int64_t micros) { props_.created_micros = micros; }
  // The table's LSN range (TableProperties::largest_lsn) reaches at least
  // `lsn`, whatever its entries: a compaction's output covers every LSN
  // its inputs covered, including those of the entries it dropped (the
  // newest tombstones, with all they deleted). Repair trusts it to know
  // what the tables already reflect.
  void CoverLsnsUpTo(uint64_t lsn) { covers_up_to_ = lsn; }

  // Writes the range-tombstone, filter, index and properties blocks and the
  // footer, syncs and closes the file.
  // Returns what the manifest records about the table.
  [[nodiscard]] absl::StatusOr<TableProperties> Finish();

  // Bytes of the table so far, the open block included.
  uint64_t EstimatedSize() const { return offset_ + out_.size(); }

 private:
  TableWriter(std::unique_ptr<io::WritableFile> file, std::string path,
              TableWriterOptions options);

  // Closes the open block: compresses it (if the table is), appends its
  // trailer and indexes it.
  absl::Status FlushBlock();
  // Appends a whole block (contents and trailer) to out_.
  void AppendBlock(absl::string_view contents, BlockHandle* handle);
  // Notes the range tombstones in the key and LSN ranges of props_ and
  // appends their block and the filter block.
  void AppendRangeTombstonesAndFilter();
  // Hands out_ to the file once it holds kWriteChunk bytes (or `force`).
  absl::Status Drain(bool force);

  const std::unique_ptr<io::WritableFile> file_;
  const std::string path_;
  const TableWriterOptions options_;
  absl::Status status_;
  bool finished_ = false;

  static constexpr size_t kWriteChunk = 1 << 20;

  // Finished blocks not yet written, then the open block's entries from
  // block_start_ on: entries are encoded where they will be written.
  std::string out_;
  size_t block_start_ = 0;
  std::string index_;
  std::string last_key_;
  uint64_t last_lsn_ = 0;
  uint64_t offset_ = 0;    // Bytes handed to the file; out_ follows.
  uint32_t file_crc_ = 0;  // Unmasked CRC32C of the bytes handed over.
  uint64_t covers_up_to_ = 0;
  TableProperties props_;
  std::vector<RangeTombstone> range_tombstones_;
  BloomFilterBuilder filter_;
  std::string stored_;  // A compressed block's stored form; reused.
};

// Renames the finished table at `temp_path` to `final_path` and syncs the
// directory of `final_path`.
[[nodiscard]] absl::Status InstallTable(io::FileSystem* fs,
                                        const std::string& temp_path,
                                        const std::string& final_path);

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_TABLE_WRITER_H_
