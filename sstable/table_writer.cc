#include "sstable/table_writer.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "encoding/coding.h"
#include "encoding/crc32c.h"
#include "io/status_macros.h"

namespace strata::sstable {

absl::StatusOr<std::unique_ptr<TableWriter>> TableWriter::Create(
    io::FileSystem* fs, std::string path, TableWriterOptions options) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file,
                          fs->NewExclusiveFile(path));
  return Create(std::move(file), std::move(path), options);
}

absl::StatusOr<std::unique_ptr<TableWriter>> TableWriter::Create(
    std::unique_ptr<io::WritableFile> file, std::string path,
    TableWriterOptions options) {
  if (file == nullptr || file->Size() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sst: ", path, ": a table is written into an empty file, not one of ",
        file == nullptr ? 0 : file->Size(), " bytes"));
  }
  return std::unique_ptr<TableWriter>(
      new TableWriter(std::move(file), std::move(path), options));
}

TableWriter::TableWriter(std::unique_ptr<io::WritableFile> file,
                         std::string path, TableWriterOptions options)
    : file_(std::move(file)), path_(std::move(path)), options_(options) {}

absl::Status TableWriter::Add(const Entry& entry) {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("sst: ", path_, ": Add after Finish"));
  }
  if (props_.entries > 0 &&
      CompareInternal(last_key_, last_lsn_, entry.key, entry.lsn) >= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "sst: %s: entry (key \"%s\", lsn %d) does not sort after (key "
        "\"%s\", lsn %d)",
        path_, absl::CEscape(entry.key), entry.lsn, absl::CEscape(last_key_),
        last_lsn_));
  }
  if (props_.entries == 0) {
    props_.smallest_key.assign(entry.key.data(), entry.key.size());
    props_.smallest_lsn = props_.largest_lsn = entry.lsn;
  }
  if (options_.bloom_bits_per_key != 0 &&
      (props_.entries == 0 || entry.key != last_key_)) {
    filter_.Add(KeyHash(entry.key));
  }
  ++props_.entries;
  if (entry.kind == EntryKind::kDelete) ++props_.tombstones;
  props_.smallest_lsn = std::min(props_.smallest_lsn, entry.lsn);
  props_.largest_lsn = std::max(props_.largest_lsn, entry.lsn);
  last_key_.assign(entry.key.data(), entry.key.size());
  last_lsn_ = entry.lsn;
  EncodeEntry(entry, &out_);
  if (out_.size() - block_start_ >= options_.block_size) return FlushBlock();
  return absl::OkStatus();
}

absl::Status TableWriter::AddRangeTombstone(absl::string_view start,
                                            absl::string_view end,
                                            uint64_t lsn) {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("sst: ", path_, ": AddRangeTombstone after Finish"));
  }
  if (!(start < end)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sst: %s: range tombstone [\"%s\", \"%s\") is empty",
                        path_, absl::CEscape(start), absl::CEscape(end)));
  }
  range_tombstones_.push_back({std::string(start), std::string(end), lsn});
  return absl::OkStatus();
}

void TableWriter::AppendRangeTombstonesAndFilter() {
  if (!range_tombstones_.empty()) {
    std::sort(range_tombstones_.begin(), range_tombstones_.end(),
              RangeTombstoneBefore);
    const bool had_entries = props_.entries != 0;
    for (const RangeTombstone& t : range_tombstones_) {
      if (!had_entries && &t == &range_tombstones_.front()) {
        props_.smallest_key = t.start;
        props_.largest_key = t.end;
        props_.smallest_lsn = props_.largest_lsn = t.lsn;
      }
      props_.smallest_key = std::min(props_.smallest_key, t.start);
      props_.largest_key = std::max(props_.largest_key, t.end);
      props_.smallest_lsn = std::min(props_.smallest_lsn, t.lsn);
      props_.largest_lsn = std::max(props_.largest_lsn, t.lsn);
    }
    std::string block;
    EncodeRangeTombstones(range_tombstones_, &block);
    BlockHandle handle;
    AppendBlock(block, &handle);
    props_.range_tombstones = range_tombstones_.size();
    props_.range_tombstones_offset = handle.offset;
    props_.range_tombstones_size = handle.size;
  }
  if (filter_.count() != 0) {
    std::string block;
    filter_.Finish(options_.bloom_bits_per_key, &block);
    BlockHandle handle;
    AppendBlock(block, &handle);
    props_.filter_offset = handle.offset;
    props_.filter_size = handle.size;
  }
}

