#include "sstable/table_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "io/status_macros.h"

namespace strata::sstable {

absl::StatusOr<std::unique_ptr<TableReader>> TableReader::Open(
    io::FileSystem* fs, std::string path, const TableReadOptions& options) {
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<io::RandomAccessFile> file,
      options.mmap ? fs->NewMappedFile(path) : fs->NewRandomAccessFile(path));
  std::unique_ptr<TableReader> table(
      new TableReader(std::move(file), std::move(path), options));
  const uint64_t size = table->file_->Size();
  const uint64_t footer_at = size < Footer::kSize ? 0 : size - Footer::kSize;
  char buf[Footer::kSize];
  absl::string_view got;
  if (absl::Status s = table->file_->Read(footer_at, sizeof(buf), buf, &got);
      !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrFormat("sst: %s: footer at offset %d: %s",
                                        table->path_, footer_at, s.message()));
  }
  STRATA_RETURN_IF_ERROR(
      Footer::DecodeFrom(got, table->path_, footer_at, &table->footer_));
  // Blocks lie before the footer: data, then index, then properties.
  const Footer& f = table->footer_;
  if (!f.properties.EndsBy(footer_at) || f.properties.end() != footer_at ||
      !f.index.EndsBy(f.properties.offset)) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s footer at offset %d: block handles (index %d+%d, properties "
        "%d+%d) do not fit the %d-byte file",
        table->path_, footer_at, f.index.offset, f.index.size,
        f.properties.offset, f.properties.size, size));
  }
  std::unique_ptr<char[]> scratch;
  size_t scratch_size = 0;
  absl::string_view props;
  STRATA_RETURN_IF_ERROR(table->ReadBlock(f.properties, {"properties block"},
                                          &scratch, &scratch_size, &props));
  STRATA_RETURN_IF_ERROR(DecodeProperties(
      props, absl::StrCat("sst: ", table->path_, " properties block"),
      f.properties.offset, &table->properties_));
  table->properties_.file_size = size;
  table->properties_.file_checksum = f.file_checksum;
  STRATA_RETURN_IF_ERROR(table->LoadIndex(f.index));
  STRATA_RETURN_IF_ERROR(table->LoadExtras());
  return table;
}

absl::Status TableReader::LoadExtras() {
  const TableProperties& p = properties_;
  uint64_t expected = p.data_size;  // Where the next block must start.
  const struct {
    const char* name;
    BlockHandle handle;
  } extras[] = {
      {"range-tombstone block",
       {p.range_tombstones_offset, p.range_tombstones_size}},
      {"filter block", {p.filter_offset, p.filter_size}},
  };
  std::string blocks[2];
  for (size_t i = 0; i < 2; ++i) {
    const BlockHandle h = extras[i].handle;
    if (h.size == 0) continue;
    if (h.offset != expected || !h.EndsBy(footer_.index.offset)) {
      return absl::DataLossError(absl::StrFormat(
          "sst: %s properties block at offset %d: the %s (%d+%d) is not "
          "where it belongs (offset %d, before the index at %d)",
          path_, footer_.properties.offset, extras[i].name, h.offset, h.size,
          expected, footer_.index.offset));
    }
    std::unique_ptr<char[]> scratch;
    size_t scratch_size = 0;
    absl::string_view block;
    STRATA_RETURN_IF_ERROR(
        ReadBlock(h, {extras[i].name}, &scratch, &scratch_size, &block));
    blocks[i].assign(block.data(), block.size());
    expected = h.end();
  }
  if (expected != footer_.index.offset) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s: the index block at offset %d does not follow the blocks "
        "before it (they end at %d)",
        path_, footer_.index.offset, expected));
  }
  if (p.range_tombstones_size != 0) {
    std::vector<RangeTombstone> tombstones;
    STRATA_RETURN_IF_ERROR(DecodeRangeTombstones(
        blocks[0], absl::StrCat("sst: ", path_, " range-tombstone block"),
        p.range_tombstones_offset, &tombstones));
    if (tombstones.size() != p.range_tombstones) {
      return absl::DataLossError(absl::StrFormat(
          "sst: %s range-tombstone block at offset %d: %d tombstones, but "
          "the properties say %d",
          path_, p.range_tombstones_offset, tombstones.size(),
          p.range_tombstones));
    }
    range_tombstones_ = TombstoneIndex(std::move(tombstones));
  }
  if (p.filter_size != 0) {
    filter_.emplace();
    STRATA_RETURN_IF_ERROR(BloomFilter::Parse(
        std::move(blocks[1]), absl::StrCat(path_, " filter block"),
        p.filter_offset, &*filter_));
  }
  return absl::OkStatus();
}

