// TableReader reads one SSTable (docs/sstable_format.md).
//
// Open() reads and checks only the footer, the properties block and the
// index block — no data block — so opening a table costs a few small reads.
// Every block read is checked against its CRC32C; a damaged block is
// DataLoss naming the file, the block and its offset, and its bytes are
// never returned. Verify() reads everything and also checks the whole-file
// checksum that the manifest records.
//
// Thread-safety: a TableReader is safe for concurrent use (it only reads);
// a TableIterator is thread-compatible.

#ifndef STRATA_SSTABLE_TABLE_READER_H_
#define STRATA_SSTABLE_TABLE_READER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/file_system.h"
#include "sstable/block_cache.h"
#include "sstable/bloom.h"
#include "sstable/compression.h"
#include "sstable/format.h"
#include "sstable/properties.h"
#include "sstable/range_tombstones.h"

namespace strata::sstable {

// A version of a key found by Get, owning its value.
struct Found {
  uint64_t lsn = 0;
  EntryKind kind = EntryKind::kPut;
  std::string value;
};

class TableIterator;

// Counts of what reads cost, shared by the readers of one engine.
struct ReadCounters {
  std::atomic<uint64_t> data_blocks_read{0};
  // Lookups the filter answered without reading a block.
  std::atomic<uint64_t> filter_skips{0};
};

// How a TableReader reads its file.
struct TableReadOptions {
  // Counts block reads; must outlive the reader.
  ReadCounters* counters = nullptr;
  // Map the file and point entries into the mapping (no copy), or read
  // blocks with pread. A mapped file's I/O error is a SIGBUS that kills the
  // process; pread returns it as an error.
  bool mmap = false;
  // Decoded data blocks, shared with other readers; must outlive the
  // reader. Used only by a reader that does not map its file (a mapped
  // block's entries point into its reader's mapping).
  BlockCache* block_cache = nullptr;
};

class TableReader {
 public:
  // Reads the footer, properties, index, range-tombstone and filter
  // blocks.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TableReader>> Open(
      io::FileSystem* fs, std::string path, const TableReadOptions& options);
  // A mapped reader without a cache, as before TableReadOptions existed
  // (the tools' reader). `counters`, if set, must outlive the reader.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TableReader>> Open(
      io::FileSystem* fs, std::string path, ReadCounters* counters = nullptr) {
    return Open(fs, std::move(path),
                TableReadOptions{counters, /*mmap=*/true, nullptr});
  }

  // The footer's format version: kFormatVersion, or
  // kCompressedFormatVersion for a table written with compression.
  uint32_t format_version() const { return footer_.version; }

  const TableProperties& properties() const { return properties_; }
  const std::string& path() const { return path_; }

  // The table's range tombstones (empty for a table without them).
  const TombstoneIndex& range_tombstones() const { return range_tombstones_; }
  // False only if the table holds no entry for `key` (its filter says so);
  // true for a table without a filter.
  bool MayContain(absl::string_view key) const;

  // The newest version of `key` whose LSN is at most `max_lsn` (a put or a
  // tombstone), or nullopt if the table has none. The filter is checked
  // first. Range tombstones are not applied: see range_tombstones().
  [[nodiscard]] absl::StatusOr<std::optional<Found>> Get(
      absl::string_view key, uint64_t max_lsn = UINT64_MAX) const;

  // An iterator over all entries in order. This reader must outlive it.
  std::unique_ptr<TableIterator> NewIterator() const;

  // Reads every block, checks every checksum, the order of entries, the
  // properties and the whole-file checksum.
  [[nodiscard]] absl::Status Verify() const;

 private:
  friend class TableIterator;
  struct IndexEntry {
    std::string last_key;
    uint64_t last_lsn;
    BlockHandle handle;
  };

  TableReader(std::unique_ptr<io::RandomAccessFile> file, std::string path,
              const TableReadOptions& options)
      : file_(std::move(file)),
        path_(std::move(path)),
        counters_(options.counters),
        // A mapped block points into this reader: it is never cached.
        cache_(file_->Mapped().empty() ? options.block_cache : nullptr),
        cache_id_(cache_ != nullptr ? cache_->NewTableId() : 0) {}

  // A block's name in errors, formatted only when one occurs: "index
  // block", or "data block 7".
  struct BlockName {
    const char* kind;
    int64_t index = -1;
    std::string ToString() const;
  };
  // Reads the block at `handle`, checks its checksum and points *contents
  // at its bytes: in the file's own memory (a mapped file; valid while
  // this reader lives) or in *scratch, allocated for it (*scratch_size
  // bytes).
  absl::Status ReadBlock(BlockHandle handle, BlockName name,
                         std::unique_ptr<char[]>* scratch, size_t* scratch_size,
                         absl::string_view* contents) const;
  // The bytes of data block `i` (checksummed, expanded): from the block
  // cache, or read and then cached.
  absl::StatusOr<std::shared_ptr<const DataBlock>> ReadDataBlock(
      size_t i) const;
  // Decodes the bytes of data block `i` with those checks; errors name the
  // file, the block and the offset.
  absl::Status DecodeDataBlock(size_t i, absl::string_view block,
                               std::vector<Entry>* entries) const;
  absl::Status DecodeDataBlockAs(size_t i, absl::string_view block,
                                 absl::string_view what,
                                 std::vector<Entry>* entries) const;
  absl::Status LoadIndex(BlockHandle handle);
  // Reads the range-tombstone and filter blocks, checking that they lie,
  // in that order, between the data blocks and the index.
  absl::Status LoadExtras();
  void CountBlockRead() const;
  absl::Status VerifyFileChecksum() const;
  // The first data block whose last entry sorts at or after (key, lsn).
  size_t FindBlock(absl::string_view key, uint64_t lsn) const;

  const std::unique_ptr<io::RandomAccessFile> file_;
  const std::string path_;
  Footer footer_;
  TableProperties properties_;
  std::vector<IndexEntry> index_;
  ReadCounters* const counters_;
  BlockCache* const cache_;
  const uint64_t cache_id_;  // This reader's blocks in cache_.
  std::optional<BloomFilter> filter_;
  TombstoneIndex range_tombstones_;
};

class TableIterator {
 public:
  explicit TableIterator(const TableReader* table) : table_(table) {}

  void SeekToFirst();
  // Positions at the first entry at or after (key, lsn) in table order:
  // Seek(k) finds the newest version of k, or the next key.
  void Seek(absl::string_view key, uint64_t lsn = UINT64_MAX);
  void Next();
  // False at the end or after an error (see status()).
  bool Valid() const { return status_.ok() && pos_ < entries_.size(); }
  // Valid until the iterator moves.
  const Entry& entry() const { return entries_[pos_]; }
  const absl::Status& status() const { return status_; }

 private:
  // Loads block `i` (or ends), positioned at its first entry.
  void Load(size_t i);

  const TableReader* const table_;
  size_t index_ = 0;  // Of the block loaded.
  // Its bytes, shared with the block cache if the table uses one, and its
  // entries, which point into them.
  std::shared_ptr<const DataBlock> block_;
  std::vector<Entry> entries_;
  size_t pos_ = 0;
  absl::Status status_;
};

}  // namespace strata::sstable

#endif  // STRATA_SSTABLE_TABLE_READER_H_