absl::Status TableWriter::Drain(bool force) {
  if (out_.size() < kWriteChunk && !force) return absl::OkStatus();
  // A whole block can be written: the open block, if any, stays.
  const absl::string_view ready(out_.data(), block_start_);
  if (absl::Status s = file_->Append(ready); !s.ok()) return status_ = s;
  // Let the device work while the next chunk is encoded. Not for the last
  // one (forced by Finish): the footer goes into its last page and the sync
  // follows at once, so early writeback would only write that page twice.
  if (!force) {
    if (absl::Status s = file_->StartWriteback(); !s.ok()) return status_ = s;
  }
  file_crc_ = crc32c::Extend(file_crc_, ready);
  offset_ += ready.size();
  out_.erase(0, block_start_);
  block_start_ = 0;
  return absl::OkStatus();
}

void TableWriter::AppendBlock(absl::string_view contents, BlockHandle* handle) {
  *handle = {offset_ + out_.size(), contents.size()};
  out_.append(contents.data(), contents.size());
  PutFixed32(&out_, Checksum::Of(contents));
  block_start_ = out_.size();
}

absl::Status TableWriter::FlushBlock() {
  if (out_.size() == block_start_) return absl::OkStatus();
  if (options_.compression != Compression::kNone) {
    stored_.clear();
    AppendStoredBlock(options_.compression, options_.zstd_level,
                      absl::string_view(out_).substr(block_start_), &stored_);
    out_.resize(block_start_);
    out_.append(stored_);
  }
  const BlockHandle handle{offset_ + block_start_, out_.size() - block_start_};
  PutFixed32(&out_, Checksum::Of(absl::string_view(out_.data() + block_start_,
                                                   handle.size)));
  block_start_ = out_.size();
  // Index entry: the block's last key and LSN, then its handle.
  PutLengthPrefixed(&index_, last_key_);
  PutVarint64(&index_, last_lsn_);
  PutVarint64(&index_, handle.offset);
  PutVarint64(&index_, handle.size);
  props_.data_size += handle.size + kBlockTrailerSize;
  ++props_.data_blocks;
  return Drain(/*force=*/false);
}

absl::StatusOr<TableProperties> TableWriter::Finish() {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("sst: ", path_, ": Finish called twice"));
  }
  finished_ = true;
  props_.largest_key = last_key_;
  props_.compression = static_cast<uint64_t>(options_.compression);
  Footer footer;
  if (options_.compression != Compression::kNone) {
    footer.version = kCompressedFormatVersion;
  }
  STRATA_RETURN_IF_ERROR(FlushBlock());
  AppendRangeTombstonesAndFilter();
  props_.largest_lsn = std::max(props_.largest_lsn, covers_up_to_);
  AppendBlock(index_, &footer.index);
  std::string props;
  EncodeProperties(props_, &props);
  AppendBlock(props, &footer.properties);
  STRATA_RETURN_IF_ERROR(Drain(/*force=*/true));
  footer.file_checksum = crc32c::Mask(file_crc_);
  std::string tail;
  footer.EncodeTo(&tail);
  if (absl::Status s = file_->Append(tail); !s.ok()) return status_ = s;
  offset_ += tail.size();
  if (absl::Status s = file_->Sync(); !s.ok()) return status_ = s;
  if (absl::Status s = file_->Close(); !s.ok()) return status_ = s;
  props_.file_size = offset_;
  props_.file_checksum = footer.file_checksum;
  return props_;
}

absl::Status InstallTable(io::FileSystem* fs, const std::string& temp_path,
                          const std::string& final_path) {
  STRATA_RETURN_IF_ERROR(fs->RenameFile(temp_path, final_path));
  return fs->SyncDir(io::DirName(final_path));
}

}  // namespace strata::sstable