bool TableReader::MayContain(absl::string_view key) const {
  return !filter_.has_value() || filter_->MayContain(KeyHash(key));
}

void TableReader::CountBlockRead() const {
  if (counters_ != nullptr) {
    counters_->data_blocks_read.fetch_add(1, std::memory_order_relaxed);
  }
}

absl::Status TableReader::ReadBlock(BlockHandle handle, BlockName name,
                                    std::unique_ptr<char[]>* scratch,
                                    size_t* scratch_size,
                                    absl::string_view* contents) const {
  const uint64_t total = handle.size + kBlockTrailerSize;
  if (!handle.EndsBy(file_->Size())) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s: %s at offset %d: %d bytes run past the end of the file",
        path_, name.ToString(), handle.offset, total));
  }
  // A mapped file answers with a view of its memory: then nothing is
  // copied. Otherwise the bytes land in *scratch.
  if (file_->Mapped().empty()) {
    scratch->reset(new char[total]);  // Every byte is read into.
    *scratch_size = total;
  }
  absl::string_view got;
  if (absl::Status s = file_->Read(handle.offset, total, scratch->get(), &got);
      !s.ok()) {
    // An I/O error names the table, the block and where it lies.
    return absl::Status(
        s.code(), absl::StrFormat("sst: %s: %s at offset %d: %s", path_,
                                  name.ToString(), handle.offset, s.message()));
  }
  if (got.size() != total) {
    return absl::DataLossError(
        absl::StrFormat("sst: %s: %s at offset %d: short read", path_,
                        name.ToString(), handle.offset));
  }
  const uint32_t stored = DecodeFixed32(got.data() + handle.size);
  *contents = got.substr(0, handle.size);
  if (Checksum::Of(*contents) == stored) return absl::OkStatus();
  return Checksum::Verify(stored, *contents,
                          absl::StrCat("sst: ", path_, " ", name.ToString()),
                          handle.offset);
}

std::string TableReader::BlockName::ToString() const {
  return index < 0 ? std::string(kind) : absl::StrFormat("%s %d", kind, index);
}

absl::Status TableReader::LoadIndex(BlockHandle handle) {
  std::unique_ptr<char[]> scratch;
  size_t scratch_size = 0;
  absl::string_view bytes;
  STRATA_RETURN_IF_ERROR(
      ReadBlock(handle, {"index block"}, &scratch, &scratch_size, &bytes));
  const std::string what = absl::StrCat("sst: ", path_, " index block");
  Decoder in(bytes, what, handle.offset);
  uint64_t next_offset = 0;
  while (!in.empty()) {
    IndexEntry e;
    absl::string_view key;
    STRATA_RETURN_IF_ERROR(in.GetLengthPrefixed("last key", &key));
    e.last_key.assign(key.data(), key.size());
    for (auto [field, value] : {std::pair{"last lsn", &e.last_lsn},
                                {"block offset", &e.handle.offset},
                                {"block size", &e.handle.size}}) {
      STRATA_RETURN_IF_ERROR(in.GetVarint64(field, value));
    }
    if (e.handle.offset != next_offset ||
        !e.handle.EndsBy(footer_.index.offset) ||
        e.handle.end() > properties_.data_size ||
        (!index_.empty() &&
         CompareInternal(index_.back().last_key, index_.back().last_lsn,
                         e.last_key, e.last_lsn) >= 0)) {
      return in.Error(
          "entry",
          absl::StrFormat("data block %d is out of place (offset "
                          "%d, expected %d) or out of order",
                          index_.size(), e.handle.offset, next_offset));
    }
    next_offset = e.handle.end();
    index_.push_back(std::move(e));
  }
  if (next_offset != properties_.data_size ||
      index_.size() != properties_.data_blocks) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s index block at offset %d: %d data blocks ending at %d, but "
        "the properties say %d blocks ending at %d",
        path_, handle.offset, index_.size(), next_offset,
        properties_.data_blocks, properties_.data_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const DataBlock>> TableReader::ReadDataBlock(
    size_t i) const {
  const BlockHandle handle = index_[i].handle;
  if (cache_ != nullptr) {
    if (std::shared_ptr<const DataBlock> hit =
            cache_->Lookup(cache_id_, handle.offset)) {
      return hit;
    }
  }
  CountBlockRead();
  auto block = std::make_shared<DataBlock>();
  const BlockName name{"data block", static_cast<int64_t>(i)};
  // Read into the block's own buffer (a mapped file answers with a view
  // of the mapping instead, which outlives the block).
  absl::string_view stored;
  STRATA_RETURN_IF_ERROR(
      ReadBlock(handle, name, &block->stored, &block->stored_size, &stored));
  if (footer_.version == kFormatVersion) {
    block->bytes = stored;
  } else {
    std::string expanded;
    absl::string_view raw;
    STRATA_RETURN_IF_ERROR(ExpandStoredBlock(
        stored, absl::StrCat("sst: ", path_, " ", name.ToString()),
        handle.offset, &expanded, &raw));
    if (raw.data() == expanded.data()) {
      block->expanded = std::move(expanded);
      raw = block->expanded;
    }
    block->bytes = raw;
  }
  if (cache_ != nullptr) cache_->Insert(cache_id_, handle.offset, block);
  return block;
}

absl::Status TableReader::DecodeDataBlock(size_t i, absl::string_view block,
                                          std::vector<Entry>* entries) const {
  // No block name is formatted on the way through: a block that does not
  // decode is decoded again under its name, for the error.
  if (DecodeDataBlockAs(i, block, path_, entries).ok()) {
    return absl::OkStatus();
  }
  return DecodeDataBlockAs(
      i, block, absl::StrFormat("sst: %s data block %d", path_, i), entries);
}

absl::Status TableReader::DecodeDataBlockAs(size_t i, absl::string_view block,
                                            absl::string_view what,
                                            std::vector<Entry>* entries) const {
  entries->clear();
  Decoder in(block, what, index_[i].handle.offset);
  while (!in.empty()) {
    Entry e;
    STRATA_RETURN_IF_ERROR(DecodeEntry(in, &e));
    if (!entries->empty() &&
        CompareInternal(entries->back().key, entries->back().lsn, e.key,
                        e.lsn) >= 0) {
      return in.Error("entry", "entries out of order");
    }
    entries->push_back(e);
  }
  if (entries->empty() || entries->back().key != index_[i].last_key ||
      entries->back().lsn != index_[i].last_lsn) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s data block %d at offset %d: last entry does not match the "
        "index",
        path_, i, index_[i].handle.offset));
  }
  return absl::OkStatus();
}

size_t TableReader::FindBlock(absl::string_view key, uint64_t lsn) const {
  auto it = std::partition_point(
      index_.begin(), index_.end(), [&](const IndexEntry& e) {
        return CompareInternal(e.last_key, e.last_lsn, key, lsn) < 0;
      });
  return it - index_.begin();
}

absl::StatusOr<std::optional<Found>> TableReader::Get(absl::string_view key,
                                                      uint64_t max_lsn) const {
  if (!MayContain(key)) {
    if (counters_ != nullptr) {
      counters_->filter_skips.fetch_add(1, std::memory_order_relaxed);
    }
    return std::nullopt;
  }
  const size_t i = FindBlock(key, max_lsn);
  if (i == index_.size()) return std::nullopt;
  // Decode only up to the first entry at or after (key, max_lsn); the
  // block's checksum was verified, and Verify() checks the order.
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const DataBlock> block,
                          ReadDataBlock(i));
  const absl::string_view contents = block->bytes;
  // Decoded only up to the key; a block that does not decode that far is
  // decoded whole under its name, for the error.
  Decoder in(contents, path_, index_[i].handle.offset);
  while (!in.empty()) {
    Entry e;
    if (absl::Status s = DecodeEntry(in, &e); !s.ok()) {
      std::vector<Entry> entries;
      absl::Status named = DecodeDataBlock(i, contents, &entries);
      return named.ok() ? s : named;
    }
    if (CompareInternal(e.key, e.lsn, key, max_lsn) < 0) continue;
    if (e.key != key) return std::nullopt;
    return Found{e.lsn, e.kind, std::string(e.value)};
  }
  return absl::DataLossError(absl::StrFormat(
      "sst: %s data block %d at offset %d: ends before the key its index "
      "entry promises",
      path_, i, index_[i].handle.offset));
}

std::unique_ptr<TableIterator> TableReader::NewIterator() const {
  return std::make_unique<TableIterator>(this);
}

absl::Status TableReader::Verify() const {
  TableProperties seen;
  TableIterator it(this);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const Entry& e = it.entry();
    if (seen.entries == 0) {
      seen.smallest_key.assign(e.key.data(), e.key.size());
      seen.smallest_lsn = e.lsn;
    }
    if (!MayContain(e.key)) {
      return absl::DataLossError(absl::StrFormat(
          "sst: %s filter block at offset %d: says key \"%s\" is absent, "
          "but the table holds it",
          path_, properties_.filter_offset, absl::CEscape(e.key)));
    }
    ++seen.entries;
    if (e.kind == EntryKind::kDelete) ++seen.tombstones;
    seen.smallest_lsn = std::min(seen.smallest_lsn, e.lsn);
    seen.largest_lsn = std::max(seen.largest_lsn, e.lsn);
    seen.largest_key.assign(e.key.data(), e.key.size());
  }
  if (!it.status().ok()) return it.status();
  for (const RangeTombstone& t : range_tombstones_.tombstones()) {
    if (seen.entries == 0 && seen.range_tombstones == 0) {
      seen.smallest_key = t.start;
      seen.largest_key = t.end;
      seen.smallest_lsn = seen.largest_lsn = t.lsn;
    }
    ++seen.range_tombstones;
    seen.smallest_key = std::min(seen.smallest_key, t.start);
    seen.largest_key = std::max(seen.largest_key, t.end);
    seen.smallest_lsn = std::min(seen.smallest_lsn, t.lsn);
    seen.largest_lsn = std::max(seen.largest_lsn, t.lsn);
  }
  const TableProperties& p = properties_;
  if (seen.entries != p.entries || seen.tombstones != p.tombstones ||
      seen.smallest_key != p.smallest_key ||
      seen.largest_key != p.largest_key ||
      seen.smallest_lsn != p.smallest_lsn ||
      // The recorded range may reach past the newest entry (a compaction
      // output covers its inputs' LSNs: docs/sstable_format.md).
      seen.largest_lsn > p.largest_lsn) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s: properties block at offset %d does not match the data "
        "(%d entries and %d tombstones, lsn %d..%d found; %d and %d, lsn "
        "%d..%d recorded)",
        path_, footer_.properties.offset, seen.entries, seen.tombstones,
        seen.smallest_lsn, seen.largest_lsn, p.entries, p.tombstones,
        p.smallest_lsn, p.largest_lsn));
  }
  return VerifyFileChecksum();
}

absl::Status TableReader::VerifyFileChecksum() const {
  // Read in large chunks.
  const uint64_t end = properties_.file_size - Footer::kSize;
  std::string chunk(std::min<uint64_t>(uint64_t{1} << 20, end), '\0');
  uint32_t crc = 0;
  for (uint64_t off = 0; off < end;) {
    absl::string_view got;
    const size_t n = std::min<uint64_t>(chunk.size(), end - off);
    STRATA_RETURN_IF_ERROR(file_->Read(off, n, chunk.data(), &got));
    if (got.size() != n) {
      return absl::DataLossError(
          absl::StrFormat("sst: %s: short read at offset %d", path_, off));
    }
    crc = crc32c::Extend(crc, got);
    off += n;
  }
  if (crc32c::Mask(crc) != footer_.file_checksum &&
      !crc32c::kChecksumsBypassed) {
    return absl::DataLossError(absl::StrFormat(
        "sst: %s: whole-file checksum mismatch over %d bytes: the footer "
        "says 0x%08x, the file has 0x%08x",
        path_, end, footer_.file_checksum, crc32c::Mask(crc)));
  }
  return absl::OkStatus();
}

void TableIterator::Load(size_t i) {
  index_ = i;
  pos_ = 0;
  entries_.clear();
  block_.reset();
  if (i >= table_->index_.size()) return;
  absl::StatusOr<std::shared_ptr<const DataBlock>> block =
      table_->ReadDataBlock(i);
  if (!block.ok()) {
    status_ = block.status();
    return;
  }
  block_ = *std::move(block);
  status_ = table_->DecodeDataBlock(i, block_->bytes, &entries_);
  if (!status_.ok()) entries_.clear();
}

void TableIterator::SeekToFirst() {
  status_ = absl::OkStatus();
  Load(0);
}

void TableIterator::Seek(absl::string_view key, uint64_t lsn) {
  status_ = absl::OkStatus();
  Load(table_->FindBlock(key, lsn));
  pos_ =
      std::partition_point(entries_.begin(), entries_.end(),
                           [&](const Entry& e) {
                             return CompareInternal(e.key, e.lsn, key, lsn) < 0;
                           }) -
      entries_.begin();
}

void TableIterator::Next() {
  if (!Valid()) return;
  if (++pos_ == entries_.size()) Load(index_ + 1);
}

}  // namespace strata::sstable
